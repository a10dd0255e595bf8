// Findings pages: "Copy link" on a finding, and "select all" for bulk triage (no inline scripts: CSP).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".copy-link");
    if (!button) return;
    const link = button.getAttribute("data-link");
    const done = function () {
      button.classList.add("copied");
      button.textContent = "Link copied";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(done, function () { window.prompt("Copy this link", link); });
    } else {
      window.prompt("Copy this link", link); // plain http: the clipboard API is unavailable
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-all") return;
    document.querySelectorAll("#bulk input[name=ids]:not(:disabled)").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
})();
