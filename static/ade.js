// Behaviour every ADE page shares, wired by data attributes so templates stay declarative and htmx swaps keep it:
// - <output data-count-for="ID" data-limit="N">: a live "n / N characters" count of the field with id ID,
//   marked `over` (and the field aria-invalid) past N.
(function () {
  const format = new Intl.NumberFormat();

  function updateCount(output) {
    const field = document.getElementById(output.dataset.countFor);
    if (!field) return;
    const limit = Number(output.dataset.limit || 0);
    const used = field.value.length;
    const over = limit > 0 && used > limit;
    output.textContent = limit > 0 ? `${format.format(used)} / ${format.format(limit)} characters` : `${format.format(used)} characters`;
    output.classList.toggle("over", over);
    field.setAttribute("aria-invalid", over ? "true" : "false");
  }

  function wire(root) {
    root.querySelectorAll("output[data-count-for]").forEach((output) => {
      const field = document.getElementById(output.dataset.countFor);
      if (!field || field.dataset.countWired) return;
      field.dataset.countWired = "1";
      field.addEventListener("input", () => updateCount(output));
      updateCount(output);
    });
  }

  document.addEventListener("DOMContentLoaded", () => wire(document));
  document.addEventListener("htmx:load", (event) => wire(event.target));
})();
