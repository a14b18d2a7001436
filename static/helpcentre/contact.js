// The contact form's live suggestions: as the customer types subject and message, the
// answers the bot would give appear below (debounced; POSTed, so the text is in no URL;
// the server classifies it and forgets it). Without this script the form's "Show
// matching answers" button does the same with a page load.
(function () {
  "use strict";
  var strings = JSON.parse(document.getElementById("contact-strings").textContent);
  var form = document.getElementById("contact-form");
  var subject = document.getElementById("id_subject");
  var message = document.getElementById("id_message");
  var shown = form.querySelector("input[name=suggestions_shown]");
  var section = document.getElementById("contact-suggestions");
  var list = document.getElementById("suggestion-list");
  var announcer = document.getElementById("contact-announcer");
  var DEBOUNCE_MS = 400, MIN_LENGTH = 8;
  var timer = null, lastText = "", pending = null;

  function render(suggestions) {
    list.textContent = "";
    suggestions.forEach(function (item) {
      var li = document.createElement("li");
      var title = document.createElement("h3");
      title.textContent = item.title;
      var answer = document.createElement("p");
      answer.textContent = item.answer;
      var more = document.createElement("p");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = strings.readArticle;
      more.appendChild(link);
      var button = document.createElement("button");
      button.type = "submit";
      button.setAttribute("form", "answered-form");
      button.name = "article";
      button.value = item.slug;
      button.textContent = strings.answered;
      li.appendChild(title); li.appendChild(answer); li.appendChild(more); li.appendChild(button);
      list.appendChild(li);
    });
    var wasHidden = section.hidden;
    section.hidden = suggestions.length === 0;
    if (suggestions.length) {
      shown.value = "on";
      // Announced once when answers first appear, not on every keystroke.
      if (wasHidden) { announcer.textContent = strings.found; }
    }
  }

  function ask() {
    var text = (subject.value + "\n" + message.value).trim();
    if (text.length < MIN_LENGTH || text === lastText) { return; }
    lastText = text;
    if (pending) { pending.abort(); }
    pending = new AbortController();
    var body = new FormData();
    body.append("text", text);
    body.append("language", strings.language);
    fetch(strings.suggestionsUrl, {method: "POST", body: body, credentials: "omit", signal: pending.signal})
      .then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
      .then(function (data) { render(data.suggestions || []); })
      .catch(function () { /* aborted or offline: the form still works without suggestions */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(ask, DEBOUNCE_MS);
  }

  subject.addEventListener("input", schedule);
  message.addEventListener("input", schedule);
})();
