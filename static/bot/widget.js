// Supportdesk chat widget: one <script> tag on any website (see README).
// Adds a button that opens the chat, served by Supportdesk, in an iframe:
// the host page never sees the conversation, and nothing is loaded from elsewhere.
// Open, the chat is a modal dialog: focus moves into it and stays there (Tab cycles
// between its close button and the chat), Escape or the close button closes it, and
// focus returns to the launcher.
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var lang = (script.dataset.lang || document.documentElement.lang || navigator.language || "de").slice(0, 2);
  var german = lang === "de";
  var entry = widgetEntry(script, german);
  var label = script.dataset.label || entry.label;
  // ASCII only: a host may serve or cache this file without a charset.
  var closeLabel = german ? "Chat schlie\u00dfen" : "Close chat";

  // data-entry="help" opens the help centre, "contact" the contact form, anything else
  // the chat; the pages link to each other, so every entry reaches the other two.
  function widgetEntry(tag, inGerman) {
    var entries = {
      chat: {path: "/chat/", label: inGerman ? "Chat mit dem Kundenservice" : "Chat with customer service"},
      help: {path: "/help/", label: inGerman ? "Hilfe-Center" : "Help centre"},
      contact: {path: "/contact/", label: inGerman ? "Kontakt" : "Contact us"}
    };
    return entries[tag.dataset.entry] || entries.chat;
  }

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-haspopup", "dialog");
  button.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:2147483000;padding:.7rem 1rem;" +
    "border:0;border-radius:2rem;background:#0b5cad;color:#fff;font:16px system-ui,sans-serif;cursor:pointer;" +
    "outline-offset:3px;";

  var dialog = null, frame = null, close = null;

  function isOpen() { return dialog && !dialog.hidden; }

  function build() {
    dialog = document.createElement("div");
    dialog.id = "supportdesk-chat-dialog";
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", label);
    dialog.style.cssText = "position:fixed;right:1rem;bottom:4.5rem;z-index:2147483000;width:min(24rem,calc(100vw - 2rem));" +
      "height:min(36rem,calc(100vh - 6rem));display:flex;flex-direction:column;border:1px solid #6b7480;" +
      "border-radius:.75rem;background:#fff;overflow:hidden;";
    close = document.createElement("button");
    close.type = "button";
    close.textContent = closeLabel;
    close.style.cssText = "align-self:flex-end;margin:.3rem;padding:.3rem .7rem;border:1px solid #6b7480;" +
      "border-radius:.25rem;background:#fff;color:#0b5cad;font:14px system-ui,sans-serif;cursor:pointer;";
    close.addEventListener("click", hide);
    close.addEventListener("keydown", function (event) {
      // Backwards from the first control: to the chat, not out of the dialog.
      if (event.key === "Tab" && event.shiftKey) { event.preventDefault(); frame.focus(); }
    });
    frame = document.createElement("iframe");
    // host: so that Supportdesk can explain a missing CHAT_WIDGET_ORIGINS entry instead
    // of the browser showing a broken frame.
    frame.src = origin + entry.path + "?embed=1&language=" + encodeURIComponent(lang) +
      "&host=" + encodeURIComponent(window.location.origin);
    frame.title = label;
    frame.style.cssText = "flex:1;width:100%;border:0;";
    // Tab past the end of the chat reaches this guard, which hands focus to the start.
    var guard = document.createElement("span");
    guard.tabIndex = 0;
    guard.addEventListener("focus", function () { close.focus(); });
    dialog.appendChild(close);
    dialog.appendChild(frame);
    dialog.appendChild(guard);
    button.setAttribute("aria-controls", dialog.id);
    document.body.appendChild(dialog);
  }

  function show() {
    if (!dialog) { build(); }
    dialog.hidden = false;
    dialog.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }

  function hide() {
    dialog.hidden = true;
    dialog.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  button.addEventListener("click", function () { if (isOpen()) { hide(); } else { show(); } });
  // Escape on the host side of the dialog (its close button).
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) { event.preventDefault(); hide(); }
  });
  // Escape inside the chat: the chat page tells its parent (only the chat's origin counts).
  window.addEventListener("message", function (event) {
    if (event.origin === origin && frame && event.source === frame.contentWindow &&
        event.data && event.data.type === "supportdesk:close" && isOpen()) { hide(); }
  });
  // Focus that reaches the host page any other way goes back to the dialog's first control.
  document.addEventListener("focusin", function (event) {
    if (isOpen() && !dialog.contains(event.target)) { close.focus(); }
  });
  document.body.appendChild(button);
})();
