// Customer Portal: the little behaviour htmx does not give (dialogs, inline-form focus and Escape, unsaved input, toast).
(function () {
  "use strict";
  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
    dialog.remove();
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var dialog = target.querySelector && target.querySelector("dialog");
    if (target.id === "modal" && dialog && !dialog.open) {
      dialog.showModal();
      dialog.addEventListener("close", function () { dialog.remove(); });
    }
  });

  // --- Inline forms: every form of the inline-edit flow carries [data-inline-key] (the form_status macro). ---
  var DISCARD = "Discard your changes?";
  var FIELD = "input:not([type=hidden]):not([disabled]),select:not([disabled]),textarea:not([disabled])";
  var open = {};  // key -> {state: what the form showed when it opened, opener: the hx-get that opened it}
  var seen = new WeakSet();  // form elements already focused: a new one was just opened or re-rendered (422, 409)
  var leaving = false, pending = null;
  function forms() {
    return [].map.call(document.querySelectorAll("[data-inline-key]"), function (m) { return m.closest("form"); })
      .filter(Boolean);
  }
  function keyOf(form) { return form.querySelector("[data-inline-key]").getAttribute("data-inline-key"); }
  function isInline(form) { return !!form && (form.hasAttribute("data-cancel") || !!form.querySelector("[data-inline-key]")); }
  function state(form) {  // the user's input as text (the CSRF token and the read state are not the user's)
    var parts = [];
    new FormData(form).forEach(function (v, k) { if (!/(^|-)(csrf_token|read_state)$/.test(k)) parts.push(k + "=" + v); });
    return parts.join("&");
  }
  function changed(form) { var o = open[keyOf(form)]; return !!o && o.state !== state(form); }
  function changedOutside(elt) { return forms().filter(function (f) { return !f.contains(elt) && changed(f); })[0]; }
  function byAttr(name, value) { return value && document.querySelector("[" + name + '="' + CSS.escape(value) + '"]'); }
  function focusIn(form) {  // the first invalid field, else the first conflicting one, else the first field
    var conflict = form.querySelector("tr[data-field]");
    var target = form.querySelector('[aria-invalid="true"],.has-error input,.has-error select,.has-error textarea') ||
      (conflict && byAttr("name", conflict.getAttribute("data-field"))) || form.querySelector("[autofocus]") ||
      form.querySelector(FIELD);
    if (target) target.focus();
  }
  function lost() { var a = document.activeElement; return !a || a === document.body || !a.isConnected; }
  // Which forms are open now: remember what a newly opened one shows; the first new form element, and the closed ones.
  function track(opener) {
    var now = {}, fresh = null;
    forms().forEach(function (form) {
      var key = keyOf(form);
      now[key] = true;
      if (!open[key]) open[key] = {state: state(form), opener: opener, key: key};
      if (!seen.has(form)) { seen.add(form); fresh = fresh || form; }
    });
    var closed = Object.keys(open).filter(function (key) { return !now[key]; }).map(function (key) {
      var o = open[key]; delete open[key]; return o;
    });
    return {fresh: fresh, closed: closed};
  }
  track(null);
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail, elt = detail.requestConfig && detail.requestConfig.elt;
    if (detail.portalSettled) return;  // htmx settles each swapped element; the page is complete at the first
    detail.portalSettled = true;
    var get = elt && elt.getAttribute("hx-get"), result = track(get);
    var invalid = detail.target && detail.target.isConnected && detail.target.querySelector('[aria-invalid="true"]');
    if (result.fresh) focusIn(result.fresh);
    else if (invalid) invalid.focus();  // any other form after an error (New customer, API tokens)
    else if (lost()) {  // the focused element went with the swap: back to what opened the closed form, or its twin
      var o = result.closed[0], back = o && (byAttr("hx-get", o.opener) || document.getElementById("edit-" + o.key)) ||
        byAttr("hx-get", get) || (elt && byAttr("hx-post", elt.getAttribute("hx-post")));
      if (back) back.focus();
    }
    if (pending && !open[pending.key]) {  // the changed form was discarded: now open the one that was asked for
      var next = pending.elt.isConnected ? pending.elt : byAttr("hx-get", pending.get);
      pending = null;
      if (next) next.click();
    }
  });
  // Leaving changed input asks first: a swap that would replace the form, or opening another form.
  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail, form = changedOutside(detail.elt);
    if (!form) return;
    var replaces = detail.target && detail.target.contains(form);
    if (!replaces && !(detail.verb === "get" && /\/(edit|new)([?#]|$)/.test(detail.path))) return;
    event.preventDefault();
    if (!confirm(DISCARD)) return;
    var key = keyOf(form), cancel = form.querySelector(".cancel");
    open[key].state = state(form);  // discarded: not asked again
    if (replaces || !cancel) return detail.issueRequest(true);
    pending = {key: key, elt: detail.elt, get: detail.elt.getAttribute("hx-get")};
    cancel.click();
  });
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented && isInline(event.target)) leaving = true;  // a plain post (htmx did not take it)
  });
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !forms().some(changed)) return;
    event.preventDefault();
    event.returnValue = "";
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
    var t = event.target, form = t.closest && t.closest("form");
    if (!isInline(form)) {  // focus on nothing in particular (the page, a heading): the one open form, if one
      var all = forms();
      form = !t.closest("a,button,input,select,textarea,dialog,form") && all.length === 1 ? all[0] : null;
    }
    var cancel = form && form.querySelector(".cancel");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest(".close-dialog");
    var dialog = close && close.closest("dialog");
    if (dialog) {
      event.preventDefault();
      closeDialog(dialog);
    }
    var link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || link.target || event.button || event.ctrlKey || event.metaKey ||
        event.shiftKey || link.matches(".cancel,[hx-get],[hx-post]") || link.getAttribute("href")[0] === "#") return;
    if (!changedOutside(link)) return;
    if (confirm(DISCARD)) leaving = true; else event.preventDefault();
  });
  document.addEventListener("htmx:responseError", function (event) {
    var toast = document.getElementById("error-toast");
    var status = event.detail.xhr.status;
    toast.textContent = status === 403 ? "This change is not allowed (your role, or the customer is archived)." :
      status === 404 ? "This record no longer exists." :
      status === 429 ? "Too many requests; wait a moment." :
      "Something went wrong (" + status + "). Nothing was saved.";
    toast.hidden = false;
    setTimeout(function () { toast.hidden = true; }, 6000);
  });
  document.addEventListener("htmx:sendError", function () {
    var toast = document.getElementById("error-toast");
    toast.textContent = "The portal cannot be reached. Check your connection.";
    toast.hidden = false;
  });
})();
