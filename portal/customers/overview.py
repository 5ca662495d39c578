"""The customer overview, CSV export and New customer."""
import csv
import io
from functools import cached_property

from flask import (
    Response,
    abort,
    current_app,
    flash,
    request,
    stream_with_context,
    url_for,
)
from flask_login import login_required

from portal.auth import current_org_id, role_required
from portal.customers import bp
from portal.customers.forms import new_customer_form
from portal.customers.pages import legal_entities
from portal.domain import labels
from portal.domain import validation as rules
from portal.domain.settings import describe_term
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.services import customer_search, groups
from portal.services import properties as property_service
from portal.services.unique_races import once_more_on_unique_race
from portal.web.filters import local_datetime
from portal.web.render import redirect_to, render, targets


class FilterChoices:
    """The options of the overview's filters, read only when the page (not the list alone) is rendered."""

    statuses = (*labels.choices("status"), ("all", "All"))
    customer_types = labels.choices("customerType")

    def __init__(self, organization_id, flt):
        self.organization_id = organization_id
        self.flt = flt

    @cached_property
    def currencies(self):
        """(code, "EUR – Euro") for each currency the organization's customers are billed in, and the one
        filtered by, if no customer uses it (the dropdown always shows what the list is filtered by)."""
        codes = customer_search.currencies_in_use(self.organization_id)
        if self.flt.currency and self.flt.currency not in codes:
            codes = sorted([*codes, self.flt.currency])
        return [(code, f"{code} – {labels.currency_name(code)}") for code in codes]

    @cached_property
    def legal_entities(self):
        return legal_entities()

    @cached_property
    def groups(self):
        """(id as text, name) of the organization's customer groups."""
        return groups.group_choices(self.organization_id)


@bp.route("")
@login_required
def overview():
    """Search, filter, sort and page through the organization's customers."""
    flt = customer_search.CustomerFilter.from_args(request.args)
    page_number = rules.whole_number(request.args.get("page", "1")) or 1
    # Next and Previous carry the customer id they start from; a page number alone is an offset.
    after = rules.whole_number(request.args.get("after", "")) or None
    before = None if after else rules.whole_number(request.args.get("before", "")) or None
    page = customer_search.overview_page(current_org_id(), flt, page_number, current_app.config["PAGE_SIZE"],
                                          after=after, before=before)
    # The list alone while searching, filtering, sorting and paging; the filters with it when Back or Forward
    # brings a state back (overview.js); else the page.
    block = "results" if targets("results") else "listing" if targets("overview") else None
    from portal.services.settings_store import BULK_FIELDS

    # A new list puts its state in the address bar in short form (no empty fields), page included; a state that
    # Back or Forward brings back is already there.
    here = url_for("customers.overview", **flt.as_args(page=page.page if page.page > 1 else "",
                                                       after=after if page.page > 1 else "",
                                                       before=before if page.page > 1 else ""))
    return render("customers/overview.html", block, flt=flt, page=page, choices=FilterChoices(current_org_id(), flt),
                  bulk_fields=BULK_FIELDS, oob=[("customers/overview.html", "export_link")],
                  headers={"HX-Push-Url": here} if block == "results" else None)


# The export's columns: (entity, API field name) in the catalogue, so that the headers are its labels.
CSV_COLUMNS = (("customer", "id"), ("customer", "debtorIdent"), ("customer", "accountNumber"), ("customer", "name"),
               ("customer", "customerType"), ("customer", "status"), ("customer", "country"),
               ("customer", "currency"), ("customer", "legalEntityId"), ("customer", "groupId"),
               ("customer", "primaryEmail"),
               ("customer", "vatId"), ("customer", "taxRate"), ("customer", "language"), ("customer", "createdAt"))
# Effective billing settings in the export, resolved like everywhere else.
CSV_SETTINGS = ("term", "autoCollect", "sendPaymentReminders", "dunningExempt", "eInvoiceFormat")
CSV_BATCH = 500
# Excel reads a CSV file as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"
YES_NO = {True: "Yes", False: "No"}


def _csv_cell(value):
    # Spreadsheets run cells that start with = + - @ as formulas; a leading quote keeps them text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _batches(rows, size):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_headers():
    """The export's header row: the catalogue's labels of its fields and settings."""
    return [labels.field_label(entity, name) for entity, name in CSV_COLUMNS] + \
        [labels.field_label("settings", name) for name in CSV_SETTINGS]


def csv_setting(name, value):
    """One effective setting as the export shows it: Yes/No, an enum's label, a payment term in words."""
    if isinstance(value, bool):
        return YES_NO[value]
    if name == "term" and value:
        try:
            return describe_term(value)
        except ValueError:  # a stored term the rules no longer read: shown as it is
            return value
    kind = labels.SETTING_ENUMS.get(name)
    return labels.label(kind, value) if kind else value


def csv_row(customer, primary_email, settings):
    """One customer as the export shows it: labels for codes, Yes/No, dates in the user's time zone."""
    return [
        customer.id, customer.debtor_ident, customer.account_number, customer.name,
        labels.label("customerType", customer.customer_type), labels.label("status", customer.status),
        customer.country, customer.currency, customer.legal_entity.name if customer.legal_entity else "",
        customer.group.name if customer.group else "", primary_email, customer.vat_id, customer.tax_rate, labels.language_name(customer.language),
        local_datetime(customer.created_at),
        *(csv_setting(name, settings[name].value) for name in CSV_SETTINGS)]


@bp.route("/export.csv")
@login_required
def export_csv():
    """Exactly the list on screen (search, filters, sort), all pages, as CSV for Excel, with the effective
    billing settings."""
    from portal.services.settings_store import resolve_many

    flt = customer_search.CustomerFilter.from_args(request.args)
    organization_id = current_org_id()

    def generate():
        buffer = io.StringIO()
        buffer.write(BOM)
        writer = csv.writer(buffer)
        writer.writerow(csv_headers())
        yield buffer.getvalue()  # the header row at once: the download starts before the first batch is read
        buffer.seek(0)
        buffer.truncate()
        for batch in _batches(customer_search.export_rows(organization_id, flt), CSV_BATCH):
            resolved = resolve_many(organization_id, [customer.id for customer, _email in batch])
            for customer, primary_email in batch:
                writer.writerow([_csv_cell(v) for v in csv_row(customer, primary_email, resolved[customer.id])])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=customers.csv"})


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    """New customer: a modal over the overview with htmx, a page of its own without."""
    form = new_customer_form(property_service.required_definitions(current_org_id()))()
    form.set_legal_entities(legal_entities(offered_to=True))
    form.set_groups(groups.group_choices(current_org_id()))
    block = "modal" if request.method == "GET" else "new_customer_form"
    if form.validate_on_submit():
        def create():
            customer = property_service.create_customer_with_properties(current_org_id(), form.to_api(),
                                                                        form.property_values())
            db.session.flush()
            return customer

        try:
            customer = once_more_on_unique_race(create, lambda: abort(409))
        except ValidationFailed as failed:
            db.session.rollback()
            form.add_errors(failed.errors)
        else:
            db.session.commit()
            flash(f"Customer {customer.name} ({customer.debtor_ident}) created.", "success")
            return redirect_to(url_for("customers.detail", customer_id=customer.id))
    status = 422 if form.errors else 200
    return render("customers/new.html", block, status=status, form=form)
