// Agent inbox client: keeps the live connection to /ws/inbox/ and reconnects with backoff.
(function () {
  "use strict";
  var script = document.currentScript;
  var liveEl = document.getElementById("inbox-live");
  var attempt = 0;

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + script.dataset.socketPath);
    socket.addEventListener("message", function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "inbox.ready") {
        attempt = 0;
        liveEl.textContent = script.dataset.textLive;
      }
    });
    socket.addEventListener("close", function () {
      liveEl.textContent = script.dataset.textReconnecting;
      attempt += 1;
      window.setTimeout(connect, Math.min(30000, 500 * Math.pow(2, attempt)));
    });
  }
  connect();
})();
