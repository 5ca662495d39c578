"""Customers → Import (managers): upload a CSV, map its columns, preview, then apply all valid rows or nothing.
The rules and the job live in portal.services.imports."""
import csv
import io

from flask import Response, abort, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.customers import bp
from portal.customers.overview import BOM, csv_headers
from portal.domain import csv_import as csvfile
from portal.domain.labels import country_name, field_label, label, language_name
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.models import CustomerImport
from portal.services import audit
from portal.services import imports as service
from portal.services import groups as group_service
from portal.services import legal_entities as legal_entity_service
from portal.web.render import redirect_to, render

PAGE = "customers/import.html"
JOB_PAGE = "customers/import_job.html"
ACTIONS = ("create", "update", "unchanged", "error")
# The upload may be a little larger than the file (the form's other parts and the multipart framing).
UPLOAD_SLACK = 64 * 1024


def _field_choices():
    return [("", "Leave out")] + [(name, field_label("customer", name)) for name in csvfile.IMPORT_FIELDS]


@bp.route("/import")
@role_required("manager")
def imports():
    """Upload a CSV file; the organization's recent imports."""
    return render(PAGE, None, problem=None, recent=service.organization_imports(current_org_id()))


@bp.route("/import/sample.csv")
@role_required("manager")
def import_sample():
    """A sample file: the export's columns, two customers (one to update by its debtor ID, one new)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(csv_headers())
    writer.writerow(["", "CUST-000001", "", "Example GmbH", "Business (B2B)", "Active", "DE", "EUR", "", "",
                     "billing@example.com", "DE811907980", "19.00", "German", "", "", "", "", "", ""])
    writer.writerow(["", "", "", "New Customer Ltd", "Business (B2B)", "", "GB", "GBP", "", "", "accounts@new.example",
                     "", "20.00", "English", "", "", "", "", "", ""])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=customers-import-sample.csv"})


@bp.url_value_preprocessor
def _allow_the_upload(endpoint, _values):
    # before any before_request hook reads the form (CSRF): the upload may be larger than other requests
    if endpoint == "customers.upload_import":
        request.max_content_length = csvfile.MAX_BYTES + UPLOAD_SLACK


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error):
    if request.endpoint != "customers.upload_import":
        return error
    return render(PAGE, None, status=413, problem=service.TOO_LARGE,
                  recent=service.organization_imports(current_org_id()))


@bp.route("/import", methods=["POST"])
@role_required("manager")
def upload_import():
    """Read the uploaded file; map its columns when some are unknown, else preview at once."""
    upload = request.files.get("file")
    problem = None if upload and upload.filename else "Choose a CSV file to upload."
    job = None
    if problem is None:
        try:
            job = service.start(current_org_id(), audit.current_actor(), upload.filename, upload.read())
        except service.FileProblem as error:
            problem = str(error)
    if problem:
        db.session.rollback()
        return render(PAGE, None, status=413 if problem == service.TOO_LARGE else 422, problem=problem,
                      recent=service.organization_imports(current_org_id()))
    if not service.unknown_columns(job):
        try:
            service.set_mapping(job, job.mapping)
        except ValidationFailed:
            pass  # shown on the mapping step
        else:
            service.begin_preview(job)
            service.launch(job)
    db.session.commit()
    return redirect_to(url_for("customers.import_job", import_id=job.id))


def _job(import_id, for_update=False):
    return get_in_org_or_404(CustomerImport, import_id, for_update=for_update)


def _job_context(job, mapping_problem=None):
    action = request.args.get("show") if request.args.get("show") in ACTIONS else None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    rows, more = service.preview_rows(job, action, page) if job.status in ("ready", "applied", "failed") \
        else ([], False)
    mapping = job.status == "mapping" or (request.args.get("mapping") == "1" and job.status in ("ready", "failed"))
    if mapping and mapping_problem is None and not {"debtorIdent", "name"} & set(job.mapping):
        mapping_problem = service.REQUIRED_FOR_MATCHING
    return {"job": job, "rows": rows, "more": more, "show": action, "page": page, "choices": _field_choices(),
            "mapping": mapping,
            "describe": _describer(job.organization_id), "field_label": field_label,
            "delimiters": csvfile.DELIMITERS,
            "unknown": set(service.unknown_columns(job)) if mapping else set(),
            "mapping_problem": mapping_problem, "samples": _samples(job) if mapping else []}


def _describer(organization_id):
    """How a previewed value reads: labels for codes, the legal entity's and the group's name, "—" for nothing."""
    entities = {e.id: e.name for e in legal_entity_service.organization_entities(organization_id)}
    group_names = {g.id: g.name for g in group_service.organization_groups(organization_id)}

    def describe(field, value):
        if value in (None, "", []):
            return "—"
        if field == "customerType":
            return label("customerType", value)
        if field == "language":
            return language_name(value)
        if field == "country":
            return country_name(value)
        if field == "legalEntityId":
            return entities.get(value, value)
        if field == "groupId":
            return group_names.get(value, "a removed group")
        return value

    return describe


def _samples(job):
    """The first few values of each column, for the mapping step."""
    rows = service.file_rows(job)[:3]
    return [[cells[i] if i < len(cells) else "" for _line, cells in rows] for i in range(len(job.headers))]


@bp.route("/import/<int:import_id>")
@role_required("manager")
def import_job(import_id):
    """One import: its mapping, its progress, its preview or its outcome."""
    job = service.recover(_job(import_id))
    return render(JOB_PAGE, None, **_job_context(job))


@bp.route("/import/<int:import_id>/progress")
@role_required("manager")
def import_progress(import_id):
    """The progress bar, polled by htmx while the job runs; when it has finished, the page reloads."""
    job = service.recover(_job(import_id))
    if job.status not in service.RUNNING:
        return "", 200, {"HX-Refresh": "true"}
    return render(JOB_PAGE, "progress", job=job)


@bp.route("/import/<int:import_id>/mapping", methods=["POST"])
@role_required("manager")
def import_mapping(import_id):
    """Save the column mapping (remembered for the next import) and preview."""
    job = _job(import_id, for_update=True)
    if job.status not in ("mapping", "ready", "failed"):
        abort(409, "This import is running or finished; its mapping cannot change now.")
    try:
        service.set_mapping(job, [request.form.get(f"column-{i}", "") for i in range(len(job.headers))])
    except ValidationFailed as failed:
        db.session.rollback()
        job = _job(import_id)
        return render(JOB_PAGE, None, status=422, **_job_context(job, failed.errors["mapping"]))
    service.begin_preview(job)
    service.launch(job)
    db.session.commit()
    return redirect_to(url_for("customers.import_job", import_id=import_id))


def _change(import_id, change):
    """Lock the import, make the change (a refused one is 409 with its reason) and commit."""
    job = _job(import_id, for_update=True)
    try:
        change(job)
    except ValidationFailed as failed:
        db.session.rollback()
        abort(409, failed.errors["import"])
    db.session.commit()


@bp.route("/import/<int:import_id>/apply", methods=["POST"])
@role_required("manager")
def apply_import(import_id):
    """Apply every valid row of the preview in one transaction, or nothing."""
    _change(import_id, lambda job: (service.begin_apply(job), service.launch(job)))
    return redirect_to(url_for("customers.import_job", import_id=import_id))


@bp.route("/import/<int:import_id>/discard", methods=["POST"])
@role_required("manager")
def discard_import(import_id):
    """Leave the import unapplied; nothing of it is written."""
    _change(import_id, service.discard)
    return redirect_to(url_for("customers.imports"))
