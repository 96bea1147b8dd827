// The filters of a list fold behind their "Filtres" button on a small screen (app.css), open
// when a filter is set (the page draws them so). Without JavaScript they are always shown.
(function () {
  "use strict";
  document.querySelectorAll(".filter-toggle[aria-controls]").forEach(function (button) {
    var form = document.getElementById(button.getAttribute("aria-controls"));
    if (!form) {
      return;
    }
    form.classList.add("filter-foldable");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      form.classList.toggle("filter-folded", !open);
      if (open) {
        var first = form.querySelector("input, select");
        if (first) {
          first.focus();
        }
      }
    });
  });
})();
