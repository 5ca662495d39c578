"""Organization overview (legal entities, users, API tokens) and the API help page."""
import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_login import login_required

from portal.admin import bp
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.extensions import db
from portal.models import ApiToken, LegalEntity, User
from portal.services import tokens
from portal.web.render import render


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
