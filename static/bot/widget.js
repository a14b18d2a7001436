// Supportdesk chat widget: one <script> tag on any website (see README).
// Adds a button that opens the chat, served by Supportdesk, in an iframe:
// the host page never sees the conversation, and nothing is loaded from elsewhere.
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var lang = script.dataset.lang || (navigator.language || "de").slice(0, 2);
  var label = script.dataset.label || (lang === "de" ? "Chat mit dem Kundenservice" : "Chat with customer service");

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:2147483000;padding:.7rem 1rem;" +
    "border:0;border-radius:2rem;background:#0b5cad;color:#fff;font:16px system-ui,sans-serif;cursor:pointer;";

  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + "/chat/?embed=1&language=" + encodeURIComponent(lang);
      frame.title = label;
      frame.style.cssText = "position:fixed;right:1rem;bottom:4.5rem;z-index:2147483000;width:min(24rem,calc(100vw - 2rem));" +
        "height:min(36rem,calc(100vh - 6rem));border:1px solid #dde1e6;border-radius:.75rem;background:#fff;";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
