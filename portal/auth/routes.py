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
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import DUMMY_HASH, check_password
from portal.auth.forms import LoginForm
from portal.extensions import csrf, db, limiter
from portal.models import User
from portal.security import insecure_transport

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
            login_user(user)
            flash(f"Signed in as {user.email} ({user.role}) in {user.organization.name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("customers.overview"))
        form.password.errors.append("Email or password is wrong.")
        return render_template("auth/login.html", form=form, insecure=insecure_transport()), 422
    return render_template("auth/login.html", form=form, insecure=insecure_transport()), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
