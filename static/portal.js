// Customer Portal: what htmx does not give (dialogs, inline-form focus and Escape, unsaved input, error toast).
(function () {
  "use strict";
  var doc = document, on = doc.addEventListener.bind(doc);
  on("htmx:afterSwap", function (e) {
    var t = e.detail.target || e.detail.elt;  // a history restore has no target
    var dialog = t && t.querySelector && t.querySelector("dialog");
    if (t.id === "modal" && dialog && !dialog.open) {
      dialog.showModal();
      dialog.addEventListener("close", function () { dialog.remove(); });
    }
  });
  // Inline forms carry [data-inline-key] (macro form_status); open: key -> {state when opened, opener}
  var open = {}, seen = new WeakSet(), leaving = false, pending = null;
  var FIELD = "input:not([type=hidden]):not([disabled]),select:not([disabled]),textarea:not([disabled])";
  function forms() {
    return [].map.call(doc.querySelectorAll("[data-inline-key]"), function (m) { return m.closest("form"); }).filter(Boolean);
  }
  function keyOf(f) { return f.querySelector("[data-inline-key]").getAttribute("data-inline-key"); }
  function state(f) {  // the user's input as text
    var parts = [];
    new FormData(f).forEach(function (v, k) { if (!/(^|-)(csrf_token|read_state)$/.test(k)) parts.push(k + "=" + v); });
    return parts.join("&");
  }
  function changed(f) { var o = open[keyOf(f)]; return !!o && o.state !== state(f); }
  function changedOutside(elt) { return forms().filter(function (f) { return !f.contains(elt) && changed(f); })[0]; }
  function find(attr, value) { return value && doc.querySelector("[" + attr + '="' + CSS.escape(value) + '"]'); }
  function track(opener) {  // a new form element was just opened or re-rendered (422, 409)
    var now = {}, fresh = null;
    forms().forEach(function (f) {
      var key = keyOf(f);
      now[key] = open[key] = open[key] || {state: state(f), opener: opener, key: key};
      if (!seen.has(f)) { seen.add(f); fresh = fresh || f; }
    });
    var closed = Object.keys(open).filter(function (k) { return !now[k]; }).map(function (k) {
      var o = open[k]; delete open[k]; return o;
    });
    return {fresh: fresh, closed: closed[0]};
  }
  track();
  on("htmx:afterSettle", function (e) {
    var d = e.detail, elt = d.requestConfig && d.requestConfig.elt;
    if (d.done) return;  // once per response
    d.done = true;
    var get = elt && elt.getAttribute("hx-get"), r = track(get), f = r.fresh, o = r.closed, a = doc.activeElement;
    var row = f && f.querySelector("tr[data-field]"), c = row && CSS.escape(row.getAttribute("data-field"));
    // a new form: its first invalid field, else the first conflicting one (or its first part), else its first field
    var to = f ? f.querySelector('[aria-invalid="true"],.has-error input,.has-error select,.has-error textarea') ||
      (c ? f.querySelector('[name="' + c + '"]:not([type=hidden]),[name^="' + c + '-"]:not([type=hidden])') : null) ||
      f.querySelector("[autofocus]") || f.querySelector(FIELD) :
      ((d.target && d.target.isConnected ? d.target : e.target) || doc).querySelector('[aria-invalid="true"]');
    if (!to && (!a || a === doc.body)) {  // the focus went with the swap: to what opened the form
      to = o && (find("hx-get", o.opener) || doc.getElementById("edit-" + o.key)) || find("hx-get", get) ||
        (elt && find("hx-post", elt.getAttribute("hx-post")));
    }
    if (to) to.focus();
    if (pending && !open[pending.key]) {  // discarded: now open the form asked for
      var next = pending.elt.isConnected ? pending.elt : find("hx-get", pending.get);
      pending = null;
      if (next) next.click();
    }
  });
  // Changed input asks before a request replaces its form or opens another (GET …/edit, …/new), and before
  // the page unloads; Cancel and Escape do not ask (they are the user's own "discard").
  on("htmx:confirm", function (e) {
    var d = e.detail, f = changedOutside(d.elt), replaces = f && d.target && d.target.contains(f);
    if (!f || !replaces && !(d.verb === "get" && /\/(edit|new)([?#]|$)/.test(d.path))) return;
    e.preventDefault();
    if (!confirm("Discard your changes?")) return;
    var key = keyOf(f), cancel = f.querySelector(".cancel");
    open[key].state = state(f);  // discarded: not asked again
    if (replaces || !cancel) return d.issueRequest(true);
    pending = {key: key, elt: d.elt, get: d.elt.getAttribute("hx-get")};
    cancel.click();
  });
  on("submit", function (e) {  // a plain post (no htmx) leaves on purpose
    if (!e.defaultPrevented && e.target.querySelector("[data-inline-key]")) leaving = true;
  });
  window.addEventListener("beforeunload", function (e) {
    if (!leaving && forms().some(changed)) { e.preventDefault(); e.returnValue = ""; }
  });
  on("keydown", function (e) {  // Escape cancels the form the focus is in, else the one open form
    if (e.key !== "Escape" || e.defaultPrevented || e.isComposing) return;
    var t = e.target, f = t.closest && t.closest("form"), all = forms();
    if (!f || !f.matches("[data-cancel]") && all.indexOf(f) < 0) {
      f = !t.closest("a,button,input,select,textarea,dialog,form") && all.length === 1 && all[0];
    }
    var cancel = f && f.querySelector(".cancel");
    if (cancel) {
      e.preventDefault();
      cancel.click();
    }
  });
  on("click", function (e) {
    var close = e.target.closest(".close-dialog"), dialog = close && close.closest("dialog");
    if (dialog) {
      e.preventDefault();
      if (dialog.open) dialog.close();
      dialog.remove();
    }
  });
  function toast(text, hide) {
    var t = doc.getElementById("error-toast");
    t.textContent = text;
    t.hidden = false;
    if (hide) setTimeout(function () { t.hidden = true; }, 6000);
  }
  on("htmx:responseError", function (e) {
    var status = e.detail.xhr.status;
    toast(status === 403 ? "This change is not allowed (your role, or the customer is archived)." :
      status === 404 ? "This record no longer exists." : status === 429 ? "Too many requests; wait a moment." :
      "Something went wrong (" + status + "). Nothing was saved.", true);
  });
  on("htmx:sendError", function () { toast("The portal cannot be reached. Check your connection."); });
})();
