// Connect page: "Save and Connect" stays disabled until the confirmation box is ticked and every required
// field has been validated by the server (the server checks both again on submit).
(function () {
  "use strict";
  const REQUIRED = ["api_key", "workspace_id", "chatgpt_org_id", "platform_org_id"];

  function fieldValid(name) {
    const status = document.querySelector("#" + name + "-status [data-valid]");
    return status !== null && status.getAttribute("data-valid") === "true";
  }

  function refreshSaveButton() {
    const save = document.getElementById("save-connect");
    const confirmed = document.getElementById("confirmed");
    if (!save || !confirmed) return;
    save.disabled = !(confirmed.checked && REQUIRED.every(fieldValid));
  }

  document.addEventListener("change", refreshSaveButton);
  document.addEventListener("htmx:afterSwap", refreshSaveButton);
  document.addEventListener("DOMContentLoaded", refreshSaveButton);
})();
