"""The customer overview, CSV export and New customer."""
import csv
import io

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
from portal.domain import validation as rules
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.services import customer_search
from portal.services import properties as property_service
from portal.services.unique_races import once_more_on_unique_race
from portal.web.render import redirect_to, render, targets


@bp.route("")
@login_required
def overview():
    """Search, filter, sort and page through the organization's customers."""
    flt = customer_search.CustomerFilter.from_args(request.args)
    page_number = request.args.get("page", "1")
    page = customer_search.overview_page(current_org_id(), flt, rules.whole_number(page_number) or 1,
                                          current_app.config["PAGE_SIZE"])
    block = "results" if targets("results") else None
    from portal.services.settings_store import BULK_FIELDS

    return render("customers/overview.html", block, flt=flt, page=page, legal_entities=legal_entities(),
                  bulk_fields=BULK_FIELDS)


CSV_COLUMNS = ("id", "debtorIdent", "accountNumber", "name", "customerType", "status", "country", "currency",
               "legalEntity", "primaryEmail", "vatId", "taxRate", "language", "createdAt")
# Effective billing settings in the export, resolved like everywhere else.
CSV_SETTINGS = ("term", "autoCollect", "sendPaymentReminders", "dunningExempt", "eInvoiceFormat")
CSV_BATCH = 500


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


@bp.route("/export.csv")
@login_required
def export_csv():
    """Exactly the filtered list, all pages, as CSV, with the effective billing settings."""
    from portal.services.settings_store import resolve_many

    flt = customer_search.CustomerFilter.from_args(request.args)
    organization_id = current_org_id()

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS + CSV_SETTINGS)
        for batch in _batches(customer_search.export_rows(organization_id, flt), CSV_BATCH):
            resolved = resolve_many(organization_id, [customer.id for customer, _email in batch])
            for customer, primary_email in batch:
                settings = resolved[customer.id]
                writer.writerow([_csv_cell(v) for v in (
                    customer.id, customer.debtor_ident, customer.account_number, customer.name,
                    customer.customer_type, customer.status, customer.country, customer.currency,
                    customer.legal_entity.name if customer.legal_entity else "", primary_email, customer.vat_id,
                    customer.tax_rate, customer.language, customer.created_at.isoformat(timespec="seconds") + "Z",
                    *(settings[name].value for name in CSV_SETTINGS))])
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
    form.set_legal_entities(legal_entities())
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
