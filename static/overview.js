// Customer overview: Back/Forward render filters and list anew, an unchanged search keeps the list, ticks survive.
(function () {
  "use strict";
  if (!window.htmx || !document.getElementById("filters")) return;
  function state() { return new URLSearchParams(new FormData(document.getElementById("filters"))).toString(); }
  function boxes(only) {
    return [].slice.call(document.querySelectorAll('#results input[name="ids"]' + (only || "")));
  }
  function isList(event) { var t = event.detail.target; return t && (t.id === "results" || t.id === "overview"); }
  function count() {
    var out = document.getElementById("ticked-count"), n = boxes(":checked").length;
    if (out) out.textContent = n ? "(" + n + " ticked)" : "";
  }
  var shown = state(), ticked = [];
  // No snapshot is kept (hx-history="false"): the URL's filters and list come from the server, in one swap.
  document.body.addEventListener("htmx:historyCacheMiss", function (event) {
    event.preventDefault();
    htmx.ajax("GET", event.detail.path, { target: "#overview", swap: "innerHTML" });
  });
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id === "filters" && state() === shown) event.preventDefault();
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
