"""What the customer detail page shows: its tabs, and the context each tab needs (no routes here)."""
from flask import abort, request, url_for
from flask_login import current_user

from portal.auth import current_org_id
from portal.domain.validation import whole_number
from portal.services import activity
from portal.services import contacts as contact_service
from portal.services import customers as customer_service
from portal.services import dunning
from portal.services import legal_entities as legal_entity_service
from portal.services import properties as property_service
from portal.services import settings_store as store
from portal.web.settings_rows import attention_items, business_information, customer_rows

TABS = (
    ("overview", "Overview"), ("addresses", "Addresses"), ("contacts", "Contacts"), ("properties", "Properties"),
    ("technical", "Technical details"), ("tax", "Tax"), ("payment-methods", "Payment methods"),
    ("settings", "Settings"), ("activity", "Activity"),
)
TAB_NAMES = {name for name, _label in TABS}
DETAIL = "customers/detail.html"
TIMELINE_TEMPLATE = "customers/sections/timeline.html"
ACTIVITY_TEMPLATE = "customers/tabs/activity.html"
ACTIVITY_LIST = "activity-list"  # the element the Activity tab's filters, pages and reverts swap


def load_customer(customer_id, for_update=False):
    """The signed-in user's organization's customer with its parts, or 404."""
    return customer_service.load_customer(current_org_id(), customer_id, for_update=for_update)


def legal_entities(offered_to=False, keep=None):
    """The organization's legal entities, active ones first by name; `offered_to`: those a customer may be given
    (active ones, and `keep`, the one it has)."""
    entities = legal_entity_service.organization_entities(current_org_id())
    if offered_to:
        entities = [e for e in entities if e.archived_at is None or (keep is not None and e.id == keep)]
    return entities


def can_edit(customer):
    return current_user.can("manager") and customer.status == "active"


def require_editable(customer):
    """403 unless the user may change this customer now (role, and not archived)."""
    if not can_edit(customer):
        abort(403, "Archived customers are read-only; restore the customer first.")
    return customer


def tab_url(customer, tab):
    if tab == "overview":
        return url_for("customers.detail", customer_id=customer.id)
    return url_for("customers.tab", customer_id=customer.id, tab=tab)


def page_context(customer, tab, **extra):
    """What every tab of the detail page needs, and what the shown tab needs besides."""
    context = {"customer": customer, "tab": tab, "tabs": TABS, "can_edit": can_edit(customer),
               "recipients": contact_service.recipients(customer), "editing": None, "form": None,
               "focus": None, "conflict": None}
    if tab == "properties":
        context["definitions"] = property_service.definitions(customer.organization_id)
        context["property_values"] = property_service.values_of(customer)
    if tab == "activity":
        context["activity"] = activity_page(customer)
        context.setdefault("revert_problem", None)
    if tab == "settings":
        context.update(settings_context(customer))
    if tab == "overview":
        context.update(business=business_information(customer, store.resolve_customer(customer)))
    context.update(extra)
    return context


def activity_page(customer):
    """The Activity tab's page of events, as the query string filters and pages it."""
    flt = activity.ActivityFilter.checked(request.args.get("section", ""), request.args.get("person", ""),
                                          request.args.get("channel", ""))
    return activity.activity_page(customer, flt, whole_number(request.args.get("page", "1")) or 1)


def settings_context(customer):
    """What the Settings tab shows: every row with its effective value and source, problems, the timeline."""
    resolved = store.resolve_customer(customer)
    return {**timeline_context(customer, resolved), "scope": "customer", "groups": customer_rows(customer, resolved),
            "attention": attention_items(store.attention(customer, resolved))}


def timeline_context(customer, resolved=None):
    """The dunning timeline for the invoice date and amount asked for (today and 100.00 by default); none while
    either is invalid."""
    return dunning.timeline_for(customer, resolved or store.resolve_customer(customer),
                                request.args.get("invoice_date", ""), request.args.get("amount", ""))
