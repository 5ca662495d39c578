"""The Activity tab's revert: one field of one event back to the value it had before, in one click."""
from flask import abort, request, url_for

from portal.auth import role_required
from portal.customers import bp
from portal.customers.pages import (
    ACTIVITY_TEMPLATE,
    DETAIL,
    load_customer,
    page_context,
    require_editable,
)
from portal.extensions import db
from portal.services import activity as activity_service
from portal.web.render import done, render

LIST_ARGS = ("section", "person", "channel", "page")  # what the list showed: kept after the revert
HEADER = (DETAIL, "customer_head")  # a reverted name, country, currency or legal entity shows in the header


@bp.post("/<int:customer_id>/activity/<int:event_id>/revert/<field>")
@role_required("manager")
def revert_change(customer_id, event_id, field):
    """Revert one field of one event through the service normal edits use; 409 with the conflict view when the field
    was changed since, 422 with the message when the old value breaks a rule now (nothing stored either way)."""
    customer = require_editable(load_customer(customer_id, for_update=True))
    event = activity_service.find_event(customer, event_id)
    if event is None or activity_service.revertible_change(customer, event, field) is None:
        abort(404, "No such change to revert.")
    outcome = activity_service.revert(customer, event, field,
                                      seen=activity_service.seen_value(request.form.get("seen")))
    if not outcome.applied:
        db.session.rollback()
    if outcome.kind in ("reverted", "unchanged"):
        db.session.commit()
        back = url_for("customers.tab", customer_id=customer_id, tab="activity",
                       **{name: request.args[name] for name in LIST_ARGS if request.args.get(name)})
        return done(outcome.message, back, lambda: activity_list(load_customer(customer_id), oob=(HEADER,),
                                                                 focus="activity-list"))
    return activity_list(load_customer(customer_id), status=409 if outcome.kind == "conflict" else 422,
                         revert_problem=outcome)


def activity_list(customer, status=200, oob=(), **extra):
    """The list of events (htmx, with out-of-band parts), or the page with the Activity tab (a plain form post)."""
    return render(DETAIL, "activity_list", fragment_template=ACTIVITY_TEMPLATE, status=status, oob=oob,
                  **page_context(customer, "activity", **extra))
