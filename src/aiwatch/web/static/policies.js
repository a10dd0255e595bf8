// Policies pages: a rejected edit (422) still replaces the form, so the error shows next to it (htmx leaves
// 4xx responses unswapped by default); the bulk bar counts the ticked rules; "Rescan now" queues a
// background rescan through POST /api/rescans and follows its progress.
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

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (error) {
      return "";
    }
  }

  function showRescan(job) {
    const status = document.getElementById("rescan-status");
    if (!status) return;
    const percent = typeof job.percent === "number" ? " " + job.percent.toFixed(0) + "%" : "";
    status.textContent = "Rescan " + job.id + ": " + job.status + percent + " (" + job.done + " of " +
      job.total + " items). Findings update as it goes.";
    if (job.status === "pending" || job.status === "running") {
      window.setTimeout(function () {
        fetch("/api/rescans/" + job.id, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (next) { if (next) showRescan(next); });
      }, 2000);
    }
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-rescan]");
    if (!button) return;
    button.disabled = true;
    fetch("/api/rescans", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ rules_glob: null }),
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        button.disabled = false;
        if (result.ok) {
          showRescan(result.body);
        } else {
          document.getElementById("rescan-status").textContent = "Rescan refused: " + result.body.detail;
        }
      });
  });
})();
