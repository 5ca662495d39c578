"""API routes."""
from portal.api import bp  # noqa: F401
