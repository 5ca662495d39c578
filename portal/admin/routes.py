"""Organization page (admin) and the API help page."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import login_required
from jinja2_fragments.flask import render_block

from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.domain import settings as settings_rules
from portal.domain.settings_fields import INHERITABLE_FIELDS, SETTING_FIELDS
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.models import ApiToken, LegalEntity, PropertyDefinition, User
from portal.services import properties as property_service
from portal.services import settings_store, tokens
from portal.services.customers import VersionConflict
from portal.web.render import is_htmx, redirect_to, render
from portal.web.settings_rows import (
    ROWS_TEMPLATE,
    Row,
    display_value,
    json_example,
    parse_input,
    rows_for,
)

SETTING_LABELS = {f.name: f.label for f in SETTING_FIELDS}

bp = Blueprint("admin", __name__, url_prefix="/organization")


@bp.route("")
@role_required("admin")
def index():
    """The organization: legal entities, users and API tokens."""
    organization_id = current_org_id()
    legal_entities = db.session.scalars(sa.select(LegalEntity).where(LegalEntity.organization_id == organization_id)
                                        .order_by(LegalEntity.name)).all()
    users = db.session.scalars(sa.select(User).where(User.organization_id == organization_id)
                               .order_by(User.email)).all()
    return render("admin/index.html", None, legal_entities=legal_entities, users=users,
                  api_tokens=tokens.organization_tokens(organization_id), new_secret=None)


@bp.route("/api-tokens", methods=["POST"])
@role_required("admin")
def create_token():
    """Create an API token and show its secret once."""
    name = (request.form.get("name") or "").strip()
    if not name:
        flash("Give the token a name, e.g. the system that will use it.", "error")
        return redirect(url_for("admin.index") + "#api-tokens")
    token, secret = tokens.create_token(current_org_id(), name, read_only=request.form.get("read_only") == "on")
    db.session.commit()
    return render("admin/index.html", "api_tokens", api_tokens=tokens.organization_tokens(current_org_id()),
                  new_secret=secret, new_token=token, legal_entities=[], users=[])


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_token(token_id):
    """Revoke a token: it stops working at once."""
    token = get_in_org_or_404(ApiToken, token_id)
    if token.revoked_at is None:
        tokens.revoke_token(token)
        db.session.commit()
    flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for("admin.index") + "#api-tokens")


@bp.route("/api")
@login_required
def api_help():
    """How to call the JSON API with curl."""
    return render("admin/api_help.html", None)


# --- property definitions --------------------------------------------------------------------------------

def _definition_data(form):
    return {"key": form.get("key"), "label": form.get("label"), "type": form.get("type"),
            "options": form.get("options"), "required": form.get("required") == "on"}


def _properties_page(status=200, errors=None, data=None, editing=None):
    return render("admin/properties.html", "definitions" if request.headers.get("HX-Target") == "definitions"
                  else None, status=status, definitions=property_service.definitions(current_org_id()),
                  errors=errors or {}, data=data or {}, editing=editing, types=property_service.PROPERTY_TYPES)


@bp.route("/properties")
@role_required("admin")
def properties():
    """Organization → Properties: what customers carry besides their fixed fields."""
    editing = request.args.get("edit", type=int)
    return _properties_page(editing=editing)


@bp.post("/properties")
@role_required("admin")
def create_property():
    data = _definition_data(request.form)
    try:
        property_service.create_definition(current_org_id(), data)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        return _properties_page(422, failed.errors, data)
    flash(f"Property “{data['label']}” added.", "success")
    return redirect(url_for("admin.properties"))


@bp.post("/properties/<int:definition_id>")
@role_required("admin")
def update_property(definition_id):
    definition = get_in_org_or_404(PropertyDefinition, definition_id)
    data = _definition_data(request.form)
    try:
        property_service.update_definition(definition, data)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        return _properties_page(422, failed.errors, data, editing=definition_id)
    flash(f"Property “{definition.label}” saved.", "success")
    return redirect(url_for("admin.properties"))


@bp.post("/properties/<int:definition_id>/delete")
@role_required("admin")
def delete_property(definition_id):
    definition = get_in_org_or_404(PropertyDefinition, definition_id)
    label = definition.label
    property_service.delete_definition(definition)
    db.session.commit()
    flash(f"Property “{label}” and its values removed.", "success")
    return redirect_to(url_for("admin.properties"))


# --- organization settings -----------------------------------------------------------------------------

def _org_rows():
    organization_id = current_org_id()
    own = settings_store.organization_layer(organization_id)
    return own, rows_for(settings_rules.resolve(own, {}), own, INHERITABLE_FIELDS,
                         settings_store.override_counts(organization_id))


def _org_row(name):
    setting = next((f for f in INHERITABLE_FIELDS if f.name == name), None)
    if setting is None:
        abort(404)
    own = settings_store.organization_layer(current_org_id())
    resolved = settings_rules.resolve(own, {})[name]
    return Row(setting, own.get(name), resolved.value, resolved.source,
               settings_store.override_counts(current_org_id()).get(name))


def _org_context(**extra):
    row = extra.get("row")
    context = {"scope": "organization", "can_edit": True, "settings_version":
               settings_store.organization_settings(current_org_id()).version, "labels": SETTING_LABELS,
               "focus": None, "errors": {}, "conflict": None, "editing_setting": None,
               "back_url": url_for("admin.settings")}
    if row is not None:
        default = settings_rules.resolve({}, {})[row.name]
        context.update(value=row.input_value, inherited_display=display_value(row.setting, default.value),
                       affected=settings_store.inheriting_count(current_org_id(), row.name),
                       json_example=json_example(row.name) if row.setting.kind == "json" else "")
    context.update(extra)
    return context


def _show_org_row(name, kind, status=200, **extra):
    row = _org_row(name)
    context = _org_context(row=row, focus=name if kind == "read" else None,
                           editing_setting=name if kind == "form" else None, **extra)
    if is_htmx():
        return render_block(ROWS_TEMPLATE, "setting_row" if kind == "read" else "setting_form", **context), status
    _own, groups = _org_rows()
    return render("admin/settings.html", None, status=status, groups=groups, **context)


@bp.route("/settings")
@role_required("admin")
def settings():
    """The organization layer of the billing settings, with how many customers override each field."""
    _own, groups = _org_rows()
    return render("admin/settings.html", None, groups=groups, **_org_context())


@bp.get("/settings/<name>")
@role_required("admin")
def setting(name):
    return _show_org_row(name, "read")


@bp.get("/settings/<name>/edit")
@role_required("admin")
def edit_setting(name):
    return _show_org_row(name, "form")


def _save_org_setting(name, value_of):
    raw = request.form.get("value", "")
    try:
        settings_store.update_organization_settings(current_org_id(), {name: value_of()},
                                                    expected_version=whole_number(request.form.get("version", "")))
        db.session.commit()
    except ValueError as error:
        return _show_org_row(name, "form", 422, errors={name: str(error)}, value=raw)
    except ValidationFailed as failed:
        db.session.rollback()
        return _show_org_row(name, "form", 422, errors=failed.errors, value=raw)
    except VersionConflict:
        db.session.rollback()
        current = _org_row(name)
        return _show_org_row(name, "form", 409, value=raw,
                             conflict=[(current.setting.label, current.display, raw or "default")])
    if not is_htmx():
        flash("Saved.", "success")
        return redirect(url_for("admin.settings"))
    return _show_org_row(name, "read")


@bp.post("/settings/<name>")
@role_required("admin")
def save_setting(name):
    row = _org_row(name)
    return _save_org_setting(name, lambda: parse_input(row.setting, request.form.get("value")))


@bp.post("/settings/<name>/reset")
@role_required("admin")
def reset_setting(name):
    _org_row(name)
    return _save_org_setting(name, lambda: None)
