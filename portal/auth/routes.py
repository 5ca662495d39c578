"""Sign in and sign out."""
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import DUMMY_HASH, SESSION_KEY, check_password
from portal.auth.forms import LoginForm
from portal.extensions import csrf, db, limiter
from portal.models import User
from portal.security import insecure_transport
from portal.services import sessions

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only same-site paths are followed after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def index():
    """The portal starts at the customer overview."""
    return redirect(url_for("customers.overview" if current_user.is_authenticated else "auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginForm checks the token itself, after the rate limit has counted the attempt
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Show the sign-in form; sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("customers.overview"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == form.email.data.lower()))
        valid = check_password(user.password_hash if user else DUMMY_HASH, form.password.data)
        if user and valid and user.is_active:
            user_id = user.id
            # End the read before writing: on SQLite a read that turns into a write cannot wait for the lock.
            db.session.rollback()
            token = sessions.start(user_id)
            db.session.commit()
            user = db.session.get(User, user_id)
            login_user(user)
            session[SESSION_KEY] = token
            flash(f"Signed in as {user.email} ({user.role}) in {user.organization.name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("customers.overview"))
        form.password.errors.append("Email or password is wrong.")
        return render_template("auth/login.html", form=form, insecure=insecure_transport()), 422
    return render_template("auth/login.html", form=form, insecure=insecure_transport()), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out: this browser's session ends on the server, so its cookie signs no one in any more."""
    sessions.end(session.pop(SESSION_KEY, None))
    db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """Sign out on every browser and device."""
    sessions.end_all(current_user.id)
    db.session.commit()
    session.pop(SESSION_KEY, None)
    logout_user()
    flash("You are signed out everywhere.", "info")
    return redirect(url_for("auth.login"))
