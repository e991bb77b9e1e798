// The API keys page: a new key's field selects itself on focus, and its Copy button copies it. Wired by data
// attributes (no inline handlers: the Content-Security-Policy refuses them) on the document, so the partial htmx
// swaps in after creating a key needs no wiring of its own.
(function () {
  document.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches("input[data-select-on-focus]")) event.target.select();
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-copy-from]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copyFrom);
    if (!field) return;
    navigator.clipboard.writeText(field.value).then(
      () => { button.textContent = "Copied"; },
      () => { field.select(); button.textContent = "Press Ctrl+C to copy"; },
    );
  });
})();
