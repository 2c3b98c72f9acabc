/* The desk's small helpers (no inline scripts: the admin's CSP allows only its own files).
   [data-print]: prints the page. [data-play-item]: plays an item's sentences one after another,
   marking the sentence that is playing. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-play-item]").forEach(function (button) {
    var item = document.getElementById(button.getAttribute("data-play-item"));
    if (!item) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var players = Array.prototype.slice.call(item.querySelectorAll("audio[data-sentence]"));
      var status = item.querySelector("[data-play-status]");
      var i = 0;
      function next() {
        item.querySelectorAll(".playing").forEach(function (el) { el.classList.remove("playing"); });
        if (i >= players.length) {
          if (status) { status.textContent = status.getAttribute("data-done"); }
          return;
        }
        var audio = players[i++];
        audio.closest("li").classList.add("playing");
        audio.addEventListener("ended", next, { once: true });
        audio.play().catch(next);
      }
      players.forEach(function (a) { a.pause(); a.currentTime = 0; });
      next();
    });
  });
})();
