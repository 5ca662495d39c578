"""The tenant and everything an organization owns besides customers."""
from flask_login import UserMixin
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from portal.domain.settings_fields import INHERITABLE_FIELDS
from portal.extensions import db
from portal.models.base import add_setting_columns, created_at_column, updated_at_column

ROLES = ("viewer", "manager", "admin")


class Organization(db.Model):
    """A tenant: every other record belongs to exactly one."""

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False)
    slug = db.Column(db.String(64), nullable=False, unique=True)
    account_sequence = db.Column(db.Integer, nullable=False, default=0)
    created_at = created_at_column()


class User(UserMixin, db.Model):
    """A person who signs in; their role decides what they may change."""

    __table_args__ = (db.Index("uq_user_password_link_hash", "password_link_hash", unique=True),)

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False, default="")
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(16), nullable=False, default="viewer")
    timezone = db.Column(db.String(64), nullable=False, default="Europe/Berlin")
    is_active_user = db.Column(db.Boolean, nullable=False, default=True)
    created_at = created_at_column()
    # A one-time set-password link (a new user's, or a reset's): only its SHA-256 is kept, until used or expired.
    password_link_hash = db.Column(db.String(64))
    password_link_expires_at = db.Column(db.DateTime)

    organization = db.relationship(Organization, lazy="joined")

    @property
    def is_active(self):
        return self.is_active_user

    def can(self, role):
        """Whether this user's role is at least `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def display_name(self):
        return self.name or self.email


class UserSession(db.Model):
    """A signed-in browser: the cookie carries its token, only the token's SHA-256 is stored. Deleting the row
    ends the session on the server, whatever the cookie says."""

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = created_at_column()


# Changing any of these ends every session of the user (SPEC §4), whichever code path changed it.
SESSION_ENDING_FIELDS = ("password_hash", "role", "is_active_user")


@event.listens_for(Session, "before_flush")
def _end_sessions_of_changed_users(session, _context, _instances):
    """A new password, a new role or deactivation signs the user out on every browser, in the same transaction."""
    changed = [user.id for user in session.dirty if isinstance(user, User) and user.id is not None
               and any(inspect(user).attrs[name].history.has_changes() for name in SESSION_ENDING_FIELDS)]
    if changed:
        # Core, not ORM: a flush is under way and must not be asked to flush again.
        session.connection().execute(UserSession.__table__.delete().where(UserSession.user_id.in_(changed)))


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    name = db.Column(db.String(120), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    prefix = db.Column(db.String(16), nullable=False)
    read_only = db.Column(db.Boolean, nullable=False, default=False)
    created_at = created_at_column()
    last_used_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)

    organization = db.relationship(Organization, lazy="joined")


class LegalEntity(db.Model):
    """A company of the organization that customers are billed under."""

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    country = db.Column(db.String(2), nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    # Archived: customers that use it keep it, new customers are not offered it.
    archived_at = db.Column(db.DateTime)


class EmailTemplate(db.Model):
    """An email that dunning rules send."""

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    subject = db.Column(db.String(255), nullable=False, default="")
    body = db.Column(db.Text, nullable=False, default="")
    created_at = created_at_column()
    updated_at = updated_at_column()


class DocumentTemplate(db.Model):
    """A document (PDF layout) that dunning rules generate."""

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    created_at = created_at_column()
    updated_at = updated_at_column()


class PropertyDefinition(db.Model):
    """A customer property that admins define: key, label, type, options, required."""

    __table_args__ = (db.UniqueConstraint("organization_id", "key"),)

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    key = db.Column(db.String(64), nullable=False)
    label = db.Column(db.String(200), nullable=False)
    type = db.Column(db.String(16), nullable=False, default="text")
    options = db.Column(db.JSON, nullable=False, default=list)
    required = db.Column(db.Boolean, nullable=False, default=False)
    position = db.Column(db.Integer, nullable=False, default=0)


class DunningLadder(db.Model):
    """A named ladder of up to five overdue rules (SPEC §7). The organization's default is its settings layer's
    `dunningLadderId`, so exactly one ladder is the default by construction."""

    __table_args__ = (db.UniqueConstraint("organization_id", "name"),)

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()
    version = db.Column(db.Integer, nullable=False, default=1)

    rules = db.relationship("OverdueRule", order_by="(OverdueRule.level, OverdueRule.id)", back_populates="ladder")

    __mapper_args__ = {"version_id_col": version}


class OverdueRule(db.Model):
    """One step of a dunning ladder (SPEC §7)."""

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    ladder_id = db.Column(db.ForeignKey("dunning_ladder.id"), nullable=False, index=True)
    level = db.Column(db.Integer, nullable=False)
    days_overdue = db.Column(db.Integer, nullable=False)
    due_in_days = db.Column(db.Integer, nullable=False, default=7)
    type = db.Column(db.String(16), nullable=False, default="reminder")
    email_template_id = db.Column(db.ForeignKey("email_template.id"), nullable=False)
    document_template_id = db.Column(db.ForeignKey("document_template.id"))
    amount_in_cents = db.Column(db.Integer)
    attach_original_invoice = db.Column(db.Boolean, nullable=False, default=True)
    send_letter = db.Column(db.Boolean, nullable=False, default=False)
    is_enabled = db.Column(db.Boolean, nullable=False, default=True)
    created_at = created_at_column()
    updated_at = updated_at_column()
    version = db.Column(db.Integer, nullable=False, default=1)

    email_template = db.relationship(EmailTemplate, lazy="joined")
    document_template = db.relationship(DocumentTemplate, lazy="joined")
    ladder = db.relationship(DunningLadder, back_populates="rules")

    __mapper_args__ = {"version_id_col": version}


class OrganizationSettings(db.Model):
    """The organization layer of the billing settings; a NULL column uses the system default."""

    organization_id = db.Column(db.ForeignKey("organization.id"), primary_key=True)
    version = db.Column(db.Integer, nullable=False, default=1)
    updated_at = updated_at_column()

    __mapper_args__ = {"version_id_col": version}


add_setting_columns(OrganizationSettings, [f for f in INHERITABLE_FIELDS if f.stored])


class CustomerGroup(db.Model):
    """Customers that share billing settings: a settings layer between the organization and the customer (SPEC §6);
    a NULL setting column inherits from the organization."""

    __table_args__ = (db.UniqueConstraint("organization_id", "name"),)

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    created_at = created_at_column()
    updated_at = updated_at_column()
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


add_setting_columns(CustomerGroup, [f for f in INHERITABLE_FIELDS if f.stored])
