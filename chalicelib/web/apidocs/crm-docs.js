// Starts the vendored Swagger UI on this API's OpenAPI document. A separate
// file (not an inline script) so the page's Content-Security-Policy can
// allow scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#api-docs",
    deepLinking: true,
    validatorUrl: null, // never send the document to an outside validator
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
  });
});
