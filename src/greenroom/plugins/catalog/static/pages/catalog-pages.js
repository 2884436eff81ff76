// Progressive enhancement for the catalog pages: every feature works without this file.
(function () {
  "use strict";
  // The copy button stays hidden without JavaScript; the YAML is then a plain, selectable <pre>.
  function setUpCopy(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      const source = document.getElementById(button.getAttribute("data-copy-target"));
      const status = button.closest("section") && button.closest("section").querySelector("[data-copy-status]");
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent || "").then(function () {
          if (status) status.textContent = "Copied to the clipboard";
          button.setAttribute("data-copied", "true");
        }, function () {
          if (status) status.textContent = "Copying failed; select the text and copy it instead";
        });
      });
    });
  }
  // Filters left at "All" would otherwise fill the pushed URL with empty parameters (q=&kind=&...).
  document.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt;
    if (!form || !form.classList || !form.classList.contains("gr-filters")) return;
    const params = event.detail.parameters;
    const drop = [];
    const keys = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (key) {
      const value = params instanceof FormData ? params.getAll(key) : [].concat(params[key]);
      if (value.every(function (v) { return v === "" || (key === "size" && v === "25"); })) drop.push(key);
    });
    drop.forEach(function (key) { if (params instanceof FormData) params.delete(key); else delete params[key]; });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpCopy(document); });
  } else {
    setUpCopy(document);
  }
})();
