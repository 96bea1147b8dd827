// Keyboard access to what scrolls sideways (RGAA 7.3, WCAG 2.1.1): a wide table on a small
// screen scrolls inside its box; the box then takes the focus, so the arrow keys scroll it.
(function () {
  var BOXES = "main .table-responsive, main table.table, main .timeline-scroll";

  function mark() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      var overflow = getComputedStyle(box).overflowX;
      var scrolls = (overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scrolls", "");
      } else if (!scrolls && box.hasAttribute("data-scrolls")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scrolls");
      }
    });
  }

  mark();
  window.addEventListener("resize", mark);
})();
