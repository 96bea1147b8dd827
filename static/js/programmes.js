// Print buttons of the programme views: shown only when JavaScript runs (the browser's own
// print command works without it).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function (event) {
    event.preventDefault();
    window.print();
  });
});
