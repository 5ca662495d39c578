"""Organization administration: the overview and API tokens, billing settings, dunning rules and templates,
property definitions."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/organization")

from portal.admin import dunning, groups, legal_entities, properties, routes, settings, users  # noqa: E402,F401  (routes attach to bp)
