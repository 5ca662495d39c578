"""Organization → API tokens, and the API help page."""
from flask import flash, redirect, request, url_for
from flask_login import login_required

from portal.admin import bp
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.models import ApiToken
from portal.services import tokens
from portal.web.render import render


def _organization_lists(organization_id):
    return {"api_tokens": tokens.organization_tokens(organization_id)}


@bp.route("")
@role_required("admin")
def index():
    """The organization's API tokens."""
    return render("admin/index.html", None, new_secret=None, **_organization_lists(current_org_id()))


@bp.route("/api-tokens", methods=["POST"])
@role_required("admin")
def create_token():
    """Create an API token and show its secret once; a bad name is a message at the field, with the input kept."""
    name = request.form.get("name") or ""
    try:
        token, secret = tokens.create_token(current_org_id(), name, read_only=request.form.get("read_only") == "on")
    except ValidationFailed as failed:
        db.session.rollback()
        return render("admin/index.html", "api_tokens", status=422, new_secret=None, token_name=name,
                      token_error=failed.errors["name"], **_organization_lists(current_org_id()))
    db.session.commit()
    return render("admin/index.html", "api_tokens", new_secret=secret, new_token=token,
                  **_organization_lists(current_org_id()))


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
