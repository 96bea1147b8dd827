// Keyboard access to what scrolls sideways (RGAA 7.3, 10.11; WCAG 2.1.1, 1.4.10): a wide table
// on a small screen scrolls inside its box; the box then takes the focus, so the arrow keys
// scroll it, and is a region named after what it holds (its table's caption, else the heading
// of its section), so that a screen reader says what the focus is on. A table that scrolls
// itself keeps its role: its caption names it. Loaded by the back office's pages too.
(function () {
  var BOXES = "main .table-responsive, main table.table, main .timeline-scroll, " +
    "main .minutes-scroll, #changelist .results, .inline-group .tabular .wrapper";

  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function nameOf(box) {
    var name = text(box.querySelector("caption"));
    var labelled = box.closest("[aria-labelledby]");
    if (!name && labelled) {
      name = text(document.getElementById(labelled.getAttribute("aria-labelledby").split(" ")[0]));
    }
    var section = box.closest("section, fieldset, .module");
    if (!name && section) name = text(section.querySelector("h2, h3, legend, caption"));
    return name || text(document.querySelector("h1")) || document.title;
  }

  function mark() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      var overflow = getComputedStyle(box).overflowX;
      var scrolls = (overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scrolls", "");
        if (box.tagName !== "TABLE" && !box.hasAttribute("role")) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", nameOf(box));
          box.setAttribute("data-scrolls", "region");
        }
      } else if (!scrolls && box.hasAttribute("data-scrolls")) {
        if (box.getAttribute("data-scrolls") === "region") {
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scrolls");
      }
    });
  }

  mark();
  window.addEventListener("resize", mark);
})();
