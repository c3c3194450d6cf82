// The admin's only script: toasts, session tokens on links and form posts, job progress, confirmations.
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

  // The toast and the session token arrive in the URL; drop them so a reload does not repeat the
  // toast and the token (valid for a minute) is not left in the address Shopify shows.
  var url = new URL(window.location.href);
  var toast = url.searchParams.get("toast");
  if (url.searchParams.has("toast") || url.searchParams.has("id_token")) {
    url.searchParams.delete("toast");
    url.searchParams.delete("id_token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  showToast(toast || document.getElementById("toast").textContent.trim());

  // Inside Shopify a link to another admin page carries a fresh session token, so the page opens in
  // one document load; without one the server would send it through App Bridge's bounce page.
  function appLink(target) {
    var link = target.closest && target.closest("a[href], s-link[href], s-button[href]");
    if (!link || link.closest("s-app-nav") || link.hasAttribute("download") || link.target === "_blank") return null;
    var href = new URL(link.getAttribute("href"), window.location.href);
    if (href.origin !== window.location.origin || href.pathname.indexOf("/admin") !== 0) return null;
    return href;
  }
  document.addEventListener("click", function (event) {
    if (!embedded || !window.shopify || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var href = appLink(event.target);
    if (!href) return;
    event.preventDefault();
    window.shopify.idToken().then(function (token) {
      href.searchParams.set("id_token", token);
      window.location.assign(href.toString());
    });
  }, true);

  // Destructive actions are confirmed in a modal: App Bridge's s-modal inside Shopify, a <dialog> in demo mode.
  document.addEventListener("click", function (event) {
    var submit = event.target.closest("[data-submit]");
    if (submit) { document.getElementById(submit.dataset.submit).requestSubmit(); return; }
    var open = event.target.closest("[data-open]");
    if (open) { document.getElementById(open.dataset.open).showModal(); return; }
    var close = event.target.closest("[data-close]");
    if (close) close.closest("dialog").close();
  });

  // A reward's form shows only the fields that apply to its choices ([data-applies], from
  // catalogue.APPLIES_WHEN); a hidden choice counts as its default for the fields after it.
  function chosen(form, name) {
    var radio = form.querySelector('input[name="' + name + '"]:checked');
    if (radio) return radio.value;
    var list = form.querySelector('s-choice-list[name="' + name + '"]');
    if (!list) return "";
    if (list.values && list.values.length) return list.values[0];
    var selected = list.querySelector("s-choice[selected]");
    return selected ? selected.getAttribute("value") : "";
  }
  function disclose(form) {
    var values = {};
    form.querySelectorAll("[data-applies]").forEach(function (box) {
      var when = JSON.parse(box.dataset.applies);
      box.hidden = !Object.keys(when).every(function (name) {
        return when[name].indexOf(name in values ? values[name] : chosen(form, name)) >= 0;
      });
      if (box.hidden) values[box.dataset.field] = box.dataset.default;
    });
  }
  document.querySelectorAll("form[data-disclose]").forEach(function (form) {
    // Capture: Polaris' choice lists need not bubble their change.
    form.addEventListener("change", function () { disclose(form); }, true);
    disclose(form);
  });

  // Inside Shopify a free product is chosen in App Bridge's resource picker: its product, its
  // variant when only one was picked, and what the storefront shows of it fill the form.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-pick-product]");
    if (!button || !window.shopify || !window.shopify.resourcePicker) return;
    var box = button.closest("[data-product-picker]");
    function set(name, value) { box.querySelector('input[name="' + name + '"]').value = value || ""; }
    var current = box.querySelector('input[name="product_gid"]').value;
    window.shopify.resourcePicker({ type: "product", action: "select", multiple: false,
                                    selectionIds: current ? [{ id: current }] : [] })
      .then(function (selected) {
        if (!selected || !selected.length) return;  // cancelled
        var product = selected[0], variants = product.variants || [], image = (product.images || [])[0];
        set("product_gid", product.id);
        set("variant_gid", variants.length === 1 ? variants[0].id : "");
        set("product_title", product.title);
        set("product_handle", product.handle);
        set("product_image_url", image ? image.originalSrc || image.url : "");
        box.querySelector("[data-product-title]").textContent = product.title;
        box.closest("form").dispatchEvent(new Event("change", { bubbles: true }));
      });
  });

  var sent = new WeakSet();
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A second click while the first post is on its way would only meet the used form token.
    if (form.method === "post" && sent.has(form)) { event.preventDefault(); return; }
    if (form.method === "post") sent.add(form);
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
  // On a phone each table row becomes a small card: every cell names its column (admin.css).
  document.querySelectorAll(".table-wrap table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.tHead.rows[0].cells, function (cell) { return cell.textContent.trim(); });
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, i) { if (heads[i]) cell.dataset.label = heads[i]; });
    });
  });

  document.querySelectorAll("[data-job-url]").forEach(function (block) {
    if (block.dataset.status === "queued" || block.dataset.status === "running") poll(block);
  });
})();
