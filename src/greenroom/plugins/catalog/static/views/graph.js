// Pan and zoom for the server-drawn relations graph. The SVG already works without this file (nodes are
// links, the canvas scrolls); here the canvas gets a viewBox camera driven by wheel, drag, buttons and keys.
// A drag must not end in navigation, so a click that follows a drag is swallowed.
(function () {
  "use strict";
  if (window.greenroomGraph) { window.greenroomGraph.scan(document); return; }

  function setup(canvas) {
    if (canvas.getAttribute("data-gr-ready")) { return; }
    canvas.setAttribute("data-gr-ready", "1");
    var svg = canvas.querySelector("svg");
    var full = svg.viewBox.baseVal;
    var home = { x: full.x, y: full.y, w: full.width, h: full.height };
    var view = null;
    canvas.classList.add("gr-graph-interactive");
    canvas.querySelector(".gr-graph-zoom").hidden = false;
    svg.removeAttribute("width");
    svg.removeAttribute("height");

    function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
    function fit() {
      // Never magnify a small graph beyond its natural size: text would get huge.
      var box = canvas.getBoundingClientRect();
      var scale = Math.max(home.w / Math.max(box.width, 1), home.h / Math.max(box.height, 1), 1);
      var w = box.width * scale, h = box.height * scale;
      view = { x: home.x - (w - home.w) / 2, y: home.y - (h - home.h) / 2, w: w, h: h };
      apply();
    }
    function zoom(factor, cx, cy) {
      var w = Math.min(Math.max(view.w * factor, 80), home.w * 20 + 2000);
      var real = w / view.w;
      cx = cx === undefined ? view.x + view.w / 2 : cx;
      cy = cy === undefined ? view.y + view.h / 2 : cy;
      view = { x: cx - (cx - view.x) * real, y: cy - (cy - view.y) * real, w: w, h: view.h * real };
      apply();
    }
    function pan(dx, dy) { view.x += dx; view.y += dy; apply(); }
    function toGraph(clientX, clientY) {
      var box = svg.getBoundingClientRect();
      return { x: view.x + (clientX - box.left) / box.width * view.w, y: view.y + (clientY - box.top) / box.height * view.h };
    }

    fit();
    canvas.addEventListener("wheel", function (event) {
      event.preventDefault();
      var at = toGraph(event.clientX, event.clientY);
      zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, at.x, at.y);
    }, { passive: false });

    var drag = null, dragged = false;
    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || event.target.closest("button")) { return; }
      drag = { x: event.clientX, y: event.clientY, id: event.pointerId };
      dragged = false;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) { return; }
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 5) { return; }
      if (!dragged) { canvas.setPointerCapture(event.pointerId); canvas.classList.add("gr-dragging"); }
      dragged = true;
      var box = svg.getBoundingClientRect();
      pan(-dx * view.w / box.width, -dy * view.h / box.height);
      drag.x = event.clientX;
      drag.y = event.clientY;
    });
    function endDrag() { drag = null; canvas.classList.remove("gr-dragging"); }
    canvas.addEventListener("pointerup", endDrag);
    canvas.addEventListener("pointercancel", endDrag);
    canvas.addEventListener("click", function (event) {
      if (dragged) { event.preventDefault(); event.stopPropagation(); dragged = false; }
    }, true);

    canvas.querySelector(".gr-graph-zoom").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-zoom]");
      if (!button) { return; }
      var what = button.getAttribute("data-zoom");
      if (what === "in") { zoom(1 / 1.25); } else if (what === "out") { zoom(1.25); } else { fit(); }
    });
    canvas.addEventListener("keydown", function (event) {
      if (event.target !== canvas && !event.target.closest("a")) { return; }
      var step = view.w / 10, handled = true;
      if (event.key === "+" || event.key === "=") { zoom(1 / 1.25); }
      else if (event.key === "-") { zoom(1.25); }
      else if (event.key === "0") { fit(); }
      else if (event.target === canvas && event.key === "ArrowLeft") { pan(-step, 0); }
      else if (event.target === canvas && event.key === "ArrowRight") { pan(step, 0); }
      else if (event.target === canvas && event.key === "ArrowUp") { pan(0, -step); }
      else if (event.target === canvas && event.key === "ArrowDown") { pan(0, step); }
      else { handled = false; }
      if (handled) { event.preventDefault(); }
    });
    // Keep a node reached with Tab in view.
    canvas.addEventListener("focusin", function (event) {
      var node = event.target.closest && event.target.closest(".gr-graph-node");
      if (!node) { return; }
      var r = node.querySelector("rect"), x = r.x.baseVal.value, y = r.y.baseVal.value;
      if (x < view.x || y < view.y || x + r.width.baseVal.value > view.x + view.w || y + r.height.baseVal.value > view.y + view.h) {
        view.x = x + r.width.baseVal.value / 2 - view.w / 2;
        view.y = y + r.height.baseVal.value / 2 - view.h / 2;
        apply();
      }
    });
  }

  function scan(root) {
    var found = (root || document).querySelectorAll(".gr-graph-canvas");
    for (var i = 0; i < found.length; i++) { setup(found[i]); }
  }

  window.greenroomGraph = { scan: scan };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
