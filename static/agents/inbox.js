// Agent inbox: keeps the live connection to /ws/inbox/, renders the lists from
// the rows it holds (counts included), and reconnects with backoff, reloading
// the rows as JSON after a drop. Every text is set with textContent.
(function () {
  "use strict";
  var script = document.currentScript;
  var T = JSON.parse(document.getElementById("inbox-strings").textContent);
  var state = JSON.parse(document.getElementById("inbox-state").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var rows = {};
  var view = state.view;
  var attempt = 0;
  var connectedOnce = false;
  var NOTIFY_KEY = "supportdesk.inbox.notify";

  state.rows.forEach(function (row) { rows[row.id] = row; });

  // The page's one polite live region: each announcement a new line.
  function announce(text) {
    if (!text) { return; }
    var region = $("announcer");
    var line = document.createElement("p");
    line.textContent = text;
    region.appendChild(line);
    while (region.childNodes.length > 3) { region.removeChild(region.firstChild); }
  }

  function inView(row) {
    if (view === "waiting") { return row.status === "waiting"; }
    if (view === "mine") { return row.agent_id === state.user_id; }
    return true;
  }

  function waitingFor(iso) {
    if (!iso) { return "—"; }
    var minutes = Math.floor((Date.now() - Date.parse(iso)) / 60000);
    if (minutes < 1) { return T.justNow; }
    if (minutes < 60) { return T.minutes.replace("%(n)s", minutes); }
    return T.hours.replace("%(n)s", Math.floor(minutes / 60)).replace("%(m)s", minutes % 60);
  }

  function cell(tr, text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function sorted() {
    return Object.keys(rows).map(function (id) { return rows[id]; }).sort(function (a, b) {
      return (a.escalated_at || "").localeCompare(b.escalated_at || "");
    });
  }

  function render(newIds) {
    var body = $("inbox-rows");
    // The list is rebuilt; focus inside it stays on the same row's link (or, if that
    // row left the list, the next one, else the list itself) instead of falling to body.
    var focused = body.contains(document.activeElement) ? document.activeElement.closest("tr") : null;
    var focusedId = focused && focused.dataset.id;
    var focusedIndex = focused ? Array.prototype.indexOf.call(body.children, focused) : -1;
    body.textContent = "";
    var all = sorted();
    var shown = all.filter(inView);
    shown.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.dataset.id = row.id;
      tr.dataset.status = row.status;
      if (newIds && newIds.indexOf(row.id) >= 0) { tr.className = "is-new"; }
      var when = cell(tr, "");
      var time = document.createElement("time");
      time.dateTime = row.escalated_at || "";
      time.textContent = waitingFor(row.escalated_at);
      when.appendChild(time);
      var customer = cell(tr, row.customer_name || (row.customer_email ? "—" : ""), "customer");
      if (row.customer_email) {
        var email = document.createElement("span");
        email.className = "muted";
        email.textContent = " " + row.customer_email;
        customer.appendChild(email);
      } else if (!row.customer_name) {
        var unknown = document.createElement("span");
        unknown.className = "muted";
        unknown.textContent = T.notIdentified;
        customer.appendChild(unknown);
      }
      var reason = T["reason_" + row.reason] || row.reason;
      // A call back or an e-mail answer waits: when the customer would like it.
      if (row.follow_up_time) reason += " · " + (T["followUpTime_" + row.follow_up_time] || "");
      cell(tr, reason);
      var queueCell = cell(tr, (row.queue_name || "—") + " ");
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = row.language;
      queueCell.appendChild(tag);
      cell(tr, row.preview, "preview");
      cell(tr, row.agent_name || "—");
      var open = document.createElement("a");
      open.href = row.url;
      open.textContent = T.open;
      cell(tr, "").appendChild(open);
      body.appendChild(tr);
    });
    if (!shown.length) {
      var empty = document.createElement("tr");
      empty.className = "empty";
      cell(empty, T.empty).colSpan = 7;
      body.appendChild(empty);
    }
    $("count-waiting").textContent = all.filter(function (r) { return r.status === "waiting"; }).length;
    $("count-mine").textContent = all.filter(function (r) { return r.agent_id === state.user_id; }).length;
    $("count-all").textContent = all.length;
    document.querySelectorAll("#queue-list li[data-queue-id]").forEach(function (li) {
      var id = Number(li.dataset.queueId);
      var count = all.filter(function (r) { return r.queue_id === id && r.status === "waiting"; }).length;
      var counter = li.querySelector(".queue-count");
      if (counter) { counter.textContent = count; }
    });
    if (focused) {
      var again = focusedId && body.querySelector('tr[data-id="' + focusedId + '"] a');
      var links = body.querySelectorAll("a");
      var next = again || links[Math.min(focusedIndex, links.length - 1)] || $("inbox-list");
      next.focus();
    }
    document.querySelectorAll(".tabs .tab").forEach(function (tab) {
      if (tab.dataset.view === view) { tab.setAttribute("aria-current", "page"); } else { tab.removeAttribute("aria-current"); }
    });
  }

  // Notifications (opt-in, remembered in this browser) ---------------------------------
  var toggle = $("notify-toggle");
  toggle.checked = window.localStorage.getItem(NOTIFY_KEY) === "1";
  toggle.addEventListener("change", function () {
    window.localStorage.setItem(NOTIFY_KEY, toggle.checked ? "1" : "0");
    if (toggle.checked && window.Notification && Notification.permission === "default") {
      Notification.requestPermission().then(function (answer) {
        if (answer === "denied") { $("inbox-live").textContent = T.notifyDenied; announce(T.notifyDenied); }
      });
    }
  });

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      var context = new Context();
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.frequency.value = 880;
      gain.gain.value = 0.1;
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start();
      oscillator.stop(context.currentTime + 0.2);
    } catch (error) { /* no audio: the list still shows it */ }
  }

  function notify(row) {
    if (!toggle.checked) { return; }
    beep();
    if (window.Notification && Notification.permission === "granted") {
      new Notification(T.newEscalation, { body: row.preview || "", tag: row.id });
    }
  }

  // Events ------------------------------------------------------------------------------
  // Pushed rows carry no customer names (a push reaches every inbox; showing a name is a
  // read of personal data the server records): a known row keeps the name it had, a new
  // one fetches the list (names included, recorded) once the burst of updates is over.
  var namesTimer = null;
  function fetchNamesSoon() {
    window.clearTimeout(namesTimer);
    namesTimer = window.setTimeout(reload, 1000);
  }

  function upsert(row) {
    var before = rows[row.id];
    if (row.status !== "waiting" && row.status !== "assigned") {
      delete rows[row.id];
      render();
      return;
    }
    if (!("customer_name" in row)) {
      if (before && "customer_name" in before) {
        row.customer_name = before.customer_name;
        row.customer_email = before.customer_email;
      } else {
        row.customer_name = "";
        row.customer_email = "";
        fetchNamesSoon();
      }
    }
    rows[row.id] = row;
    var isNew = row.status === "waiting" && (!before || before.status !== "waiting");
    render(isNew ? [row.id] : null);
    if (isNew) {
      notify(row);
      announce(T.newEscalation + ": " + (row.preview || ""));
    } else if (before && before.status === "waiting" && row.status === "assigned" && row.agent_id !== state.user_id) {
      announce(T.claimedBy.replace("%(agent)s", row.agent_name || T.nobody));
    } else if (before && before.preview !== row.preview && inView(row)) {
      announce(T.newCustomerMessage + ": " + (row.preview || ""));
    }
  }

  // The status in the header (agents/_nav.html), kept in step with the choice.
  function showMyStatus(availability) {
    var status = $("my-status");
    if (!status) { return; }
    status.dataset.availability = availability;
    status.querySelector(".dot").className = "dot dot-" + availability;
    var key = "status" + availability.charAt(0).toUpperCase() + availability.slice(1);
    status.querySelector(".my-status-text").textContent = T[key] || availability;
  }

  function presence(frame) {
    if (Number(frame.agent_id) === state.user_id) { showMyStatus(frame.availability); }
    var li = document.querySelector('#presence li[data-agent-id="' + Number(frame.agent_id) + '"]');
    if (!li) { return; }
    li.querySelector(".dot").className = "dot dot-" + frame.availability;
    li.querySelector(".availability-label").textContent = T["availability_" + frame.availability] || frame.availability;
  }

  function reload() {
    fetch(window.location.pathname, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        rows = {};
        data.rows.forEach(function (row) { rows[row.id] = row; });
        render();
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + script.dataset.socketPath);
    socket.addEventListener("message", function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "inbox.ready") {
        if (attempt) { announce(T.live); }
        attempt = 0;
        $("inbox-live").textContent = T.live;
        if (connectedOnce) { reload(); }
        connectedOnce = true;
      } else if (frame.type === "conversation.update") {
        upsert(frame.conversation);
      } else if (frame.type === "agent.availability") {
        presence(frame);
      }
    });
    socket.addEventListener("close", function (event) {
      if (!attempt) { announce(T.reconnecting); }
      $("inbox-live").textContent = T.reconnecting;
      if (event.code === 4401 || event.code === 4403) { return; }  // signed out or disabled
      attempt += 1;
      window.setTimeout(connect, Math.min(30000, 500 * Math.pow(2, attempt)));
    });
  }

  // Tabs without reloading; the links still work without script ---------------------------
  document.querySelectorAll(".tabs .tab").forEach(function (tab) {
    tab.addEventListener("click", function (event) {
      event.preventDefault();
      view = tab.dataset.view;
      window.history.replaceState(null, "", "?view=" + view);
      render();
    });
  });

  // Availability: saved as soon as it is chosen ----------------------------------------------
  var availabilityForm = $("availability-form");
  $("availability-submit").hidden = true;
  $("availability-select").addEventListener("change", function () {
    fetch(availabilityForm.action, {
      method: "POST",
      body: new FormData(availabilityForm),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      $("inbox-live").textContent = response.ok ? T.saved : T.reconnecting;
      announce(response.ok ? T.saved : T.reconnecting);
      if (response.ok) { showMyStatus($("availability-select").value); }
    });
  });

  window.setInterval(render, 30000);
  render();
  connect();
})();
