// Rows added and removed in the page, for every list of rows of an edit form (formset.html).
// Without JavaScript the "add a row" button posts the form, which comes back with one more
// row; here it copies the formset's blank row (its <template>) and counts it in TOTAL_FORMS.
// A row added here and removed again is simply left out: Django skips a missing row.
(function () {
  "use strict";

  function setUp(fieldset) {
    var prefix = fieldset.getAttribute("data-formset");
    var total = fieldset.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = fieldset.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var template = fieldset.querySelector("template[data-formset-row]");
    var body = fieldset.querySelector("tbody");
    var add = fieldset.querySelector("[data-formset-add]");
    var status = fieldset.querySelector("[data-formset-status]");
    if (!total || !template || !body || !add) {
      return;
    }
    // A plain button: pressing Enter in a field saves the form, it does not add a row.
    add.type = "button";
    add.removeAttribute("name");

    function atMaximum() {
      return max && parseInt(total.value, 10) >= parseInt(max.value, 10);
    }

    add.addEventListener("click", function () {
      if (atMaximum()) {
        status.textContent = add.getAttribute("data-maximum-text") || "";
        return;
      }
      var index = parseInt(total.value, 10);
      body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
      total.value = index + 1;
      var row = body.lastElementChild;
      row.dispatchEvent(new CustomEvent("formset:row-added", { bubbles: true }));
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) {
        first.focus();
      }
      status.textContent = add.getAttribute("data-added-text") || "";
      add.disabled = atMaximum();
    });

    body.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-formset-remove]");
      if (!remove) {
        return;
      }
      remove.closest("tr").remove();
      add.disabled = false;
      add.focus();
      status.textContent = add.getAttribute("data-removed-text") || "";
    });
  }

  document.querySelectorAll("fieldset[data-formset]").forEach(setUp);
})();
