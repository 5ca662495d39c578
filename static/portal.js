// Customer Portal: the little behaviour htmx does not give (dialogs, focus, Escape, error toast).
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
    // After a failed save the first invalid field takes the focus, else the form's first field or the Edit button.
    var focus = target.querySelector && (target.querySelector("[autofocus]") ||
      target.querySelector("[data-focus]"));
    if (!focus && target.matches && target.matches("[data-focus]")) focus = target;
    if (focus) focus.focus();
  });
  // After a failed save, the first invalid field takes the focus (htmx has focused [autofocus] by then).
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.elt;
    var invalid = elt && elt.querySelector && elt.querySelector('[aria-invalid="true"]');
    if (invalid && elt.isConnected) invalid.focus();
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest(".close-dialog");
    var dialog = close && close.closest("dialog");
    if (dialog) {
      event.preventDefault();
      closeDialog(dialog);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("[data-cancel]");
    var cancel = form && form.querySelector(".cancel");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
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
