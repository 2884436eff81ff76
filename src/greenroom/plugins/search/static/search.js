// Suggestions for the header's search box, following the ARIA combobox pattern: the input keeps focus,
// arrows move through the options (aria-activedescendant), Enter opens the active one (or submits the form),
// Escape closes the list (and clears the box when it is already closed). Without this script the box is a
// plain GET form to /search.
(function () {
  "use strict";

  function setup(form) {
    var input = form.querySelector('[role="combobox"]');
    var list = form.querySelector('[role="listbox"]');
    var status = form.querySelector('[role="status"]');
    if (!input || !list || form.dataset.searchReady) return;
    form.dataset.searchReady = "1";
    var timer = null;
    var controller = null;
    var active = -1;

    function options() { return Array.prototype.slice.call(list.querySelectorAll('[role="option"]')); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function load() {
      var term = input.value;
      if (!term.trim()) { close(); list.innerHTML = ""; return; }
      if (controller) controller.abort();
      controller = new AbortController();
      fetch("/search/suggest?query=" + encodeURIComponent(term), {
        headers: { accept: "text/html" }, signal: controller.signal, credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.text() : "";
      }).then(function (html) {
        if (input.value !== term) return;  // typed on meanwhile: a newer request will answer
        list.innerHTML = html;  // rendered and escaped by the server
        var count = options().filter(function (o) { return o.id !== "global-search-option-all"; }).length;
        active = -1;
        input.removeAttribute("aria-activedescendant");
        list.hidden = options().length === 0;
        input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
        if (status) status.textContent = count ? count + " suggestions" : "No suggestions";
      }).catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { if (options().length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } else { load(); return; } }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        var all = options();
        if (!list.hidden && active >= 0 && all[active]) {
          event.preventDefault();
          window.location.assign(all[active].getAttribute("href"));
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); } else { input.value = ""; }
      }
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep focus in the box
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("focus", function () { if (input.value.trim() && options().length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } });
    document.addEventListener("keydown", function (event) {
      // "/" focuses the search box, as on many developer sites, unless someone is typing somewhere.
      var target = event.target;
      if (event.key === "/" && !(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
          target instanceof HTMLSelectElement || (target && target.isContentEditable))) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  function init() { document.querySelectorAll("[data-search-box]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
