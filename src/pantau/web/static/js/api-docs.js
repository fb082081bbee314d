// Starts Swagger UI on /docs, on the schema the page names (`data-schema`). A file of its own rather than an inline
// script: the pages' Content-Security-Policy runs scripts from this server only.
(function () {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.schema,
    domNode: root,
    deepLinking: true,
    // The validator badge would send the schema's address to validator.swagger.io.
    validatorUrl: null,
  });
})();
