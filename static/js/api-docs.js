/* Starts Swagger UI on the API's reference page (a static file: the CSP forbids inline scripts). */
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
  var fallback = document.getElementById("api-docs-fallback");
  if (fallback) { fallback.hidden = true; }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-url"),
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    validatorUrl: null
  });
})();
