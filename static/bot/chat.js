// Customer chat client (protocol v1, see README). This slice connects, says hello
// with the stored resume token, shows the history and reconnects with backoff.
(function () {
  "use strict";
  var script = document.currentScript;
  var statusEl = document.getElementById("chat-status");
  var logEl = document.getElementById("chat-log");
  var storageKey = "supportdesk.conversation";
  var lastSeq = 0;
  var attempt = 0;

  function render(message) {
    if (message.seq <= lastSeq) { return; }
    lastSeq = message.seq;
    var item = document.createElement("li");
    item.dataset.from = message.from;
    item.textContent = message.text;
    logEl.appendChild(item);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + script.dataset.socketPath);
    socket.addEventListener("open", function () {
      attempt = 0;
      socket.send(JSON.stringify({
        type: "hello", conversation: window.sessionStorage.getItem(storageKey),
        lang: script.dataset.lang, since: lastSeq
      }));
    });
    socket.addEventListener("message", function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "welcome") {
        window.sessionStorage.setItem(storageKey, frame.conversation);
        statusEl.textContent = script.dataset.textConnected;
        frame.history.forEach(render);
      } else if (frame.type === "message") {
        render(frame);
      } else if (frame.type === "error") {
        statusEl.textContent = frame.detail;
      }
    });
    socket.addEventListener("close", function () {
      statusEl.textContent = script.dataset.textReconnecting;
      attempt += 1;
      var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      window.setTimeout(connect, delay);
    });
  }
  connect();
})();
