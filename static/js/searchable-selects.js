// Long lists of options (accounts, organisations, actions) become searchable: type a few
// letters to narrow them. Tom Select (vendored under static/vendor/tom-select) keeps the
// original <select> in the form, so the page posts exactly what it would without it, and
// gives the control the combobox roles and keyboard of the ARIA pattern. Short lists stay
// plain selects. Rows added in the page (formset-rows.js) are enhanced when they arrive.
(function () {
  "use strict";

  var LONG_LIST = 15;
  var noResults = document.currentScript.getAttribute("data-no-results");

  function enhance(select) {
    if (select.tomselect || select.closest("template") || select.disabled) {
      return;
    }
    if (select.options.length <= LONG_LIST) {
      return;
    }
    // "Hold Ctrl to choose several" says nothing true of the searchable list.
    var help = select.multiple && document.getElementById(select.id + "_helptext");
    var hint = help && help.querySelector("[data-keyboard-hint]");
    if (hint) {
      hint.hidden = true;
    }
    new TomSelect(select, {
      maxOptions: null,
      allowEmptyOption: true,
      plugins: select.multiple ? ["remove_button"] : [],
      render: {
        no_results: function () {
          var div = document.createElement("div");
          div.className = "no-results";
          div.textContent = noResults;
          return div;
        },
      },
    });
    // The original list stays in the form for posting, out of the keyboard's way (Tom Select
    // sets tabindex -1); the combobox now carries its label, so it leaves the reading too.
    select.setAttribute("aria-hidden", "true");
  }

  function enhanceAll(container) {
    container.querySelectorAll("main form select").forEach(enhance);
  }

  if (typeof TomSelect === "function") {
    enhanceAll(document);
    document.addEventListener("formset:row-added", function (event) {
      event.target.querySelectorAll("select").forEach(enhance);
    });
  }
})();
