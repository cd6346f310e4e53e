// Renders ./openapi.yaml (the project's infra/openapi.yaml, copied beside this page) with the
// Swagger UI bundle beside it. A separate file, not an inline script, so the page works under
// a Content-Security-Policy without 'unsafe-inline' (S3 + CloudFront, say).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "./openapi.yaml",
    dom_id: "#reference",
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    // Calls made with "Try it out" go to the server chosen in the page (the local stack
    // first); the page never fetches anything from another origin by itself.
    validatorUrl: null,
  });
});
