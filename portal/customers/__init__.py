"""Customers: the overview and New customer, the detail page with its click-to-edit entries, the Settings tab,
and bulk changes."""
from flask import Blueprint

bp = Blueprint("customers", __name__, url_prefix="/customers")

from portal.customers import activity, bulk, detail, edits, imports, overview, settings_tab  # noqa: E402,F401  (routes attach to bp)
