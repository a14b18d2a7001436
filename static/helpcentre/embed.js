// In the widget's iframe, Escape closes the widget (as in the chat, bot/chat.js): the host
// page cannot see key presses inside the frame, so the page tells it; nothing else is sent.
(function () {
  "use strict";
  if (document.body.classList.contains("embedded") && window.parent !== window) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.parent.postMessage({type: "supportdesk:close"}, "*"); }
    });
  }
})();
