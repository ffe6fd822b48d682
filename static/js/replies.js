/* Notice page: keeps the replies card live. Reads the replies endpoint's JSON every 4 s while the page is open and
   updates the count, the question's tally and the latest replies in place (text set as text, never as HTML). */
(function () {
  "use strict";
  var card = document.getElementById("replies");
  if (!card || !window.fetch) { return; }
  var url = card.dataset.url;

  function plural(n) { return n + (n === 1 ? " reply" : " replies"); }

  function item(reply) {
    var li = document.createElement("li");
    li.className = "border-top py-1";
    li.dataset.id = String(reply.id);
    var when = document.createElement("span");
    when.className = "text-body-secondary";
    when.textContent = reply.shown_at;
    li.appendChild(when);
    li.appendChild(document.createTextNode(" · " + reply.channel.toUpperCase() + " · "));
    var sender = document.createElement("span");
    sender.className = "font-monospace";
    sender.textContent = reply.sender;
    li.appendChild(sender);
    if (reply.client) { li.appendChild(document.createTextNode(" (" + reply.client + ")")); }
    if (reply.keyword) {
      var badge = document.createElement("span");
      badge.className = "badge text-bg-secondary ms-1";
      badge.textContent = reply.keyword;
      li.appendChild(badge);
    }
    li.appendChild(document.createElement("br"));
    li.appendChild(document.createTextNode(reply.text));
    return li;
  }

  function show(data) {
    var count = document.getElementById("replies-count");
    if (String(data.count) === count.dataset.count) { return; }
    count.dataset.count = String(data.count);
    count.textContent = plural(data.count);
    data.tally.forEach(function (option) {
      var row = card.querySelector('#replies-tally tr[data-key="' + option.key + '"]');
      if (!row) { return; }
      row.querySelector(".tally-count").textContent = String(option.count);
      row.querySelector(".tally-percent").textContent = "(" + option.percent + " %)";
      row.querySelector(".progress").setAttribute("aria-valuenow", String(option.percent));
      row.querySelector(".progress-bar").style.width = option.percent + "%";
    });
    var other = document.getElementById("replies-other");
    if (other) { other.textContent = String(data.other); }
    var list = document.getElementById("replies-list");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    data.replies.forEach(function (reply) { list.appendChild(item(reply)); });
  }

  function poll() {
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* the next poll tries again */ });
  }

  window.setInterval(poll, 4000);
})();
