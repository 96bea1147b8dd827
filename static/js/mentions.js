// Mentioning someone in a comment: a searchable list (Tom Select, vendored) of the people who
// may see the page, loaded as one types from the page's own endpoint, which offers nobody
// else. Choosing a person (Enter, or a click) writes "@login " into the comment where the
// cursor was and gives the focus back to the comment. The keyboard is Tom Select's combobox.
(function () {
  "use strict";

  function insertMention(textarea, username) {
    var text = "@" + username + " ";
    var start = textarea.selectionStart || textarea.value.length;
    var end = textarea.selectionEnd || start;
    var before = textarea.value.slice(0, start);
    if (before && !/\s$/.test(before)) {
      text = " " + text;
    }
    textarea.value = before + text + textarea.value.slice(end);
    var caret = before.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
  }

  function enhance(select) {
    if (select.tomselect || typeof TomSelect === "undefined") {
      return;
    }
    var textarea = document.getElementById(select.getAttribute("data-target"));
    var noResults = select.getAttribute("data-no-results");
    var control = new TomSelect(select, {
      valueField: "username",
      labelField: "name",
      searchField: ["name", "username"],
      maxOptions: 10,
      loadThrottle: 200,
      shouldLoad: function (query) {
        return query.length >= 1;
      },
      load: function (query, callback) {
        var url = select.getAttribute("data-url") + "?q=" + encodeURIComponent(query);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.ok ? response.json() : { results: [] };
          })
          .then(function (data) {
            callback(data.results);
          })
          .catch(function () {
            callback();
          });
      },
      render: {
        option: function (item, escape) {
          return (
            "<div>" + escape(item.name) +
            ' <span class="text-body-secondary small">@' + escape(item.username) +
            (item.organisation ? " · " + escape(item.organisation) : "") + "</span></div>"
          );
        },
        item: function (item, escape) {
          return "<div>" + escape(item.name) + "</div>";
        },
        no_results: function () {
          var div = document.createElement("div");
          div.className = "no-results";
          div.textContent = noResults;
          return div;
        },
      },
      onChange: function (value) {
        if (!value) {
          return;
        }
        insertMention(textarea, value);
        control.clear(true);
        control.clearOptions();
      },
    });
    select.setAttribute("aria-hidden", "true");
  }

  document.querySelectorAll("select.mention-picker").forEach(enhance);
})();
