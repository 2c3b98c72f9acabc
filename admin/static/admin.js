// Small screens without losing anything when scripts are off: the header's menu button, tables
// as cards (each cell labelled with its column's name, shown at phone width by admin.css), and
// a table box that scrolls sideways reachable by keyboard.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function menu() {
    var top = document.querySelector("header.top");
    var toggle = document.querySelector(".menu-toggle");
    if (!top || !toggle) { return; }
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = top.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function cards() {
    each(document.querySelectorAll("main table"), function (table) {
      var head = table.tHead && table.tHead.rows[0];
      if (!head) { return; }
      var names = [];
      each(head.cells, function (th) {
        for (var i = 0; i < (th.colSpan || 1); i++) { names.push(th.textContent.trim()); }
      });
      each(table.tBodies, function (body) {
        each(body.rows, function (tr) {
          var col = 0;
          each(tr.cells, function (cell) {
            var span = cell.colSpan || 1;
            if (names[col] && span < names.length) { cell.setAttribute("data-label", names[col]); }
            col += span;
          });
        });
      });
      table.classList.add("cards");
    });
  }

  function scrollBoxes() {
    each(document.querySelectorAll(".table-scroll"), function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        var caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (caption) { box.setAttribute("aria-label", caption.textContent.trim()); }
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  // A chart wider than the screen (calls per day) starts scrolled to its newest end.
  function chartsAtTheEnd() {
    each(document.querySelectorAll(".chart-box"), function (box) {
      box.scrollLeft = box.scrollWidth;
    });
  }

  function start() {
    menu();
    cards();
    scrollBoxes();
    chartsAtTheEnd();
    window.addEventListener("resize", function () { scrollBoxes(); chartsAtTheEnd(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
