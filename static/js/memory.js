// The memory panel's "Add a block" form: its character count follows the limit typed beside it (static/ade.js
// counts against the output's data-limit, so the limit is copied there and the count refreshed).
document.addEventListener("input", (event) => {
  if (event.target.id !== "id_new-limit") return;
  const output = document.querySelector('output[data-count-for="id_new-value"]');
  const value = document.getElementById("id_new-value");
  if (!output || !value) return;
  output.dataset.limit = String(Number(event.target.value) || 0);
  value.dispatchEvent(new Event("input"));
});
