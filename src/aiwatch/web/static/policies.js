// Policies pages: a rejected edit (422) still replaces the form, so the error shows next to it (htmx leaves
// 4xx responses unswapped by default); the bulk bar counts the ticked rules.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function refreshBulkCount() {
    const counter = document.querySelector("[data-bulk-count]");
    if (!counter) return;
    const ticked = document.querySelectorAll('input[name="rule_ids"][form="bulk"]:checked').length;
    counter.textContent = ticked ? ticked + " rule(s) selected:" : "tick rules below, then";
  }

  document.addEventListener("change", refreshBulkCount);
  document.addEventListener("htmx:afterSwap", refreshBulkCount);
})();
