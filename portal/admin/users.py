"""Organization → Users (admin): add with a one-time set-password link, change role, deactivate and reactivate,
reset a password. The rules live in portal.services.users."""
from flask import redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField

from portal.admin import bp
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.domain.labels import choices
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.models import AuditEvent, User
from portal.services import users as user_service
from portal.web.fields import Select, options
from portal.web.render import done, is_htmx, render

RECENT_CHANGES = 20


class AddUserForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every post

    email = EmailField("Email", render_kw={"autocomplete": "off", "maxlength": 254})
    name = StringField("Name", render_kw={"maxlength": 200})
    role = Select("Role", choices=options(choices("role")), default="manager")
    FIELD_FOR_ERROR = ("email", "name", "role")


def _recent_changes(organization_id):
    import sqlalchemy as sa

    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.organization_id == organization_id, AuditEvent.entity == "user")
        .order_by(AuditEvent.id.desc()).limit(RECENT_CHANGES)).all()
    people = {user.id: user for user in db.session.scalars(sa.select(User).where(
        User.id.in_({int(e.entity_id) for e in events} | {e.actor_id for e in events if e.actor_type == "user"})))}
    return [(event, _actor(event, people), user_service.sentence(
        event, people[int(event.entity_id)].email if int(event.entity_id) in people else "a removed user"))
        for event in events]


def _actor(event, people):
    if event.actor_type == "cli":
        return "The command line"
    person = people.get(event.actor_id) if event.actor_type == "user" else None
    return person.display_name if person else event.actor_name


def _page(block="users", status=200, form=None, link=None, linked=None, problem=None, problem_user=None):
    organization_id = current_org_id()
    return render("admin/users.html", block, status=status, form=form or AddUserForm(formdata=None),
                  users=user_service.organization_users(organization_id), link=link, linked=linked,
                  problem=problem, problem_user=problem_user, changes=_recent_changes(organization_id),
                  state=user_service.state)


def _link_url(token):
    return url_for("auth.set_password", token=token, _external=True)


LINK_KEY = "password_link"  # a link shown once after a plain post, carried to the page it redirects to


def _show_link(token, user):
    """The one-time link: in the fragment for htmx; for a plain form, in the session for the page after the
    redirect (so that reloading that page posts nothing again), shown there once."""
    if is_htmx():
        return _page(link=_link_url(token), linked=user)
    session[LINK_KEY] = {"url": _link_url(token), "user_id": user.id}
    return redirect(url_for("admin.users") + "#password-link")


@bp.route("/users")
@role_required("admin")
def users():
    """The organization's users and what changed about them (and a link just made, once)."""
    shown = session.pop(LINK_KEY, None)
    linked = db.session.get(User, shown["user_id"]) if shown else None
    if linked is None or linked.organization_id != current_org_id():
        return _page(block=None)
    return _page(block=None, link=shown["url"], linked=linked)


@bp.route("/users", methods=["POST"])
@role_required("admin")
def add_user():
    """Add a user; the set-password link is shown once, here (no email is sent)."""
    form = AddUserForm()
    try:
        user, token = user_service.add_user(current_org_id(), form.email.data, form.name.data, form.role.data)
    except ValidationFailed as failed:
        db.session.rollback()
        for name, message in failed.errors.items():
            getattr(form, name).errors = [message]
        return _page(status=422, form=form)
    db.session.commit()
    return _show_link(token, user)


def _act(user_id, action):
    """Run one change of a user; a refused one (the last admin, yourself) is said next to the user."""
    user = get_in_org_or_404(User, user_id, for_update=True)
    try:
        result = action(user)
    except ValidationFailed as failed:
        db.session.rollback()
        user = get_in_org_or_404(User, user_id)
        return None, _page(status=409, problem=" ".join(failed.errors.values()), problem_user=user)
    db.session.commit()
    return result, user


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@role_required("admin")
def change_role(user_id):
    """A new role, if the role the form showed is still the user's (else nothing changes and the page says why)."""
    shown = request.form.get("shown_role")

    def action(user):
        if shown != user.role:  # missing (not our form) or out of date
            raise ValidationFailed({"role": "Someone else changed the role of this user meanwhile; nothing was "
                                            "changed. Look again and choose."})
        return user_service.change_role(user, request.form.get("role"), current_user.id)

    changed, answer = _act(user_id, action)
    if changed is None:
        return answer
    message = f"{answer.email} is now {user_service.role_label(answer.role)}; their sessions have ended." if changed \
        else None
    return done(message, url_for("admin.users"), _page)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required("admin")
def deactivate_user(user_id):
    changed, answer = _act(user_id, lambda u: user_service.deactivate(u, current_user.id))
    if changed is None:
        return answer
    return done(f"{answer.email} is deactivated and signed out everywhere." if changed else None,
                url_for("admin.users"), _page)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@role_required("admin")
def reactivate_user(user_id):
    changed, answer = _act(user_id, user_service.reactivate)
    if changed is None:
        return answer
    message = f"{answer.email} can sign in again." if user_service.state(answer) == "active" else \
        f"{answer.email} is active again; give them a new link to set a password."
    return done(message if changed else None, url_for("admin.users"), _page)


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@role_required("admin")
def reset_password(user_id):
    """The password stops working and the user's sessions end; a new one-time link is shown once."""
    token, answer = _act(user_id, lambda u: user_service.reset_password(u, current_user.id))
    if token is None:
        return answer
    return _show_link(token, answer)
