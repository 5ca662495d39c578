"""CSV imports of customers: the job (its file, mapping, progress and outcome), its previewed rows, and the column
mapping an organization used last."""
from portal.extensions import db
from portal.models.base import created_at_column, updated_at_column

# uploaded → (mapping) → previewing → ready → applying → applied; or failed / discarded
IMPORT_STATUSES = ("mapping", "previewing", "ready", "applying", "applied", "failed", "discarded")


class CustomerImport(db.Model):
    """One import: the uploaded file, how its columns map, and how far the preview or the apply has got. Any
    worker reads its progress from here; a runner that died is seen by its heartbeat and process."""

    __table_args__ = (db.Index("ix_customer_import_org", "organization_id", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False)
    user_id = db.Column(db.ForeignKey("user.id", ondelete="SET NULL"))
    actor_name = db.Column(db.String(254), nullable=False)
    filename = db.Column(db.String(255), nullable=False, default="")
    size = db.Column(db.Integer, nullable=False, default=0)
    encoding = db.Column(db.String(40), nullable=False, default="")
    delimiter = db.Column(db.String(8), nullable=False, default=",")
    headers = db.Column(db.JSON, nullable=False, default=list)
    mapping = db.Column(db.JSON, nullable=False, default=list)  # a field name (or "") per column
    status = db.Column(db.String(16), nullable=False, default="mapping")
    total_rows = db.Column(db.Integer, nullable=False, default=0)
    processed_rows = db.Column(db.Integer, nullable=False, default=0)
    creates = db.Column(db.Integer, nullable=False, default=0)
    updates = db.Column(db.Integer, nullable=False, default=0)
    unchanged = db.Column(db.Integer, nullable=False, default=0)
    errors = db.Column(db.Integer, nullable=False, default=0)
    message = db.Column(db.Text, nullable=False, default="")
    runner_host = db.Column(db.String(255))
    runner_pid = db.Column(db.Integer)
    heartbeat_at = db.Column(db.DateTime)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    created_at = created_at_column()
    finished_at = db.Column(db.DateTime)

    @property
    def valid_rows(self):
        return self.creates + self.updates


class CustomerImportFile(db.Model):
    """The uploaded bytes, apart from the job so that listing imports does not read them."""

    import_id = db.Column(db.ForeignKey("customer_import.id", ondelete="CASCADE"), primary_key=True)
    content = db.Column(db.LargeBinary, nullable=False)


class CustomerImportRow(db.Model):
    """One previewed row: what applying it does (create, update, unchanged, error), with what and why not."""

    __table_args__ = (db.UniqueConstraint("import_id", "row_number"),
                      db.Index("ix_customer_import_row_action", "import_id", "action", "row_number"))

    id = db.Column(db.Integer, primary_key=True)
    import_id = db.Column(db.ForeignKey("customer_import.id", ondelete="CASCADE"), nullable=False)
    row_number = db.Column(db.Integer, nullable=False)  # the line of the file where the row starts
    action = db.Column(db.String(10), nullable=False)  # create | update | unchanged | error
    label = db.Column(db.String(300), nullable=False, default="")  # the row's name and debtor ident, as shown
    customer_id = db.Column(db.Integer)  # updated (or, once applied, created) customer
    customer_version = db.Column(db.Integer)  # the version the preview read: a later change stops the apply
    values = db.Column(db.JSON)  # the checked input the apply writes
    changes = db.Column(db.JSON)  # update: {field: [now, from the file]}
    problems = db.Column(db.JSON)  # error: [{"column": header or None, "message": ...}]


class ImportMapping(db.Model):
    """The column mapping an organization used last: {header as typed, lower-cased: field name or ""}."""

    organization_id = db.Column(db.ForeignKey("organization.id"), primary_key=True)
    mapping = db.Column(db.JSON, nullable=False, default=dict)
    updated_at = updated_at_column()
