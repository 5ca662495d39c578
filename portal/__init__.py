"""Customer Portal: an application factory in the shape of Flask's tutorial."""
import os

from flask import Flask

from portal.config import CONFIGS, INSTANCE_DIR

NO_SECRET_KEY = ("This portal has no SECRET_KEY, so it cannot sign sessions. Set SECRET_KEY to a long random value "
                 "(or run `make run`, which uses the development configuration).")


def _no_secret_key():
    # Plain text: every page of the portal signs (sessions, CSRF), so none can be rendered.
    from flask import Response

    return Response(NO_SECRET_KEY, status=503, mimetype="text/plain")


def create_app(config_name=None, **overrides):
    """Create the app: configuration, extensions, blueprints and hooks."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, instance_path=str(INSTANCE_DIR),
                template_folder=os.path.join(root, "templates"), static_folder=os.path.join(root, "static"))
    config_name = config_name or os.environ.get("PORTAL_ENV") or ("development" if app.debug else "production")
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    app.config["PORTAL_CONFIG_NAME"] = config_name  # a background job's process starts the app the same way
    if not app.config.get("SECRET_KEY"):
        # The CLI signs nothing and runs without it; serving refuses (wsgi.py) or explains (below).
        app.before_request(_no_secret_key)
    os.makedirs(app.instance_path, exist_ok=True)
    from portal.web.converters import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added

    from portal import cli, db_setup, errors, limits, security
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"), render_as_batch=True)
    limits.init_app(app)  # after_request hooks run in reverse order: this one after the limiter's
    limiter.init_app(app)  # before CSRF, so that refused sign-ins count towards the limit too
    limits.remember_own_headers(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    from portal.auth import init_login

    init_login(app)
    db_setup.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from portal.admin import bp as admin_bp
    from portal.api import bp as api_bp
    from portal.auth.routes import bp as auth_bp
    from portal.customers import bp as customers_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)

    from portal.web import filters

    filters.init_app(app)
    return app
