// Inside the sandboxed frame: wait for the spec from the embedding tab, then render it with swagger-ui.
// Configured to stay offline: no validator badge, no "Try it out" (requests would go to the spec's servers),
// no URL or query-string config, and markdown keeps swagger-ui's DOMPurify sanitising (useUnsafeMarkdown off).
(function () {
  "use strict";
  var parentWindow = window.parent;
  var rendered = false;

  function tell(message) {
    // The embedding page's origin is unknown to an opaque-origin frame; nothing secret is ever sent.
    if (parentWindow && parentWindow !== window) { parentWindow.postMessage(message, "*"); }
  }

  function reportHeight() {
    tell({ type: "greenroom-openapi-height", height: Math.ceil(document.documentElement.scrollHeight) });
  }

  function render(spec, theme) {
    document.documentElement.setAttribute("data-theme", theme === "dark" ? "dark" : "light");
    try {
      window.SwaggerUIBundle({
        domNode: document.getElementById("swagger-ui"),
        spec: spec,
        validatorUrl: null,
        supportedSubmitMethods: [],
        tryItOutEnabled: false,
        deepLinking: false,
        queryConfigEnabled: false,
        useUnsafeMarkdown: false,
        withCredentials: false,
        displayRequestDuration: false,
        defaultModelsExpandDepth: 1,
        docExpansion: "list",
        presets: [window.SwaggerUIBundle.presets.apis],
        plugins: [],
        layout: "BaseLayout",
        // Belt and braces next to the CSP's connect-src 'none': refuse any request swagger-ui might make.
        requestInterceptor: function () { throw new Error("requests are disabled in the catalog viewer"); },
        onComplete: function () { tell({ type: "greenroom-openapi-rendered" }); reportHeight(); }
      });
      rendered = true;
    } catch (error) {
      tell({ type: "greenroom-openapi-error", message: String(error && error.message || error) });
    }
  }

  window.addEventListener("message", function (event) {
    if (event.source !== parentWindow || rendered) { return; }
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "greenroom-openapi-spec" || typeof data.spec !== "object") {
      return;
    }
    render(data.spec, data.theme);
  });

  if (window.ResizeObserver) {
    new ResizeObserver(reportHeight).observe(document.body);
  } else {
    setInterval(reportHeight, 1000);
  }
  tell({ type: "greenroom-openapi-ready" });
})();
