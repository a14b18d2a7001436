// Supportdesk customer chat (protocol v1, see README "Chat protocol").
// Consent first; messages kept in an outbox until the server acknowledges
// them, and resent after a reconnect; every text is shown with textContent.
(function () {
  "use strict";
  var script = document.currentScript;
  var T = JSON.parse(document.getElementById("chat-strings").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var storage = window.sessionStorage;
  var TOKEN_KEY = "supportdesk.conversation";
  var OUTBOX_KEY = "supportdesk.outbox";

  var socket = null;
  var attempt = 0;
  // What this page shows: after a reload the page is empty, so the history starts at 0.
  var lastSeq = 0;
  var policyVersion = null;
  var ready = false;

  function outbox() { return JSON.parse(storage.getItem(OUTBOX_KEY) || "[]"); }
  function saveOutbox(items) { storage.setItem(OUTBOX_KEY, JSON.stringify(items)); }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function status(text) { $("chat-status").textContent = text; }
  function notice(text) { $("chat-notice").textContent = text || ""; }

  // Rendering ------------------------------------------------------------------------
  function renderMessage(message) {
    if (message.seq && message.seq <= lastSeq) { return; }
    if (message.seq) { lastSeq = message.seq; }
    if (message.from === "agent") { $("chat-typing").textContent = ""; }
    var item = document.createElement("li");
    item.className = "msg msg-" + message.from;
    item.dataset.seq = message.seq;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = T["from_" + message.from] || message.from;
    var text = document.createElement("p");
    text.textContent = message.text;
    item.appendChild(who);
    item.appendChild(text);
    if (message.suggestions && message.suggestions.length) {
      var list = document.createElement("div");
      list.className = "suggestions";
      message.suggestions.forEach(function (title) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = title;
        button.addEventListener("click", function () { submitText(title); });
        list.appendChild(button);
      });
      item.appendChild(list);
    } else if (message.from === "bot") {
      item.appendChild(feedbackButtons(message.seq));
    }
    $("chat-log").appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function feedbackButtons(seq) {
    var box = document.createElement("div");
    box.className = "feedback";
    [[true, T.helpful], [false, T.notHelpful]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = pair[1];
      button.addEventListener("click", function () {
        if (send({ type: "feedback", seq: seq, helpful: pair[0] })) { box.textContent = T.thanksFeedback; }
      });
      box.appendChild(button);
    });
    return box;
  }

  function renderPending() {
    document.querySelectorAll(".msg-pending").forEach(function (el) { el.remove(); });
    outbox().forEach(function (entry) {
      var item = document.createElement("li");
      item.className = "msg msg-customer msg-pending";
      item.dataset.clientId = entry.id;
      var text = document.createElement("p");
      text.textContent = entry.text;
      var state = document.createElement("span");
      state.className = "who";
      state.textContent = T.sending;
      item.appendChild(state);
      item.appendChild(text);
      $("chat-log").appendChild(item);
    });
  }

  function showState(frame) {
    var consent = frame.consent, identify = frame.identify;
    policyVersion = consent.policy_version;
    var needsConsent = consent.required;
    $("consent-panel").hidden = !needsConsent;
    if (needsConsent) {
      $("consent-title").textContent = consent.title || "";
      $("consent-summary").textContent = consent.summary || "";
      if (consent.policy_url) { $("consent-link").href = consent.policy_url; }
      var purposes = $("consent-purposes");
      purposes.textContent = "";
      consent.purposes.forEach(function (purpose) {
        var li = document.createElement("li");
        li.textContent = T["purpose_" + purpose] || purpose;
        purposes.appendChild(li);
      });
    }
    var needsIdentity = !needsConsent && identify.required;
    $("identify-form").hidden = !needsIdentity;
    if (needsIdentity) { buildIdentifyFields(identify.fields); }
    ready = !needsConsent && !needsIdentity;
    $("composer").hidden = !ready;
    if (ready) { flushOutbox(); }
  }

  function buildIdentifyFields(fields) {
    var box = $("identify-fields");
    if (box.dataset.fields === fields.join(",")) { return; }
    box.dataset.fields = fields.join(",");
    box.textContent = "";
    fields.forEach(function (name) {
      var p = document.createElement("p");
      var label = document.createElement("label");
      label.htmlFor = "identify-" + name;
      label.textContent = T["field_" + name] || name;
      var input = document.createElement("input");
      input.id = "identify-" + name;
      input.name = name;
      input.required = true;
      input.type = name === "email" ? "email" : (name === "phone" ? "tel" : "text");
      input.autocomplete = name === "name" ? "name" : (name === "email" ? "email" : "tel");
      p.appendChild(label);
      p.appendChild(input);
      box.appendChild(p);
    });
  }

  var typingTimer = null, lastTypingSent = 0;
  function showTyping() {
    $("chat-typing").textContent = T.agentTyping;
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { $("chat-typing").textContent = ""; }, 4000);
  }

  function showRating() {
    var buttons = $("rating-buttons");
    $("rating-question").textContent = T.ratingQuestion;
    buttons.textContent = "";
    [1, 2, 3, 4, 5].forEach(function (score) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = String(score);
      button.setAttribute("aria-label", T.ratingLabel.replace("%(score)s", score));
      button.addEventListener("click", function () { send({ type: "rating", score: score }); });
      buttons.appendChild(button);
    });
    $("rating").hidden = false;
  }

  // Sending --------------------------------------------------------------------------
  function submitText(text) {
    text = text.trim();
    if (!text) { return; }
    var items = outbox();
    var entry = { id: newId(), text: text };
    items.push(entry);
    saveOutbox(items);
    renderPending();
    if (ready) { send({ type: "message", id: entry.id, text: entry.text }); }
  }

  function flushOutbox() {
    outbox().forEach(function (entry) { send({ type: "message", id: entry.id, text: entry.text }); });
  }

  function acknowledged(clientId) {
    saveOutbox(outbox().filter(function (entry) { return entry.id !== clientId; }));
    renderPending();
  }

  // Frames ---------------------------------------------------------------------------
  function onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        attempt = 0;
        storage.setItem(TOKEN_KEY, frame.conversation);
        if (!frame.resumed) { lastSeq = 0; $("chat-log").textContent = ""; }
        status(T.connected);
        frame.history.forEach(renderMessage);
        renderPending();
        showState(frame);
        if (frame.status === "waiting") { notice(T.waiting); }
        break;
      case "consent.accepted":
      case "identified":
        notice("");
        showState(frame);
        break;
      case "consent.withdrawn":
        // Nothing of this chat stays on the device after withdrawal (TDDDG § 25).
        storage.removeItem(TOKEN_KEY);
        storage.removeItem(OUTBOX_KEY);
        notice(frame.detail);
        showState(frame);
        break;
      case "consent.declined":
        notice(frame.detail);
        if (frame.consent) { showState(frame); } else { $("consent-panel").hidden = true; }
        break;
      case "ack":
        // The server stored the message: its echo (with seq) replaces the pending bubble.
        var pending = outbox().filter(function (entry) { return entry.id === frame.id; })[0];
        acknowledged(frame.id);
        if (pending) { renderMessage({ seq: frame.seq, from: "customer", text: pending.text }); }
        break;
      case "message":
        renderMessage(frame);
        break;
      case "status":
        if (frame.status === "waiting") { notice(T.waiting); }
        else if (frame.status === "assigned") { notice(frame.agent ? T.assignedTo.replace("%(agent)s", frame.agent) : T.assigned); }
        else if (frame.status === "resolved") { notice(T.resolved); }
        break;
      case "typing":
        if (frame.from === "agent") { showTyping(); }
        break;
      case "csat.request":
        showRating();
        break;
      case "rating.recorded":
        $("rating-buttons").textContent = "";
        $("rating-question").textContent = T.ratingThanks;
        break;
      case "error":
        if (frame.code === "invalid_identity" || frame.code === "identity_incomplete") {
          $("identify-error").textContent = frame.detail;
        } else {
          notice(frame.detail);
        }
        if (frame.id && ["text_too_long", "empty_text", "missing_field", "invalid_text", "invalid_frame"].indexOf(frame.code) >= 0) {
          acknowledged(frame.id);  // refused for good: resending cannot help
        }
        break;
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + script.dataset.socketPath);
    socket.addEventListener("open", function () {
      send({ type: "hello", conversation: storage.getItem(TOKEN_KEY), lang: script.dataset.lang, since: lastSeq });
    });
    socket.addEventListener("message", function (event) { onFrame(JSON.parse(event.data)); });
    socket.addEventListener("close", function () {
      status(T.reconnecting);
      attempt += 1;
      var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      window.setTimeout(connect, delay);
    });
  }

  // Wiring ---------------------------------------------------------------------------
  $("consent-accept").addEventListener("click", function () {
    send({ type: "consent", accept: true, policy_version: policyVersion });
  });
  $("consent-decline").addEventListener("click", function () { send({ type: "consent", accept: false }); });
  $("identify-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var frame = { type: "identify" };
    $("identify-fields").querySelectorAll("input").forEach(function (input) { frame[input.name] = input.value.trim(); });
    $("identify-error").textContent = "";
    send(frame);
  });
  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    submitText($("composer-text").value);
    $("composer-text").value = "";
  });
  $("composer-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
  });
  $("composer-text").addEventListener("input", function () {
    var now = Date.now();
    if (ready && now - lastTypingSent > 2000) { lastTypingSent = now; send({ type: "typing" }); }
  });
  $("escalate").addEventListener("click", function () { send({ type: "escalate" }); });
  $("withdraw").addEventListener("click", function () { send({ type: "withdraw_consent" }); });

  status(T.connecting);
  connect();
})();
