// The admin's only script: toasts, session tokens on form posts, job progress, confirmations.
(function () {
  "use strict";
  var embedded = document.body.dataset.embedded === "true";
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function showToast(message) {
    if (!message) return;
    if (embedded && window.shopify && window.shopify.toast) { window.shopify.toast.show(message); return; }
    var toast = document.getElementById("toast");
    toast.textContent = message;
    toast.hidden = false;
    clearTimeout(showToast.timer);
    showToast.timer = setTimeout(function () { toast.hidden = true; }, 5000);
  }

  // The toast arrives in the URL after a redirect; drop it so a reload does not repeat it.
  var url = new URL(window.location.href);
  if (url.searchParams.has("toast")) {
    showToast(url.searchParams.get("toast"));
    url.searchParams.delete("toast");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  } else {
    showToast(document.getElementById("toast").textContent.trim());
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter || form.querySelector("[data-confirm]");
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    var slot = form.querySelector('input[name="id_token"]');
    if (!embedded || !slot || !window.shopify) return;
    // Embedded posts carry a fresh session token in the form: App Bridge only adds it to fetches.
    event.preventDefault();
    window.shopify.idToken().then(function (token) { slot.value = token; form.submit(); });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = document.querySelector(button.dataset.copy).textContent;
    navigator.clipboard.writeText(text).then(function () { showToast("Copied"); }, function () { showToast("Select the key and copy it"); });
  });

  function poll(block) {
    var headers = { Accept: "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    fetch(block.dataset.jobUrl, { headers: headers, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (job) {
        block.dataset.status = job.status;
        block.querySelector(".progress-bar").style.width = job.percent + "%";
        block.querySelector(".progress").setAttribute("aria-valuenow", job.percent);
        block.querySelector(".progress-text").textContent = job.percent + "% · " + job.done + " of " + job.total + " · " + job.status;
        var waiting = block.querySelector(".progress-waiting");
        if (waiting) waiting.hidden = job.status !== "queued";
        if (job.status === "done") { showToast("Job finished"); return; }
        if (job.status === "failed") { showToast("Job failed: " + job.error); return; }
        setTimeout(function () { poll(block); }, 700);
      })
      .catch(function () { setTimeout(function () { poll(block); }, 3000); });
  }
  document.querySelectorAll("[data-job-url]").forEach(function (block) {
    if (block.dataset.status === "queued" || block.dataset.status === "running") poll(block);
  });
})();
