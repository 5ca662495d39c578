// Customer overview: Back/Forward load the page anew, an unchanged search keeps the list, ticks survive swaps.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form || !window.htmx) return;
  // The form has hx-history="false": a snapshot would hold the dropdowns as first rendered, not as chosen.
  htmx.config.refreshOnHistoryMiss = true;
  function state() { return new URLSearchParams(new FormData(form)).toString(); }
  function boxes(only) {
    return [].slice.call(document.querySelectorAll('#results input[name="ids"]' + (only || "")));
  }
  function isList(event) { return event.detail.target && event.detail.target.id === "results"; }
  function count() {
    var out = document.getElementById("ticked-count"), n = boxes(":checked").length;
    if (out) out.textContent = n ? " (" + n + " ticked)" : "";
  }
  var shown = state(), ticked = [];
  form.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt === form && state() === shown) event.preventDefault();
  });
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (isList(event)) ticked = boxes(":checked").map(function (box) { return box.value; });
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (!isList(event)) return;
    shown = state();
    boxes().forEach(function (box) { if (ticked.indexOf(box.value) >= 0) box.checked = true; });
    count();
  });
  document.addEventListener("change", function (event) { if (event.target.name === "ids") count(); });
  count();
})();
