// The live console updates itself while the room is live: it polls live.json every 2.5 s and
// redraws who is in the room and the raised hands. Buttons post with the page's CSRF token.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var d = root.dataset;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function button(person, action) {
    var b = el("button", {type: "button", "data-action": action, "data-id": String(person.id)},
               d["t" + action.charAt(0).toUpperCase() + action.slice(1)]);
    if (action !== "unmute") { b.className = "secondary"; }
    b.addEventListener("click", function () { act(person.id, action); });
    return b;
  }

  function draw(state) {
    document.getElementById("room-status").textContent =
      state.ended ? d.tEnded : (state.started ? d.tStarted : d.tWaiting);
    var hands = document.getElementById("hands");
    hands.textContent = "";
    if (!state.hands.length) { hands.appendChild(el("li", {"class": "muted"}, d.tNoHands)); }
    state.hands.forEach(function (h) { hands.appendChild(el("li", {"data-id": String(h.id)}, h.label)); });
    var people = document.getElementById("people");
    people.textContent = "";
    if (!state.participants.length) { people.appendChild(el("li", {"class": "muted"}, d.tNobody)); }
    state.participants.forEach(function (p) {
      var li = el("li", {"data-id": String(p.id)});
      li.appendChild(el("strong", {}, p.label));
      li.appendChild(document.createTextNode(" " + (p.hand ? "✋ " + d.tHand + " " : "")));
      li.appendChild(el("span", {"class": "muted"}, p.muted ? d.tMuted : d.tSpeaking));
      [p.muted ? "unmute" : "mute"].concat(p.hand ? ["lower"] : [], ["remove"]).forEach(
        function (a) { li.appendChild(document.createTextNode(" ")); li.appendChild(button(p, a)); });
      people.appendChild(li);
    });
  }

  function act(id, action) {
    var body = new URLSearchParams({csrf_token: d.csrf});
    fetch(d.actUrl.replace("/0/ACTION", "/" + id + "/" + action), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": d.csrf}
    }).then(function (r) { return r.json(); }).then(draw).catch(function () {});
  }

  function poll() {
    fetch(d.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (state) { draw(state); if (!state.ended) { setTimeout(poll, 2500); } })
      .catch(function () { setTimeout(poll, 5000); });
  }

  // Buttons drawn by the server post the same way once the script runs.
  Array.prototype.forEach.call(root.querySelectorAll("#people form"), function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var m = form.getAttribute("action").match(/\/live\/(\d+)\/(\w+)$/);
      if (m) { act(Number(m[1]), m[2]); }
    });
  });
  setTimeout(poll, 2500);
}());
