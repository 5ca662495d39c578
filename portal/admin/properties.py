"""Organization → Properties: the customer property definitions, each an entry of the inline-edit flow."""
from flask import flash, url_for

from portal.admin import bp
from portal.admin.forms import DefinitionForm
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.extensions import db
from portal.models import PropertyDefinition
from portal.services import properties as property_service
from portal.web.inline import CreatableEntry, register
from portal.web.render import done, redirect_to, render

PAGE = "admin/properties.html"


def _page_context(**extra):
    context = {"definitions": property_service.definitions(current_org_id()), "editing": None, "focus": None,
               "form": None, "conflict": None, "new_form": DefinitionForm(formdata=None, prefix="new")}
    context.update(extra)
    return context


@bp.route("/properties")
@role_required("admin")
def properties():
    """Organization → Properties: what customers carry besides their fixed fields."""
    return render(PAGE, **_page_context())


class DefinitionEntry(CreatableEntry):
    """A property definition: a row of the table, its form in place; new ones are added below."""

    name = "definition"
    template = PAGE
    read_block = "definition_read"
    form_block = "definition_form"
    new_block = "definition_new"
    page_template = PAGE
    role = read_role = "admin"

    def load(self, for_update=False, definition_id=None):
        return get_in_org_or_404(PropertyDefinition, definition_id, for_update=for_update)

    def load_parent(self, for_update=False):
        return current_org_id()

    def form_class(self, subject):
        return DefinitionForm

    def prefix(self, subject):
        return f"definition-{subject.id}" if subject is not None else "new"

    def initial(self, subject):
        return DefinitionForm.initial(subject)

    def save(self, subject, form):
        property_service.update_definition(subject, form.to_api())

    def create(self, parent, form):
        return property_service.create_definition(parent, form.to_api())

    def key(self, subject):
        return f"definition-{subject.id}"

    def context(self, subject, **extra):
        return _page_context(definition=subject, **extra)

    def new_context(self, parent, form=None, **extra):
        return _page_context(new_form=form, form=form, **extra)

    def new_key(self):
        return "definition-new"

    def done_url(self, subject):
        return url_for("admin.properties")

    def saved_message(self, subject):
        return f"Property “{subject.label}” saved."

    def created(self, parent, subject):
        return done(f"Property “{subject.label}” added.", self.done_url(subject), lambda: render(
            PAGE, "definitions", headers={"HX-Retarget": "#definitions", "HX-Reswap": "outerHTML"},
            **_page_context(focus=self.key(subject))))


register(bp, DefinitionEntry(), "/properties/<int:definition_id>", "/properties/new", "/properties")


@bp.post("/properties/<int:definition_id>/delete")
@role_required("admin")
def delete_property(definition_id):
    """Remove a property definition and every customer's value for it."""
    definition = get_in_org_or_404(PropertyDefinition, definition_id, for_update=True)
    label = definition.label
    property_service.delete_definition(definition)
    db.session.commit()
    flash(f"Property “{label}” and its values removed.", "success")
    return redirect_to(url_for("admin.properties"))
