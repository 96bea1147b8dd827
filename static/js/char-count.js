// A live count of the characters typed in a field that has a limit (data-max-length, set by
// partnership.core.forms.BoundField in place of maxlength, which cuts a pasted text without a
// word). The server still refuses a text too long, with its message. The count is read with
// the field (aria-describedby); going over the limit, or back under it, is announced once.
(function () {
  "use strict";
  var script = document.currentScript;
  var countText = script.getAttribute("data-count-text");  // "{count} / {limit} characters"
  // "{over} character too many", "{over} characters too many": one over is singular in French
  // and in English alike (the count is never 0 here).
  var overTextOne = script.getAttribute("data-over-text-one");
  var overText = script.getAttribute("data-over-text");

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return String(values[name]);
    });
  }

  function setUp(field) {
    var limit = parseInt(field.getAttribute("data-max-length"), 10);
    if (!limit || field.type === "hidden" || field.dataset.counted) {
      return;
    }
    field.dataset.counted = "1";
    var counter = document.createElement("div");
    counter.className = "form-text char-count";
    counter.id = field.id + "_count";
    var alert = document.createElement("div");
    alert.className = "visually-hidden";
    alert.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", alert);
    field.insertAdjacentElement("afterend", counter);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    var wasOver = false;

    function update() {
      var count = field.value.length;
      var over = count > limit;
      counter.textContent = over
        ? format(count - limit === 1 ? overTextOne : overText, { over: count - limit })
        : format(countText, { count: count, limit: limit });
      counter.classList.toggle("text-danger", over);
      if (over !== wasOver) {
        alert.textContent = counter.textContent;
        wasOver = over;
      }
    }
    field.addEventListener("input", update);
    update();
  }

  function setUpAll(container) {
    container.querySelectorAll("input[data-max-length], textarea[data-max-length]").forEach(setUp);
  }
  setUpAll(document);
  document.addEventListener("formset:row-added", function (event) {
    setUpAll(event.target);
  });
})();
