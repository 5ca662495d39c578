"""WSGI entry point: ``gunicorn wsgi:app``."""
from portal import NO_SECRET_KEY, create_app
from portal.security import warn_at_start

app = create_app()
if not app.config.get("SECRET_KEY"):
    raise RuntimeError(NO_SECRET_KEY)
warn_at_start(app)


def _resume_imports():
    """Imports whose runner died with the machine start again when a server starts (and when someone looks)."""
    import sqlalchemy as sa

    from portal.services import imports

    with app.app_context():
        try:
            imports.resume_stopped()
        except sa.exc.SQLAlchemyError as error:  # not migrated yet: nothing to resume
            app.logger.warning("imports not resumed at start: %s", type(error).__name__)


_resume_imports()
