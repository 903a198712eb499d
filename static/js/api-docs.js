// Starts Swagger UI on the API documentation page. A file, not an inline script: the
// Content-Security-Policy allows scripts from this site only.
window.addEventListener("load", function () {
  var target = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: target.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    docExpansion: "list",
    defaultModelsExpandDepth: 0
  });
});
