"""Organization page (admin) and the API help page."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required

from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.extensions import db
from portal.htmx import is_htmx, render
from portal.models import ApiToken, LegalEntity, PropertyDefinition, User
from portal.services import properties as property_service
from portal.services import tokens
from portal.services.rules import ValidationFailed

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
    if is_htmx():
        return "", 204, {"HX-Redirect": url_for("admin.properties")}
    return redirect(url_for("admin.properties"))
