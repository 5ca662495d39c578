"""CSV import of customers (SPEC §8): upload, map columns, preview every row by the customer rules, then apply all
valid rows in one transaction, or nothing.

A job lives in the database (`CustomerImport`): its file, mapping, progress and outcome, so that any worker reports
its progress and a runner that died is noticed (its process is gone, or its heartbeat stopped) and started again.
Small files run within the request; large ones in a runner process of their own (portal.jobs), niced, so that
requests are served first.
"""
import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from portal.api.boundary import string_problem
from portal.db_setup import writing_transactions
from portal.domain import csv_import as csvfile
from portal.domain import validation as rules
from portal.domain.csv_import import FileProblem
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.models import (
    Customer,
    CustomerGroup,
    CustomerImport,
    CustomerImportFile,
    CustomerImportRow,
    ImportMapping,
    LegalEntity,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services import customers as customer_service

__all__ = ["FileProblem"]

INLINE_ROWS = 1_000  # a file of at most this many rows is previewed and applied within the request
CHUNK = 500  # rows previewed per transaction (progress moves, and a resumed preview goes on from here)
APPLY_CHUNK = 1_000
MAX_ATTEMPTS = 3  # a job whose runner stopped this often fails (nothing applied) instead of starting again
HEARTBEAT_SECONDS = 2
STALE_AFTER = timedelta(minutes=10)  # a runner on another host is taken for dead after this long without a beat
RUNNING = ("previewing", "applying")
TOO_LARGE = "The file is larger than 10 MB, the most one import takes. Split it into smaller files."
REQUIRED_FOR_MATCHING = "Map a column to Debtor ID (to update customers) or to Name (to add them)."


# --- upload and mapping -------------------------------------------------------------------------

def _remembered(organization_id):
    row = db.session.get(ImportMapping, organization_id)
    return dict(row.mapping) if row else {}


def start(organization_id, actor, filename, data):
    """A new import of the uploaded bytes, its columns mapped as suggested; FileProblem when the file cannot be read
    (too large, not text, no header, a broken quote)."""
    if len(data) > csvfile.MAX_BYTES:
        raise FileProblem(TOO_LARGE)
    text, encoding = csvfile.decode(data)
    delimiter, header, rows = csvfile.read(text)
    if not rows:
        raise FileProblem("The file has a header row but no customers below it.")
    job = CustomerImport(
        organization_id=organization_id, user_id=actor.id if actor.type == "user" else None,
        actor_name=actor.name, filename=(filename or "")[:255], size=len(data), encoding=encoding,
        delimiter=delimiter, headers=header, total_rows=len(rows),
        mapping=csvfile.suggested_mapping(header, _remembered(organization_id)), status="mapping")
    db.session.add(job)
    db.session.flush()
    db.session.add(CustomerImportFile(import_id=job.id, content=data))
    return job


def unknown_columns(job):
    """The headers neither the export nor the organization's last mapping knows (the user maps them)."""
    known, remembered = csvfile.known_headers(), _remembered(job.organization_id)
    return [h for h in job.headers if h and h.lower() not in known and h.lower() not in remembered]


def set_mapping(job, mapping):
    """Map each column to a field (or "" to leave it out) and remember it for the organization's next import."""
    mapping = [m if m in csvfile.IMPORT_FIELDS else "" for m in (list(mapping) + [""] * len(job.headers))]
    mapping = mapping[:len(job.headers)]
    chosen = [m for m in mapping if m]
    twice = next((m for m in chosen if chosen.count(m) > 1), None)
    if twice:
        from portal.domain.labels import field_label

        raise ValidationFailed({"mapping": f"{field_label('customer', twice)} is chosen for two columns."})
    if not {"debtorIdent", "name"} & set(chosen):
        raise ValidationFailed({"mapping": REQUIRED_FOR_MATCHING})
    job.mapping = mapping
    row = db.session.get(ImportMapping, job.organization_id) or ImportMapping(organization_id=job.organization_id,
                                                                             mapping={})
    row.mapping = {**row.mapping, **{h.lower(): m for h, m in zip(job.headers, mapping) if h}}
    db.session.add(row)


# --- preview ----------------------------------------------------------------------------------------

def begin_preview(job):
    """(Re)start the preview from the first row."""
    db.session.execute(sa.delete(CustomerImportRow).where(CustomerImportRow.import_id == job.id))
    job.status = "previewing"
    job.processed_rows = job.creates = job.updates = job.unchanged = job.errors = 0
    job.message = ""
    job.attempts = 0
    job.finished_at = None


def file_rows(job):
    """The file's rows as (line, cells)."""
    data = db.session.get(CustomerImportFile, job.id).content
    return csvfile.read(csvfile.decode(data)[0])[2]


class _Context:
    """What previewing a chunk looks up once: the organization's legal entities and groups, the customers its debtor idents
    name, and the idents earlier rows of the file used."""

    def __init__(self, job):
        self.job = job
        self.organization_id = job.organization_id
        self.entities = {name.lower(): entity_id for entity_id, name in db.session.execute(
            sa.select(LegalEntity.id, LegalEntity.name).where(LegalEntity.organization_id == job.organization_id))}
        self.groups = {name.lower(): group_id for group_id, name in db.session.execute(
            sa.select(CustomerGroup.id, CustomerGroup.name).where(CustomerGroup.organization_id == job.organization_id))}
        self.column_of = {field: job.headers[i] for i, field in enumerate(job.mapping) if field}
        self.seen = {}  # debtor ident → line
        for line, values in db.session.execute(sa.select(CustomerImportRow.row_number, CustomerImportRow.values)
                                               .where(CustomerImportRow.import_id == job.id)):
            ident = (values or {}).get("debtorIdent")
            if ident:
                self.seen[ident] = line
        self.customers = {}

    def load(self, chunk):
        """The customers of the chunk's debtor idents, with what the preview compares."""
        index = self.job.mapping.index("debtorIdent") if "debtorIdent" in self.job.mapping else None
        idents = {cells[index].strip() for _line, cells in chunk if index is not None and index < len(cells)}
        idents.discard("")
        self.customers = {}
        if idents:
            from sqlalchemy.orm import selectinload

            found = db.session.scalars(sa.select(Customer).where(
                Customer.organization_id == self.organization_id, Customer.debtor_ident.in_(idents))
                .options(selectinload(Customer.contacts), selectinload(Customer.aliases))).all()
            self.customers = {c.debtor_ident: c for c in found}


def _problems_at(context, failed):
    """A rule's errors ({API field: message}) at the columns the fields came from, the first one per column (the
    invoice address's country follows the customer's)."""
    fields = {"primaryContact.email": "primaryEmail", "invoiceAddress.country": "country"}
    problems = {}
    for name, message in failed.errors.items():
        column = context.column_of.get(fields.get(name, name))
        problems.setdefault(column, {"column": column, "message": message})
    return list(problems.values())


def preview_row(context, line, cells):
    """What one row of the file would do, as a CustomerImportRow (not yet added)."""
    job = context.job
    problems, texts = [], {}
    if len(cells) > len(job.headers):  # fewer is fine: some programs leave out empty cells at the end
        problems.append({"column": None, "message": f"This row has {len(cells)} cells and the header "
                                                    f"{len(job.headers)}: check its delimiters and quotes."})
    for index, field in enumerate(job.mapping):
        if not field or index >= len(cells):
            continue
        problem = string_problem(cells[index])  # the input boundary: what no column can hold
        try:
            if problem:
                raise ValueError(problem)
            texts[field] = csvfile.cell_text(cells[index])
        except ValueError as error:
            problems.append({"column": job.headers[index], "message": str(error)})
    ident = texts.get("debtorIdent") or ""
    label = " · ".join(p for p in (texts.get("name"), ident) if p)[:300]
    if ident and ident in context.seen:
        problems.append({"column": context.column_of["debtorIdent"],
                         "message": f"Debtor ID {ident} is on line {context.seen[ident]} already."})
    elif ident:
        context.seen[ident] = line
    row = CustomerImportRow(import_id=job.id, row_number=line, label=label)
    if problems:  # text no rule should see
        row.action, row.problems, row.values = "error", problems, {"debtorIdent": ident} if ident else None
        return row
    values = {field: csvfile.field_value(field, text) for field, text in texts.items()}
    named = []  # names that match nothing: said in the file's words, beside what the rules say of the rest
    for field in ("country", "language"):
        problem = csvfile.unknown_code(field, texts.get(field), values.get(field))
        if problem:
            named.append({"column": context.column_of[field], "message": problem})
    if texts.get("legalEntityId"):
        values["legalEntityId"] = context.entities.get(texts["legalEntityId"].lower())
        if values["legalEntityId"] is None:
            named.append({"column": context.column_of["legalEntityId"],
                          "message": f"No legal entity is named “{texts['legalEntityId']}”. Add it under "
                                     "Organization → Legal entities, or correct the name."})
    if "groupId" in texts:  # a group by its name; an empty cell takes the customer out of its group
        name = texts["groupId"]
        values["groupId"] = context.groups.get(name.lower()) if name else None
        if name and values["groupId"] is None:
            named.append({"column": context.column_of["groupId"],
                          "message": f"No customer group is named “{name}”. Add it under Organization → Customer "
                                     "groups, or correct the name."})
    customer = context.customers.get(ident) if ident else None
    found = []
    try:
        if customer is not None:
            _preview_update(row, customer, values)
        else:
            _preview_create(row, context.organization_id, values)
    except ValidationFailed as failed:
        found = _problems_at(context, failed)
    if named or found:
        columns = {p["column"] for p in named}
        row.action, row.problems = "error", named + [p for p in found if p["column"] not in columns]
        row.values, row.changes, row.customer_id = ({"debtorIdent": ident} if ident else None), None, None
    return row


def _preview_create(row, organization_id, values):
    data = {name: values[name] for name in csvfile.IMPORT_FIELDS
            if name in values and name not in ("primaryEmail",)}
    data["primaryContact"] = {"email": values.get("primaryEmail")}
    # the chunk's customers were looked up by debtor ident (context.load): a row that gets here names none of them
    cleaned = customer_service.clean_new_customer(organization_id, data, debtor_ident_known_free=True)
    row.action, row.values = "create", audit.jsonable(cleaned)


def _preview_update(row, customer, values):
    changes = {name: value for name, value in values.items() if name not in ("debtorIdent", "primaryEmail")}
    cleaned = customer_service.clean_customer_changes(customer, changes)
    now = customer_service.customer_summary(customer)
    diff = audit.diff(now, cleaned)
    cleaned = {name: cleaned[name] for name in diff}
    email = None
    if "primaryEmail" in values:
        email = rules.email(values["primaryEmail"]) if values["primaryEmail"] else None
        if email is None:
            raise ValidationFailed({"primaryEmail": "Primary contact email is required."})
        if email.lower() != (now["primaryEmail"] or "").lower():
            diff["primaryEmail"] = [now["primaryEmail"], email]
        else:
            email = None
    row.customer_id, row.customer_version = customer.id, customer.version
    row.values = audit.jsonable({"debtorIdent": customer.debtor_ident, "changes": cleaned, "primaryEmail": email})
    row.changes = diff
    row.action = "update" if diff else "unchanged"


COUNTERS = {"create": "creates", "update": "updates", "unchanged": "unchanged", "error": "errors"}  # job columns


def run_preview(job_id):
    """Preview the job's rows from where it stopped, a chunk per transaction; then it is ready to apply."""
    job = db.session.get(CustomerImport, job_id)
    rows = file_rows(job)
    context = _Context(job)
    done = job.processed_rows
    for start_at in range(done, len(rows), CHUNK):
        chunk = rows[start_at:start_at + CHUNK]
        context.load(chunk)
        previewed = [preview_row(context, line, cells) for line, cells in chunk]
        db.session.add_all(previewed)
        for row in previewed:
            setattr(job, COUNTERS[row.action], getattr(job, COUNTERS[row.action]) + 1)
        job.processed_rows = start_at + len(chunk)
        job.heartbeat_at = utcnow()
        db.session.commit()
        job = db.session.get(CustomerImport, job_id)
        context.job = job
    job.status = "ready"
    job.finished_at = utcnow()
    db.session.commit()


# --- apply --------------------------------------------------------------------------------------------

class Changed(Exception):
    """Customers changed (or debtor idents were taken) since the preview: nothing is applied."""


def begin_apply(job):
    if job.status != "ready":
        raise ValidationFailed({"import": "Only a finished preview can be applied."})
    if not job.valid_rows:
        raise ValidationFailed({"import": "No row of this file can be applied: correct the errors and upload it again."})
    job.status = "applying"
    job.processed_rows = 0
    job.attempts = 0
    job.message = ""


def discard(job):
    if job.status in ("applied", "applying", "discarded"):
        raise ValidationFailed({"import": "This import cannot be discarded now."})
    job.status = "discarded"
    job.finished_at = utcnow()
    db.session.execute(sa.delete(CustomerImportRow).where(CustomerImportRow.import_id == job.id))


def _actor(job):
    if job.user_id is None:
        return audit.CLI_ACTOR
    return audit.Actor("user", job.user_id, job.actor_name)


def _cleaned_create(values):
    values = dict(values)
    values["taxRate"] = Decimal(values["taxRate"]) if values.get("taxRate") is not None else Decimal("0")
    return values


def run_apply(job_id, progress=None):
    """Apply every valid row of the preview in one transaction: all of them, or (on any failure, a crash included)
    none. Customers changed since the preview stop it; the job then says which."""
    job = db.session.get(CustomerImport, job_id)
    organization_id, actor = job.organization_id, _actor(job)
    rows = db.session.execute(sa.select(
        CustomerImportRow.id, CustomerImportRow.row_number, CustomerImportRow.action, CustomerImportRow.customer_id,
        CustomerImportRow.customer_version, CustomerImportRow.values).where(
        CustomerImportRow.import_id == job_id, CustomerImportRow.action.in_(("create", "update")))
        .order_by(CustomerImportRow.row_number)).all()
    creates = [r for r in rows if r.action == "create"]
    updates = [r for r in rows if r.action == "update"]
    # New customers are worked out before the transaction (account numbers reserved, rows, search terms, audit
    # summaries), so that it only writes them: on SQLite it holds the write lock that long. A failed apply leaves
    # gaps in the account numbers, as a failed single create does.
    db.session.commit()  # the reads end here: each transaction below starts with a write (SQLite waits for its lock)
    prepared = []
    for start_at in range(0, len(creates), APPLY_CHUNK):
        chunk = creates[start_at:start_at + APPLY_CHUNK]
        prepared.append((chunk, customer_service.prepare_customers(  # begins by reserving account numbers
            organization_id, [_cleaned_create(r.values) for r in chunk])))
        db.session.commit()
    progress = progress or (lambda done: None)
    try:
        if db.engine.dialect.name == "sqlite":  # take the write lock now (PostgreSQL locks rows as it goes)
            db.session.execute(sa.update(CustomerImport).where(CustomerImport.id == job_id)
                               .values(heartbeat_at=utcnow()))
        with audit.importing(job_id), audit.acting(actor):
            _check_versions(updates)
            done = 0
            for chunk, customers in prepared:
                ids = customer_service.insert_customers(customers)
                db.session.execute(_CREATED, [{"row_id": r.id, "created_id": customer_id}
                                              for r, customer_id in zip(chunk, ids)])
                done += len(chunk)
                progress(done)
            for start_at in range(0, len(updates), APPLY_CHUNK):
                chunk = updates[start_at:start_at + APPLY_CHUNK]
                _apply_updates(organization_id, chunk)
                done += len(chunk)
                progress(done)
        job = db.session.get(CustomerImport, job_id)
        job.status, job.finished_at, job.processed_rows = "applied", utcnow(), done
        db.session.commit()
    except (Changed, sa.exc.IntegrityError) as error:
        db.session.rollback()
        message = str(error) if isinstance(error, Changed) else (
            "Nothing was applied: a customer with one of the file's debtor IDs was added meanwhile. "
            "Preview the file again.")
        _fail(job_id, message)


# which customer a create row made (Core: the ORM's bulk update costs more than the statement)
_CREATED = sa.update(CustomerImportRow.__table__).where(
    CustomerImportRow.__table__.c.id == sa.bindparam("row_id")).values(customer_id=sa.bindparam("created_id"))


def _check_versions(updates):
    changed = []
    for start_at in range(0, len(updates), APPLY_CHUNK):
        chunk = updates[start_at:start_at + APPLY_CHUNK]
        versions = dict(db.session.execute(sa.select(Customer.id, Customer.version).where(
            Customer.id.in_([r.customer_id for r in chunk]))).all())
        changed += [r for r in chunk if versions.get(r.customer_id) != r.customer_version]
    if changed:
        lines = ", ".join(str(r.row_number) for r in changed[:10]) + (" …" if len(changed) > 10 else "")
        raise Changed(f"Nothing was applied: {len(changed):,} customer{'s' if len(changed) != 1 else ''} changed "
                      f"since the preview (lines {lines}). Preview the file again to see the changes as they are now.")


def _apply_updates(organization_id, chunk):
    from sqlalchemy.orm import selectinload

    from portal.services import contacts

    customers = {c.id: c for c in db.session.scalars(sa.select(Customer).where(
        Customer.organization_id == organization_id, Customer.id.in_([r.customer_id for r in chunk]))
        .options(selectinload(Customer.contacts), selectinload(Customer.aliases),
                 selectinload(Customer.addresses)))}
    for row in chunk:
        customer = customers[row.customer_id]
        changes = dict(row.values["changes"])
        if "taxRate" in changes:
            changes["taxRate"] = Decimal(changes["taxRate"])
        customer_service.apply_customer_changes(customer, changes)
        if row.values.get("primaryEmail"):
            contacts.update_contact(customer.primary_contact, {"email": row.values["primaryEmail"]})


def _fail(job_id, message):
    job = db.session.get(CustomerImport, job_id)
    job.status, job.message, job.finished_at = "failed", message, utcnow()
    db.session.commit()


# --- running: within the request, or a runner process; noticing one that died -------------------------

def run(job_id):
    """Run what the job is waiting for (its preview or its apply), here and now."""
    db.session.commit()  # what the caller read ends here: the job's transactions write from their start
    try:
        job = db.session.get(CustomerImport, job_id)
        if job.status == "previewing":
            with writing_transactions():  # each chunk reads, then writes its rows
                run_preview(job_id)
        elif job.status == "applying":
            beat = _Heartbeat(job_id)
            try:
                run_apply(job_id, beat.progress)
            finally:
                beat.stop()
    except Exception as error:  # the job must not stay "running" after an unexpected failure
        db.session.rollback()
        current_app.logger.exception("import %s failed", job_id)
        _fail(job_id, f"Nothing was applied: the import stopped on an unexpected error ({type(error).__name__}).")


def launch(job):
    """Run the job within this request when it is small, else start a runner process for it."""
    if job.total_rows <= INLINE_ROWS:
        db.session.commit()
        run(job.id)
        return
    job.attempts += 1
    job.heartbeat_at = utcnow()
    job.runner_pid = None
    job.runner_host = socket.gethostname()
    db.session.commit()
    config = current_app.config
    env = {**os.environ, "PORTAL_JOB_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "PORTAL_JOB_CONFIG": config["PORTAL_CONFIG_NAME"]}
    process = subprocess.Popen([sys.executable, "-m", "portal.jobs", str(job.id)], env=env,
                               start_new_session=True, stdin=subprocess.DEVNULL)
    threading.Thread(target=process.wait, daemon=True).start()  # reap it when it ends


def _process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def stopped(job):
    """Whether the job's runner is gone while the job is running (its process ended, or no beat for long)."""
    if job.status not in RUNNING or job.heartbeat_at is None:
        return False
    if job.runner_host == socket.gethostname() and job.runner_pid:
        return not _process_alive(job.runner_pid)
    if job.runner_pid is None and job.total_rows > INLINE_ROWS:
        return utcnow() - job.heartbeat_at > timedelta(seconds=30)  # never started
    return utcnow() - job.heartbeat_at > STALE_AFTER


def recover(job):
    """Start a job whose runner died again (a preview goes on from its last chunk; an apply, which left nothing,
    from the start); after MAX_ATTEMPTS it fails. Only one worker wins the claim."""
    if not stopped(job):
        return job
    if job.attempts >= MAX_ATTEMPTS:
        _fail(job.id, f"The import stopped {job.attempts} times and was given up. Nothing was applied"
                      + (" (the preview was not finished)." if job.status == "previewing" else "."))
        return db.session.get(CustomerImport, job.id)
    claimed = db.session.execute(sa.update(CustomerImport).where(
        CustomerImport.id == job.id, CustomerImport.attempts == job.attempts,
        CustomerImport.status == job.status).values(heartbeat_at=utcnow(), runner_pid=None)).rowcount
    db.session.commit()
    job = db.session.get(CustomerImport, job.id)
    if claimed:
        if job.status == "applying":
            job.processed_rows = 0
        launch(job)
    return db.session.get(CustomerImport, job.id)


def resume_stopped():
    """At a server's start: every running import whose runner is gone starts again (or fails after MAX_ATTEMPTS)."""
    for job in db.session.scalars(sa.select(CustomerImport).where(CustomerImport.status.in_(RUNNING))).all():
        recover(job)


def claim_for_runner(job_id):
    """The runner process says it has the job: its host and pid."""
    db.session.execute(sa.update(CustomerImport).where(CustomerImport.id == job_id).values(
        runner_pid=os.getpid(), runner_host=socket.gethostname(), heartbeat_at=utcnow()))
    db.session.commit()


class _Heartbeat:
    """A beat (and the apply's progress) every few seconds on a connection of its own. While SQLite's write lock is
    the apply's, the beat waits; the runner's process is how a dead runner is told apart then."""

    def __init__(self, job_id):
        self.job_id, self.done = job_id, 0
        self.engine = db.engine
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()

    def progress(self, done):
        self.done = done

    def _beat(self):
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            try:
                with self.engine.begin() as connection:
                    connection.execute(sa.update(CustomerImport).where(
                        CustomerImport.id == self.job_id, CustomerImport.status == "applying").values(
                        heartbeat_at=utcnow(), processed_rows=self.done))
            except sa.exc.OperationalError:
                pass  # SQLite: the apply holds the write lock

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)


# --- reading ----------------------------------------------------------------------------------------------

def organization_imports(organization_id, limit=20):
    return db.session.scalars(sa.select(CustomerImport).where(CustomerImport.organization_id == organization_id)
                              .order_by(CustomerImport.id.desc()).limit(limit)).all()


ROW_PAGE = 100


def preview_rows(job, action=None, page=1):
    """One page of the preview's rows (errors first when no action is chosen), and whether there are more."""
    query = sa.select(CustomerImportRow).where(CustomerImportRow.import_id == job.id)
    if action:
        query = query.where(CustomerImportRow.action == action)
    else:
        query = query.where(CustomerImportRow.action != "unchanged")
    order = sa.case((CustomerImportRow.action == "error", 0), else_=1)
    rows = db.session.scalars(query.order_by(order, CustomerImportRow.row_number)
                              .offset((page - 1) * ROW_PAGE).limit(ROW_PAGE + 1)).all()
    return rows[:ROW_PAGE], len(rows) > ROW_PAGE

