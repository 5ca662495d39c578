"""Configuration classes, read from the environment."""
import os
from pathlib import Path

from portal.db_setup import json_from_database

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

HTMX_VERSION = "2.0.11"
HTMX_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


def _database_url():
    """The database named by DATABASE_URL, or the SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    # Heroku-style URLs name the driver-less scheme; psycopg 3 is the driver we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_deserializer": json_from_database}
    PORTAL_HTMX_URL = os.environ.get("PORTAL_HTMX_URL", HTMX_URL)
    PORTAL_HTMX_INTEGRITY = os.environ.get("PORTAL_HTMX_INTEGRITY", HTMX_INTEGRITY)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # A moving window: "5 per minute" is never more than 5 in any minute (a fixed window lets 10 through across its
    # edge, and made the limit tests depend on the clock).
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_HEADER_LIMIT = "RateLimit-Limit"
    RATELIMIT_HEADER_REMAINING = "RateLimit-Remaining"
    RATELIMIT_HEADER_RESET = "RateLimit-Reset"  # sent as seconds from now (portal.limits), not a timestamp
    # Per account (the submitted email): strict, and a successful sign-in forgives the failures before it.
    LOGIN_RATE_LIMIT = os.environ.get("PORTAL_LOGIN_RATE_LIMIT", "5 per minute; 20 per hour")
    # Per client address: generous, since a whole office may sign in from one address.
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("PORTAL_LOGIN_ADDRESS_RATE_LIMIT", "100 per minute; 1000 per hour")
    API_RATE_LIMIT = os.environ.get("PORTAL_API_RATE_LIMIT", "600 per minute")  # per API token
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("PORTAL_INSECURE_COOKIES") != "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None
    PAGE_SIZE = 50
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    """`make run`: plain HTTP on loopback, a fixed development key."""

    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SESSION_COOKIE_SECURE = False


class TestConfig(Config):
    """The test suite: the database comes from the test, never from the environment."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SESSION_COOKIE_SECURE = False
    LOGIN_RATE_LIMIT = "1000 per minute"
    LOGIN_ADDRESS_RATE_LIMIT = "1000 per minute"
    API_RATE_LIMIT = "10000 per minute"


CONFIGS = {"production": Config, "development": DevelopmentConfig, "test": TestConfig}
