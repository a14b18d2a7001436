"use strict";
// Swagger UI puts a deep link inside each operation's toggle button: a link in a button is
// announced twice and is a second, tiny tab stop. The button alone opens the operation, so the
// inner link loses its href (it stays as text). Only attributes change: React keeps its nodes.
(function () {
  function unlinkNestedLinks(root) {
    root.querySelectorAll(".opblock-summary-control a[href]").forEach(function (link) {
      link.removeAttribute("href");
    });
  }
  var root = document.getElementById("swagger-ui");
  new MutationObserver(function () { unlinkNestedLinks(root); })
    .observe(root, { childList: true, subtree: true });
})();
