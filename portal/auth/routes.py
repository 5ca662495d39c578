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
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import DUMMY_HASH, SESSION_KEY, check_password
from portal.auth.forms import ChangePasswordForm, LoginForm, NewPasswordForm
from portal.extensions import csrf, db, limiter
from portal.limits import seconds_until_reset, try_again_in
from portal.models import User
from portal.security import insecure_transport
from portal.domain.validation import ValidationFailed
from portal.services import sessions
from portal.services import users as user_service

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


def submitted_account():
    """The account a sign-in names: the submitted email, lower-cased as the user lookup compares it."""
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def _no_account_named():
    return not request.form.get("email", "").strip()


# Both limits are hit before the password is checked (atomic in the store, so concurrent attempts cannot slip
# past); the per-account one is strict and a successful sign-in resets it, so it counts failed attempts: a
# locked account refuses the right password too (else the lock would tell an attacker when they guessed it).
# The per-address one is generous, so colleagues behind one office address do not lock each other out.
account_limit = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=submitted_account,
                              methods=["POST"], exempt_when=_no_account_named)
address_limit = limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"], key_func=get_remote_address,
                              methods=["POST"])


def _forgive_failed_attempts():
    """A successful sign-in resets its account's limit (not the address's, which counts every attempt)."""
    for current in limiter.current_limits:
        if current.request_args[-2] == submitted_account():  # [prefix,] key, scope
            limiter.limiter.clear(current.limit, *current.request_args)


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginForm checks the token itself, after the rate limit has counted the attempt
@account_limit
@address_limit
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
            _forgive_failed_attempts()
            flash(f"Signed in as {user.email} ({user_service.role_label(user.role)}) in {user.organization.name}.",
                  "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("customers.overview"))
        form.password.errors.append("Email or password is wrong.")
        return render_template("auth/login.html", form=form, insecure=insecure_transport()), 422
    return render_template("auth/login.html", form=form, insecure=insecure_transport()), 422 if form.errors else 200


@bp.errorhandler(RateLimitExceeded)
def sign_in_paused(error):
    """429: the sign-in page again, saying which limit it met and when to try again (Retry-After says it too)."""
    when = try_again_in(seconds_until_reset())
    if error.limit.key_func is submitted_account:
        message = (f"Too many failed sign-ins for this account. To protect it, signing in to it is paused: "
                   f"try again {when}.")
    else:
        message = f"Too many sign-in attempts from your network. Please try again {when}."
    form = LoginForm()
    return render_template("auth/login.html", form=form, paused=message, insecure=insecure_transport()), 429


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


def _field_errors(form, failed):
    for name, message in failed.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token):
    """A one-time link from an admin: set a password, then sign in with it."""
    user = user_service.user_for_link(token)
    if user is None:
        return render_template("auth/set_password.html", form=None, user=None), 404
    form = NewPasswordForm()
    if request.method == "POST":
        try:
            user_service.set_password_with_link(token, form.password.data, form.confirm.data)
        except ValidationFailed as failed:
            db.session.rollback()
            _field_errors(form, failed)
            return render_template("auth/set_password.html", form=form, user=user), 422
        email = user.email
        db.session.commit()
        if current_user.is_authenticated:  # someone else was signed in in this browser
            sessions.end(session.pop(SESSION_KEY, None))
            db.session.commit()
            logout_user()
        flash(f"Your password is set. Sign in as {email}.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your own password; your other sessions end, this one goes on."""
    form = ChangePasswordForm()
    if request.method == "POST":
        user = db.session.scalar(sa.select(User).where(User.id == current_user.id).with_for_update(of=User))
        try:
            user_service.change_own_password(user, form.current.data, form.password.data, form.confirm.data)
        except ValidationFailed as failed:
            db.session.rollback()
            _field_errors(form, failed)
            return render_template("auth/password.html", form=form), 422
        db.session.flush()  # every session of the user ends here (a new password)
        session[SESSION_KEY] = sessions.start(user.id)
        db.session.commit()
        flash("Your password is changed. You are signed out on every other browser.", "success")
        return redirect(url_for("customers.overview"))
    return render_template("auth/password.html", form=form)
