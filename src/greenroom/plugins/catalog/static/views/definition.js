// The "Definition" tab's half of the OpenAPI viewer: fetch the spec from the portal (same origin, with the
// viewer's session) and hand it to the sandboxed swagger-ui frame, which has an opaque origin and may not
// fetch anything itself. The frame reports its height so the tab grows with the document.
(function () {
  "use strict";
  if (window.greenroomDefinitionViewer) { window.greenroomDefinitionViewer.scan(document); return; }

  function theme() {
    var chosen = document.documentElement.getAttribute("data-theme") || "system";
    if (chosen === "system") {
      return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    }
    return chosen;
  }

  function setup(box) {
    if (box.getAttribute("data-gr-ready")) { return; }
    box.setAttribute("data-gr-ready", "1");
    var frame = box.querySelector("iframe");
    var status = box.querySelector(".gr-openapi-status");
    var spec = null;
    var frameReady = false;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("gr-error", !!isError);
      status.hidden = !text;
    }
    function deliver() {
      if (spec === null || !frameReady) { return; }
      // The sandboxed frame's origin is opaque ("null"), so "*" is the only target origin that reaches it;
      // the message goes to this very frame's window, never to whoever else might be listening.
      frame.contentWindow.postMessage({ type: "greenroom-openapi-spec", spec: spec, theme: theme() }, "*");
    }

    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow || !event.data || typeof event.data !== "object") { return; }
      if (event.data.type === "greenroom-openapi-ready") { frameReady = true; deliver(); }
      if (event.data.type === "greenroom-openapi-height" && typeof event.data.height === "number") {
        frame.style.height = Math.min(Math.max(event.data.height, 240), 50000) + "px";
      }
      if (event.data.type === "greenroom-openapi-rendered") { say(""); }
      if (event.data.type === "greenroom-openapi-error") {
        say("The viewer could not render this definition: " + String(event.data.message || "unknown error"), true);
      }
    });
    // The listener is in place before the frame starts loading, so its "ready" message cannot be missed.
    frame.src = box.getAttribute("data-frame-src");

    fetch(box.getAttribute("data-spec-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body && body.error ? body.error : "HTTP " + response.status); }
          return body;
        });
      })
      .then(function (body) { spec = body; say("Rendering…"); deliver(); })
      .catch(function (error) { say("The definition could not be loaded: " + error.message, true); });
  }

  function scan(root) {
    var boxes = (root || document).querySelectorAll("[data-gr-openapi]");
    for (var i = 0; i < boxes.length; i++) { setup(boxes[i]); }
  }

  window.greenroomDefinitionViewer = { scan: scan };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  // Tabs swapped in by htmx bring their own viewer boxes.
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
