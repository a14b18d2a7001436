// One conversation, live: the customer's messages and typing, colleagues' replies,
// notes and state changes arrive over the websocket; replies and notes are sent
// with the page's own forms (fetch, CSRF token included). Every text is set with
// textContent, so a customer's "<script>" stays text; a bot answer is the server's
// rendering of its markdown subset (platform_core/answer_markup.py), escaped otherwise.
// Messages stored between the page's rendering and the socket's join (or while it
// reconnects) are asked for with "resume" when conversation.ready says there are more.
(function () {
  "use strict";
  var script = document.currentScript;
  var T = JSON.parse(document.getElementById("conversation-strings").textContent);
  var state = JSON.parse(document.getElementById("conversation-state").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var lastSeq = state.last_seq;
  // The messages on the page by seq: a resumed one may arrive after a newer live one.
  var shown = {};
  Array.prototype.forEach.call(document.querySelectorAll("#transcript li[data-seq]"), function (item) {
    shown[item.dataset.seq] = true;
  });
  var socket = null;
  var attempt = 0;
  var typingTimer = null;
  var lastTypingSent = 0;
  // Times in the zone the server renders the page in (not the browser's) and figures in
  // the page's language, so live and rendered messages read alike.
  var lang = document.documentElement.lang || undefined;
  function dateFormat(options) {
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: state.time_zone }, options));
    } catch (error) {  // an unknown zone name: the browser's zone rather than nothing
      return new Intl.DateTimeFormat(lang, options);
    }
  }
  var timeFormat = dateFormat({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  var dateTimeFormat = dateFormat({ dateStyle: "short", timeStyle: "short" });
  var percentFormat = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  function percent(value) {
    return value === null || value === undefined ? "—" : percentFormat.format(value);
  }

  // The page's one polite live region: each announcement a new line, so none is lost
  // or merged, and nothing else on the page is live.
  function announce(text) {
    if (!text) { return; }
    var region = $("announcer");
    var line = document.createElement("p");
    line.textContent = text;
    region.appendChild(line);
    while (region.childNodes.length > 3) { region.removeChild(region.firstChild); }
  }
  function focusOn(element) {
    if (!element) { return; }
    if (!element.matches("a, button, input, textarea, select")) { element.setAttribute("tabindex", "-1"); }
    element.focus();
  }

  // The item before which a message with this seq belongs (null: at the end).
  function itemAfter(seq) {
    var items = $("transcript").querySelectorAll("li[data-seq]");
    for (var i = 0; i < items.length; i += 1) {
      if (Number(items[i].dataset.seq) > seq) { return items[i]; }
    }
    return null;
  }

  function appendMessage(frame) {
    if (frame.seq && shown[frame.seq]) { return; }
    if (frame.seq) { shown[frame.seq] = true; lastSeq = Math.max(lastSeq, frame.seq); }
    var item = document.createElement("li");
    item.className = "msg msg-" + frame.from;
    if (frame.seq) { item.dataset.seq = frame.seq; }
    var who = document.createElement("span");
    who.className = "who";
    var name = frame.from === "agent" && frame.agent_name ? frame.agent_name : (T["from_" + frame.from] || frame.from);
    var time = frame.sent_at ? new Date(frame.sent_at) : new Date();
    var why = frame.from === "bot" ? frame.explanation : null;
    who.textContent = name + " · " + timeFormat.format(time) +
      (why ? " · " + T.intent + " " + why.intent_title + ", " + T.confidence + " " + percent(why.confidence) : "");
    var text;
    if (frame.from === "bot" && typeof frame.html === "string") {
      // As the customer saw it: links, bold, lists; the server escaped everything else.
      text = document.createElement("div");
      text.className = "answer-markup";
      text.innerHTML = frame.html;
    } else {
      text = document.createElement("p");
      text.textContent = frame.text;
    }
    // The messages are in the conversation's language, whatever the page's (WCAG 3.1.2).
    if ($("transcript").dataset.language) { text.lang = $("transcript").dataset.language; }
    item.appendChild(who);
    item.appendChild(text);
    if (why) { item.appendChild(explanation(why)); }
    $("transcript").insertBefore(item, frame.seq ? itemAfter(frame.seq) : null);
    item.scrollIntoView({ block: "end" });
    if (frame.from === "customer") { $("typing").textContent = ""; }
    announce(name + ": " + frame.text);
  }

  // Why the bot answered (intent, confidence band, closest redacted examples): the same
  // disclosure the server renders on the messages the page loaded with.
  function explanation(why) {
    var details = document.createElement("details");
    details.className = "bot-why";
    var summary = document.createElement("summary");
    summary.textContent = T.whyAnswered;
    details.appendChild(summary);
    var list = document.createElement("dl");
    function entry(term, content) {
      var dt = document.createElement("dt");
      dt.textContent = term;
      var dd = document.createElement("dd");
      if (typeof content === "string") { dd.textContent = content; } else { dd.appendChild(content); }
      list.appendChild(dt);
      list.appendChild(dd);
    }
    entry(T.intent, why.intent_title + " (" + why.intent_slug + ")");
    var band = "";
    if (why.band === "high") { band = T.bandHigh.replace("%(threshold)s", percent(why.answer_threshold)); }
    if (why.band === "medium") { band = T.bandMedium.replace("%(threshold)s", percent(why.suggest_threshold)); }
    if (why.band === "low") { band = T.bandLow; }
    entry(T.confidenceLabel, percent(why.confidence) + (band ? " · " + band : ""));
    if (why.closest_examples && why.closest_examples.length) {
      var examples = document.createElement("ul");
      why.closest_examples.forEach(function (example) {
        var li = document.createElement("li");
        li.textContent = example;
        examples.appendChild(li);
      });
      entry(T.closestExamples, examples);
    }
    details.appendChild(list);
    return details;
  }

  function appendNote(frame) {
    var item = document.createElement("li");
    item.className = "note";
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = frame.author + " · " + dateTimeFormat.format(new Date(frame.written_at));
    var text = document.createElement("p");
    text.textContent = frame.text;
    item.appendChild(who);
    item.appendChild(text);
    $("notes").appendChild(item);
  }

  function insertText(text) {
    var box = $("reply-text");
    if (!box || box.disabled) { return; }
    var start = box.selectionStart || box.value.length;
    box.value = box.value.slice(0, start) + text + box.value.slice(box.selectionEnd || start);
    box.focus();
  }

  function renderSuggestions(items) {
    var list = $("suggestions");
    list.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = T.noSuggestions;
      list.appendChild(none);
      return;
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      var title = document.createElement("strong");
      title.textContent = item.title;
      var score = document.createElement("span");
      score.className = "muted";
      score.textContent = " (" + percent(item.confidence) + ") ";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = T.insert;
      // A reply is plain text: the answer with its links' addresses written out.
      button.addEventListener("click", function () { insertText(item.plain || item.text); });
      var text = document.createElement("div");
      text.className = "suggestion-text answer-markup";
      if (typeof item.html === "string") { text.innerHTML = item.html; } else { text.textContent = item.text; }
      // The bot's answer is in the conversation's language, whatever the page's.
      if ($("transcript").dataset.language) {
        title.lang = text.lang = $("transcript").dataset.language;
      }
      li.appendChild(title);
      li.appendChild(score);
      li.appendChild(button);
      li.appendChild(text);
      list.appendChild(li);
    });
  }

  function showState(frame) {
    var tag = $("conversation-status");
    tag.dataset.status = frame.status;
    tag.textContent = T["status_" + frame.status] || frame.status;
    $("agent-name").textContent = frame.agent_name || "—";
    $("queue-name").textContent = frame.queue_name || "—";
    if (frame.status !== state.status) {
      var changed = T.stateChanged.replace("%(status)s", T["status_" + frame.status] || frame.status);
      // A colleague took it: say who, so nobody answers twice.
      if (frame.status === "assigned" && frame.agent_id && frame.agent_id !== state.user_id) {
        changed = T.claimedByOther.replace("%(agent)s", frame.agent_name || T.nobody);
      }
      $("action-error").textContent = changed;
      announce(changed);
      state.status = frame.status;
    }
    var reply = $("reply-text");
    if (reply) {
      var closed = frame.status !== "waiting" && frame.status !== "assigned";
      reply.disabled = closed;
      $("reply-send").disabled = closed;
    }
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "conversation.ready":
        if (attempt) { announce(T.liveConversation); }
        attempt = 0;
        $("conversation-live").textContent = T.liveConversation;
        // Stored after the page was rendered (or while the socket was away): fetch them.
        if (typeof frame.last_seq === "number" && frame.last_seq > lastSeq) {
          socket.send(JSON.stringify({ type: "resume", since: lastSeq }));
        }
        break;
      case "message":
        appendMessage(frame);
        break;
      case "note":
        appendNote(frame);
        break;
      case "suggestions":
        renderSuggestions(frame.items);
        break;
      case "typing":
        $("typing").textContent = T.customerTyping;
        window.clearTimeout(typingTimer);
        typingTimer = window.setTimeout(function () { $("typing").textContent = ""; }, 4000);
        break;
      case "state":
        showState(frame);
        break;
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + script.dataset.socketPath);
    socket.addEventListener("message", function (event) { onFrame(JSON.parse(event.data)); });
    socket.addEventListener("close", function (event) {
      if (!attempt) { announce(T.reconnecting); }
      $("conversation-live").textContent = T.reconnecting;
      if (event.code >= 4400 && event.code < 4500) { return; }
      attempt += 1;
      window.setTimeout(connect, Math.min(30000, 500 * Math.pow(2, attempt)));
    });
  }

  function submitForm(form, errorEl, done) {
    errorEl.textContent = "";
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) { done(result.data); } else { errorEl.textContent = T.failed.replace("%(detail)s", result.data.detail || result.data.error); }
    }).catch(function () { errorEl.textContent = T.failed.replace("%(detail)s", T.reconnecting); });
  }

  // Reply ------------------------------------------------------------------------------------
  var replyForm = $("reply-form");
  if (replyForm) {
    replyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var box = $("reply-text");
      if (!box.value.trim()) { return; }
      submitForm(replyForm, $("reply-error"), function () { box.value = ""; box.focus(); });
    });
    $("reply-text").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); replyForm.requestSubmit(); }
    });
    $("reply-text").addEventListener("input", function () {
      var now = Date.now();
      if (socket && socket.readyState === WebSocket.OPEN && now - lastTypingSent > 2000) {
        lastTypingSent = now;
        socket.send(JSON.stringify({ type: "typing" }));
      }
    });
  }

  // Notes ------------------------------------------------------------------------------------
  var noteForm = $("note-form");
  noteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    submitForm(noteForm, $("note-error"), function () { $("note-text").value = ""; });
  });

  // Reveal the email (audited) ------------------------------------------------------------------
  var revealForm = $("reveal-form");
  if (revealForm) {
    revealForm.addEventListener("submit", function (event) {
      event.preventDefault();
      submitForm(revealForm, $("action-error"), function (data) {
        $("email-value").textContent = data.email;
        revealForm.remove();
      });
    });
  }

  // Canned responses and suggestions -------------------------------------------------------------
  var cannedInsert = $("canned-insert");
  if (cannedInsert) {
    cannedInsert.addEventListener("click", function () {
      var id = Number($("canned-select").value);
      state.canned.forEach(function (response) { if (response.id === id) { insertText(response.text); } });
    });
  }
  renderSuggestions(state.suggestions);

  // Keyboard shortcuts (listed on the page): Alt+Shift with a letter, so no single key is
  // taken from screen readers or from typing. event.code: the same keys on every layout.
  var shortcuts = {
    KeyR: function () { focusOn($("reply-text")); },
    KeyC: function () { var claim = $("claim-button"); if (claim) { claim.click(); } },
    KeyD: function () { var resolve = $("resolve-button"); if (resolve) { resolve.click(); } },
  };
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) { return; }
    var action = shortcuts[event.code];
    if (!action) { return; }
    event.preventDefault();
    action();
  });

  // The conversation opens at its newest message.
  var transcript = $("transcript");
  transcript.scrollTop = transcript.scrollHeight;
  // After claim, resolve or reopen the server sends the page back with the element to
  // focus as the fragment, and a confirmation that the live region reads once.
  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target) {
    focusOn(target.disabled ? $("flash") : target);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var flash = $("flash");
  // A region is read when it changes, not as the page loads: give the reader a moment.
  if (flash) { window.setTimeout(function () { announce(flash.textContent.trim()); }, 300); }
  connect();
})();
