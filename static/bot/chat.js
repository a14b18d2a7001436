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
  // The page's one polite live region: each announcement is a new line in it, so the
  // same text twice is still read twice, and nothing else on the page is live.
  function announce(text) {
    if (!text) { return; }
    var region = $("chat-announcer");
    var line = document.createElement("p");
    line.textContent = text;
    region.appendChild(line);
    while (region.childNodes.length > 3) { region.removeChild(region.firstChild); }
  }
  // Focus goes where the next step is; an element that is not a control gets tabindex -1.
  function focusOn(element) {
    if (!element) { return; }
    if (!element.matches("a, button, input, textarea, select")) { element.setAttribute("tabindex", "-1"); }
    element.focus();
  }
  var lastStatus = null;
  function status(text) {
    $("chat-status").textContent = text;
    // "Connected." after the first connect is not news, nor the same state again (each
    // retry); a lost connection and its return are.
    if (text !== lastStatus && text !== T.connecting && !(text === T.connected && lastStatus === T.connecting)) {
      announce(text);
    }
    lastStatus = text;
  }
  function notice(text) {
    $("chat-notice").textContent = text || "";
    announce(text);
  }

  // The follow-up offered while the customer waits: the team's answer by e-mail (asked
  // here) with a call back (on the follow-up form the server links to) as its other
  // choice, or the call back alone where no mailbox can send the answer. The server says
  // what can be offered and whether an address was left.
  // The offer comes from a <template>, into the page only while it is offered.
  function showFollowUp(frame) {
    var offer = frame.follow_up;
    var waiting = frame.status === "waiting" || frame.status === "assigned";
    var kind = "";
    if (waiting && offer && offer.available) { kind = "email"; }
    else if (waiting && offer && offer.call_back_url) { kind = "call-back"; }
    var slot = $("follow-up-slot");
    if ((slot.dataset.offer || "") !== kind) {
      slot.textContent = "";
      slot.dataset.offer = kind;
      if (kind) {
        slot.appendChild($(kind === "email" ? "follow-up-template" : "follow-up-call-back-template").content.cloneNode(true));
      }
      if (kind === "email") {
        $("follow-up-form").addEventListener("submit", function (event) {
          event.preventDefault();
          send({ type: "follow_up", email: $("follow-up-email").value.trim(), consent: $("follow-up-consent").checked });
        });
      }
    }
    if (kind && offer.call_back_url) {
      // Signed with a time limit: the newest link the server sent.
      $("follow-up-call-back").href = offer.call_back_url;
      $("follow-up-call-back").parentNode.hidden = false;
    }
    $("follow-up-done").hidden = !(waiting && offer && offer.left);
  }

  // Rendering ------------------------------------------------------------------------
  // live: announce it (a message arriving now, not history replayed on connect).
  function renderMessage(message, live) {
    if (message.seq && message.seq <= lastSeq) { return; }
    if (message.seq) { lastSeq = message.seq; }
    if (message.from === "agent") { $("chat-typing").textContent = ""; }
    var item = document.createElement("li");
    item.className = "msg msg-" + message.from;
    item.dataset.seq = message.seq;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = T["from_" + message.from] || message.from;
    var text;
    if (typeof message.html === "string") {
      // The server's rendering of the answer's markdown subset (links, bold, lists), with
      // everything else escaped (platform_core/answer_markup.py): never the raw text.
      text = document.createElement("div");
      text.className = "text";
      text.innerHTML = message.html;
    } else {
      text = document.createElement("p");
      text.textContent = message.text;
    }
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
    // Keep the message box on screen after an answer (phones scroll it away otherwise).
    if (!$("composer").hidden) { $("composer").scrollIntoView({ block: "nearest" }); }
    // Who and what, once; never the suggestion or feedback buttons.
    if (live) { announce(who.textContent + ": " + text.textContent); }
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
        if (send({ type: "feedback", seq: seq, helpful: pair[0] })) {
          // The buttons go; focus goes to the confirmation that replaced them.
          box.textContent = T.thanksFeedback;
          focusOn(box);
          announce(T.thanksFeedback);
        }
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

  // moveFocus: after the customer's own step, focus goes to the next one.
  function showState(frame, moveFocus) {
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
      // Optional purposes: a checkbox each, unticked; "I agree" sends the ticked ones.
      var optional = $("consent-optional-purposes"), offered = consent.optional_purposes || [];
      optional.textContent = "";
      offered.forEach(function (purpose) {
        var label = document.createElement("label"), box = document.createElement("input");
        box.type = "checkbox";
        box.name = "purpose";
        box.value = purpose;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + (T["purpose_" + purpose] || purpose)));
        optional.appendChild(label);
      });
      $("consent-optional").hidden = offered.length === 0;
    }
    showPurposeSettings(consent, needsConsent);
    var needsIdentity = !needsConsent && identify.required;
    $("identify-form").hidden = !needsIdentity;
    if (needsIdentity) { buildIdentifyFields(identify.fields); }
    ready = !needsConsent && !needsIdentity;
    $("composer").hidden = !ready;
    if (ready) { flushOutbox(); }
    if (moveFocus) {
      if (needsConsent) { focusOn($("consent-title")); }
      else if (needsIdentity) { focusOn($("identify-fields").querySelector("input")); }
      else if (ready) { focusOn($("composer-text")); }
    }
  }

  // Once consented: each optional purpose as a box showing what the consent covers now;
  // (un)ticking it changes only that purpose, the chat goes on (Art. 7(3) GDPR).
  function showPurposeSettings(consent, needsConsent) {
    var offered = consent.optional_purposes || [], granted = consent.granted_purposes || [];
    var settings = $("purpose-settings"), boxes = $("purpose-boxes");
    settings.hidden = needsConsent || offered.length === 0;
    if (settings.hidden) { return; }
    // The boxes stay (and keep the keyboard focus) while only their state changes.
    if (boxes.dataset.offered === offered.join(" ")) {
      boxes.querySelectorAll("input").forEach(function (box) {
        box.checked = granted.indexOf(box.value) !== -1;
      });
      return;
    }
    boxes.dataset.offered = offered.join(" ");
    boxes.textContent = "";
    offered.forEach(function (purpose) {
      var label = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox";
      box.value = purpose;
      box.checked = granted.indexOf(purpose) !== -1;
      box.addEventListener("change", function () {
        // Not sent (no connection): the box shows what the consent still covers.
        if (!send({ type: "consent_purpose", purpose: purpose, granted: box.checked })) {
          box.checked = !box.checked;
        }
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + (T["purpose_" + purpose] || purpose)));
      boxes.appendChild(label);
    });
  }

  // Field-level errors: aria-invalid and a message linked by aria-describedby.
  function clearFieldErrors() {
    $("identify-fields").querySelectorAll("input").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      var message = $(input.id + "-error");
      if (message) { message.remove(); }
    });
  }
  function showFieldErrors(fields) {
    clearFieldErrors();
    var first = null;
    Object.keys(fields).forEach(function (name) {
      var input = $("identify-" + name);
      if (!input) { return; }
      var message = document.createElement("span");
      message.id = input.id + "-error";
      message.className = "field-error error";
      message.textContent = (fields[name] && fields[name].length) ? fields[name].join(" ") : T.fieldInvalid;
      input.insertAdjacentElement("afterend", message);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", message.id);
      first = first || input;
    });
    return first;
  }
  function identifyError(frame) {
    $("identify-error").textContent = frame.detail;
    var fields = frame.fields || {};
    if (frame.code === "identity_incomplete") {
      // The server names no field here: the empty ones are the missing ones.
      fields = {};
      $("identify-fields").querySelectorAll("input").forEach(function (input) {
        if (!input.value.trim()) { fields[input.name] = [T.fieldRequired]; }
      });
    }
    var first = showFieldErrors(fields);
    announce(frame.detail);
    focusOn(first || $("identify-fields").querySelector("input"));
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
        // The server's disclosure (AI Act) in the conversation's language replaces the
        // page's copy: a resumed conversation may be in another language than the page.
        if (frame.disclosure) { $("chat-disclosure").textContent = frame.disclosure; }
        frame.history.forEach(renderMessage);
        renderPending();
        showState(frame);
        // The server words it like its hand-over message (say, when the team is back).
        if (frame.status === "waiting") { notice(frame.notice || T.waiting); }
        showFollowUp(frame);
        break;
      case "follow_up.recorded":
        showFollowUp(frame);
        announce($("follow-up-done").textContent);
        break;
      case "consent.accepted":
      case "identified":
        notice("");
        clearFieldErrors();
        showState(frame, true);
        break;
      case "consent.updated":
        showState(frame);
        announce(T.purposeSaved);
        break;
      case "consent.withdrawn":
        // Nothing of this chat stays on the device after withdrawal (TDDDG § 25).
        storage.removeItem(TOKEN_KEY);
        storage.removeItem(OUTBOX_KEY);
        notice(frame.detail);
        showState(frame, true);
        break;
      case "consent.declined":
        notice(frame.detail);
        if (frame.consent) { showState(frame); } else { $("consent-panel").hidden = true; }
        if ($("consent-panel").hidden) { focusOn($("chat-notice")); }
        break;
      case "ack":
        // The server stored the message: its echo (with seq) replaces the pending bubble.
        var pending = outbox().filter(function (entry) { return entry.id === frame.id; })[0];
        acknowledged(frame.id);
        if (pending) { renderMessage({ seq: frame.seq, from: "customer", text: pending.text }, true); }
        break;
      case "message":
        renderMessage(frame, true);
        break;
      case "status":
        if (frame.follow_up || ["waiting", "assigned"].indexOf(frame.status) < 0) { showFollowUp(frame); }
        if (frame.status === "waiting") { notice(frame.notice || T.waiting); }
        else if (frame.status === "assigned") { notice(frame.agent ? T.assignedTo.replace("%(agent)s", frame.agent) : T.assigned); }
        else if (frame.status === "resolved") { notice(T.resolved); }
        break;
      case "typing":
        if (frame.from === "agent") { showTyping(); }
        break;
      case "csat.request":
        showRating();
        announce(T.ratingQuestion);
        break;
      case "rating.recorded":
        $("rating-buttons").textContent = "";
        $("rating-question").textContent = T.ratingThanks;
        focusOn($("rating-question"));
        announce(T.ratingThanks);
        break;
      case "error":
        if (frame.code === "invalid_identity" || frame.code === "identity_incomplete") {
          identifyError(frame);
        } else if ($("follow-up-form") && ["invalid_email", "follow_up_consent_required", "follow_up_unavailable"].indexOf(frame.code) >= 0) {
          $("follow-up-error").textContent = frame.detail;
          focusOn($("follow-up-email"));
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
    var chosen = [];
    $("consent-optional-purposes").querySelectorAll("input:checked").forEach(function (box) { chosen.push(box.value); });
    send({ type: "consent", accept: true, policy_version: policyVersion, purposes: ["support_chat"].concat(chosen) });
  });
  $("consent-decline").addEventListener("click", function () { send({ type: "consent", accept: false }); });
  $("identify-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var frame = { type: "identify" };
    $("identify-fields").querySelectorAll("input").forEach(function (input) { frame[input.name] = input.value.trim(); });
    $("identify-error").textContent = "";
    clearFieldErrors();
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

  // In the widget's iframe, Escape closes the widget: the host page cannot see key
  // presses inside the frame, so the chat tells it (the message carries nothing else).
  if (document.body.classList.contains("embedded") && window.parent !== window) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.parent.postMessage({ type: "supportdesk:close" }, "*"); }
    });
  }

  status(T.connecting);
  connect();
})();
