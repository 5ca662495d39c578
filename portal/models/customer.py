"""The customer aggregate: the customer and what hangs off it."""
from portal.extensions import db
from portal.models.base import add_setting_columns, add_tally_columns, created_at_column, updated_at_column

CUSTOMER_TYPES = ("B2B", "B2C", "AFFILIATED", "OTHER")
STATUSES = ("active", "archived")
ADDRESS_TYPES = ("invoice", "shipping")
EMAIL_PREFERENCES = ("billing", "updates", "legal")
PAYMENT_METHOD_TYPES = ("card", "sepa_debit", "ach", "bank_transfer")


class Customer(db.Model):
    """A customer of the organization (SPEC §5)."""

    __table_args__ = (
        db.UniqueConstraint("organization_id", "debtor_ident"),
        db.UniqueConstraint("organization_id", "account_number"),
        # One index per sort and per filter, tenant first: a page is a range of one of them, read for ids only.
        db.Index("ix_customer_org_status_name", "organization_id", "status", "name", "id"),
        db.Index("ix_customer_org_status_debtor", "organization_id", "status", "debtor_ident", "id"),
        db.Index("ix_customer_org_status_account", "organization_id", "status", "account_number", "id"),
        db.Index("ix_customer_org_status_created", "organization_id", "status", "created_at", "id"),
        db.Index("ix_customer_org_status_country", "organization_id", "status", "country", "name", "id"),
        db.Index("ix_customer_org_status_currency", "organization_id", "status", "currency", "name", "id"),
        db.Index("ix_customer_org_status_type", "organization_id", "status", "customer_type", "name", "id"),
        db.Index("ix_customer_org_status_legal_entity", "organization_id", "status", "legal_entity_id", "name", "id"),
        # ... and the same for "All" statuses, and the API's list (by id within the tenant).
        db.Index("ix_customer_org_id", "organization_id", "id"),
        db.Index("ix_customer_org_name", "organization_id", "name", "id"),
        db.Index("ix_customer_org_created", "organization_id", "created_at", "id"),
        db.Index("ix_customer_org_country", "organization_id", "country", "name", "id"),
        db.Index("ix_customer_org_currency", "organization_id", "currency", "name", "id"),
        db.Index("ix_customer_org_legal_entity", "organization_id", "legal_entity_id"),
        db.Index("ix_customer_org_status_group", "organization_id", "status", "group_id", "name", "id"),
        db.Index("ix_customer_org_group", "organization_id", "group_id", "name", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False)
    debtor_ident = db.Column(db.String(64), nullable=False)
    account_number = db.Column(db.String(32), nullable=False)
    name = db.Column(db.String(200), nullable=False)
    customer_type = db.Column(db.String(16), nullable=False, default="B2B")
    language = db.Column(db.String(2), nullable=False, default="en")
    country = db.Column(db.String(2), nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    legal_entity_id = db.Column(db.ForeignKey("legal_entity.id"))
    group_id = db.Column(db.ForeignKey("customer_group.id"))
    vat_id = db.Column(db.String(32))
    tax_country = db.Column(db.String(2))
    tax_id = db.Column(db.String(64))
    tax_rate = db.Column(db.Numeric(5, 2), nullable=False, default=0)
    contractor_references = db.Column(db.JSON, nullable=False, default=list)
    status = db.Column(db.String(16), nullable=False, default="active")
    created_at = created_at_column()
    updated_at = updated_at_column()
    version = db.Column(db.Integer, nullable=False, default=1)

    legal_entity = db.relationship("LegalEntity", lazy="joined")
    group = db.relationship("CustomerGroup", lazy="joined")
    aliases = db.relationship("CustomerAlias", order_by="CustomerAlias.id", cascade="all, delete-orphan",
                              back_populates="customer")
    addresses = db.relationship("Address", order_by="(Address.is_main.desc(), Address.id)",
                                cascade="all, delete-orphan", back_populates="customer")
    contacts = db.relationship("Contact", order_by="(Contact.is_primary.desc(), Contact.id)",
                               cascade="all, delete-orphan", back_populates="customer")
    payment_methods = db.relationship("PaymentMethod", order_by="PaymentMethod.id", cascade="all, delete-orphan",
                                      back_populates="customer")
    property_values = db.relationship("PropertyValue", cascade="all, delete-orphan", back_populates="customer")
    settings = db.relationship("CustomerSettings", uselist=False, cascade="all, delete-orphan",
                               back_populates="customer")

    __mapper_args__ = {"version_id_col": version}

    @property
    def primary_contact(self):
        return next((c for c in self.contacts if c.is_primary), None)

    @property
    def alias_values(self):
        return [a.alias for a in self.aliases]


class CustomerAlias(db.Model):
    """An external identifier of a customer, unique within the organization."""

    __table_args__ = (db.UniqueConstraint("organization_id", "alias"),)

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False)
    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    alias = db.Column(db.String(128), nullable=False)

    customer = db.relationship(Customer, back_populates="aliases")


class CustomerSearchTerm(db.Model):
    """A lower-cased word under which a customer is found; prefix look-ups use the primary key index."""

    organization_id = db.Column(db.ForeignKey("organization.id"), primary_key=True)
    # Binary collation on PostgreSQL so that the prefix range below matches what SQLite does.
    term = db.Column(db.String(254).with_variant(db.String(254, collation="C"), "postgresql"), primary_key=True)
    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    # "Does this customer have a term starting with …": one seek (the search's second word, the estimate's sample).
    __table_args__ = (db.Index("ix_customer_search_term_customer_term", "customer_id", "term"),)


class CustomerTally(db.Model):
    """How many customers an organization has per status, kept by database triggers on every insert, delete and
    change of status (migration 9a4c2e7f1b60), so the overview's unfiltered count costs one row at any size.

    A migration that rebuilds the customer table (SQLite batch mode) drops the triggers and must create them again.
    """

    organization_id = db.Column(db.ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    status = db.Column(db.String(16), primary_key=True)
    n = db.Column(db.Integer, nullable=False, default=0)


class SettingsTally(db.Model):
    """Per organization and group (0: no group), how many customers there are (`n`) and how many of them set each
    inheritable setting themselves (a column per setting), kept by database triggers on customer and
    customer_settings (migration f4a7c1d9e2b3), so that override counts cost a few rows at any size.

    A migration that rebuilds either table (SQLite batch mode) drops the triggers and must create them again; one
    that adds an inheritable setting adds its column here and to the triggers.
    """

    organization_id = db.Column(db.ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    group_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    n = db.Column(db.Integer, nullable=False, server_default="0")


add_tally_columns(SettingsTally)


class Address(db.Model):
    """An invoice or shipping address; the main one is "Invoice address 1"."""

    __table_args__ = (
        db.Index("uq_address_main", "customer_id", unique=True,
                 sqlite_where=db.text("is_main"), postgresql_where=db.text("is_main")),
    )

    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    type = db.Column(db.String(16), nullable=False, default="invoice")
    is_main = db.Column(db.Boolean, nullable=False, default=False)
    name = db.Column(db.String(200))
    line1 = db.Column(db.String(200), nullable=False, default="")
    line2 = db.Column(db.String(200), nullable=False, default="")
    city = db.Column(db.String(100), nullable=False, default="")
    state = db.Column(db.String(100), nullable=False, default="")
    postal_code = db.Column(db.String(20), nullable=False, default="")
    country = db.Column(db.String(2), nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()
    version = db.Column(db.Integer, nullable=False, default=1)

    customer = db.relationship(Customer, back_populates="addresses")

    __mapper_args__ = {"version_id_col": version}


class Contact(db.Model):
    """A person at the customer; exactly one is primary."""

    __table_args__ = (
        db.UniqueConstraint("customer_id", "email"),
        db.Index("uq_contact_primary", "customer_id", unique=True,
                 sqlite_where=db.text("is_primary"), postgresql_where=db.text("is_primary")),
        db.Index("ix_contact_email", "email"),
    )

    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    first_name = db.Column(db.String(100), nullable=False, default="")
    last_name = db.Column(db.String(100), nullable=False, default="")
    email = db.Column(db.String(254), nullable=False)
    phone = db.Column(db.String(40), nullable=False, default="")
    email_preferences = db.Column(db.JSON, nullable=False, default=list)
    is_primary = db.Column(db.Boolean, nullable=False, default=False)
    created_at = created_at_column()
    updated_at = updated_at_column()
    version = db.Column(db.Integer, nullable=False, default=1)

    customer = db.relationship(Customer, back_populates="contacts")

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class PropertyValue(db.Model):
    """A customer's value for one property definition, stored as text and validated by type."""

    __table_args__ = (db.UniqueConstraint("customer_id", "definition_id"),)

    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    definition_id = db.Column(db.ForeignKey("property_definition.id", ondelete="CASCADE"), nullable=False)
    value = db.Column(db.Text, nullable=False, default="")

    customer = db.relationship(Customer, back_populates="property_values")
    definition = db.relationship("PropertyDefinition", lazy="joined")


class PaymentMethod(db.Model):
    """Display data of a payment method (never a card number)."""

    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    type = db.Column(db.String(16), nullable=False)
    label = db.Column(db.String(120), nullable=False)
    is_default = db.Column(db.Boolean, nullable=False, default=False)
    created_at = created_at_column()

    customer = db.relationship(Customer, back_populates="payment_methods")


class CustomerSettings(db.Model):
    """The customer layer of the billing settings; a NULL column inherits."""

    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    version = db.Column(db.Integer, nullable=False, default=1)
    updated_at = updated_at_column()

    customer = db.relationship(Customer, back_populates="settings")

    __mapper_args__ = {"version_id_col": version}


add_setting_columns(CustomerSettings)
