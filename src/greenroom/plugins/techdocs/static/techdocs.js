// TechDocs reader: in-page search over the site's MkDocs search index, and Mermaid diagrams.
// Docs HTML reaches the page sanitised; this file is the only script the docs page runs besides the shell's.
(function () {
  "use strict";

  function terms(text) {
    return text.toLowerCase().split(/[\s\-]+/).filter(function (t) { return t.length > 1; });
  }

  function setupSearch() {
    var layout = document.querySelector(".td-layout[data-search-index]");
    var form = document.querySelector("form[data-td-search]");
    if (!layout || !form) return;
    var input = form.querySelector("input");
    var list = form.querySelector(".td-search-results");
    var base = layout.getAttribute("data-docs-base");
    var index = null;
    var loading = null;

    function load() {
      if (!loading) {
        loading = fetch(layout.getAttribute("data-search-index"), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { docs: [] }; })
          .then(function (data) { index = (data && data.docs) || []; })
          .catch(function () { index = []; });
      }
      return loading;
    }

    function show() {
      var wanted = terms(input.value);
      list.textContent = "";
      if (!wanted.length || !index) { list.hidden = true; return; }
      var hits = [];
      index.forEach(function (doc) {
        var title = String(doc.title || "").toLowerCase();
        var text = String(doc.text || "").toLowerCase();
        var score = 0;
        for (var i = 0; i < wanted.length; i++) {
          var inTitle = title.indexOf(wanted[i]) >= 0;
          if (!inTitle && text.indexOf(wanted[i]) < 0) return;
          score += inTitle ? 5 : 1;
        }
        hits.push({ doc: doc, score: score });
      });
      hits.sort(function (a, b) { return b.score - a.score; });
      hits.slice(0, 12).forEach(function (hit) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        var location = String(hit.doc.location || "");
        // Only locations inside the site: an index is data from the docs folder like everything else.
        if (/^[a-z][a-z0-9+.-]*:|^\/|\.\./i.test(location)) return;
        a.href = base + location;
        a.textContent = String(hit.doc.title || location || "Home");
        var small = document.createElement("small");
        small.textContent = String(hit.doc.text || "").slice(0, 120);
        a.appendChild(small);
        li.appendChild(a);
        list.appendChild(li);
      });
      if (!list.children.length) {
        var none = document.createElement("li");
        none.textContent = "No results";
        list.appendChild(none);
      }
      list.hidden = false;
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); var first = list.querySelector("a"); if (first) first.focus(); });
    input.addEventListener("focus", load);
    input.addEventListener("input", function () { load().then(show); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { var first = list.querySelector("a"); if (first) { e.preventDefault(); first.focus(); } }
      if (e.key === "Escape") { input.value = ""; show(); }
    });
  }

  function dark() {
    var theme = document.documentElement.getAttribute("data-theme");
    if (theme === "dark") return true;
    if (theme === "light") return false;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function setupMermaid() {
    var nodes = document.querySelectorAll(".td-content pre.mermaid");
    if (!nodes.length || !window.mermaid) return;
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark() ? "dark" : "default" });
    window.mermaid.run({ nodes: nodes }).catch(function () { /* a broken diagram stays visible as its source */ });
  }

  document.addEventListener("DOMContentLoaded", function () { setupSearch(); setupMermaid(); });
})();
