"""WSGI entry point: ``gunicorn wsgi:app``."""
from portal import NO_SECRET_KEY, create_app
from portal.security import warn_at_start

app = create_app()
if not app.config.get("SECRET_KEY"):
    raise RuntimeError(NO_SECRET_KEY)
warn_at_start(app)
