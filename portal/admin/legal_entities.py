"""Organization → Legal entities: create, edit in place, archive (never delete) and restore."""
from flask import url_for

from portal.admin import bp
from portal.admin.forms import LegalEntityForm
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.extensions import db
from portal.models import LegalEntity
from portal.services import legal_entities as service
from portal.web.inline import CreatableEntry, register
from portal.web.render import done, render

PAGE = "admin/legal_entities.html"


def _page_context(**extra):
    organization_id = current_org_id()
    context = {"entities": service.organization_entities(organization_id),
               "counts": service.customer_counts(organization_id), "editing": None, "focus": None, "form": None,
               "conflict": None, "new_form": LegalEntityForm(formdata=None, prefix="new")}
    context.update(extra)
    return context


@bp.route("/legal-entities")
@role_required("admin")
def legal_entities():
    """The companies customers are billed under, with how many customers each has."""
    return render(PAGE, **_page_context())


class LegalEntityEntry(CreatableEntry):
    """A legal entity: a row of the table, its form in place; new ones are added below."""

    name = "legal_entity"
    template = page_template = PAGE
    read_block = "entity_read"
    form_block = "entity_form"
    new_block = "entity_new"
    role = read_role = "admin"

    def load(self, for_update=False, entity_id=None):
        return get_in_org_or_404(LegalEntity, entity_id, for_update=for_update)

    def load_parent(self, for_update=False):
        return current_org_id()

    def form_class(self, subject):
        return LegalEntityForm

    def prefix(self, subject):
        return f"entity-{subject.id}" if subject is not None else "new"

    def initial(self, subject):
        return LegalEntityForm.initial(subject)

    def save(self, subject, form):
        service.update(subject, form.to_api())

    def create(self, parent, form):
        return service.create(parent, form.to_api())

    def key(self, subject):
        return f"entity-{subject.id}"

    def context(self, subject, **extra):
        return _page_context(entity=subject, **extra)

    def new_context(self, parent, form=None, **extra):
        return _page_context(new_form=form, form=form, **extra)

    def new_key(self):
        return "entity-new"

    def done_url(self, subject):
        return url_for("admin.legal_entities")

    def saved_message(self, subject):
        return f"Legal entity “{subject.name}” saved."

    def created(self, parent, subject):
        return done(f"Legal entity “{subject.name}” added.", self.done_url(subject), lambda: render(
            PAGE, "entities", headers={"HX-Retarget": "#entities", "HX-Reswap": "outerHTML"},
            **_page_context(focus=self.key(subject))))


register(bp, LegalEntityEntry(), "/legal-entities/<int:entity_id>", "/legal-entities/new", "/legal-entities")


def _switch(entity_id, change, message):
    entity = get_in_org_or_404(LegalEntity, entity_id, for_update=True)
    change(entity)
    db.session.commit()
    count = service.customer_counts(current_org_id()).get(entity.id, 0)
    return done(message(entity, count), url_for("admin.legal_entities"), lambda: render(
        PAGE, "entities", **_page_context(focus=f"entity-{entity.id}")))


def _customers(count):
    return f"{count:,} customer{'s' if count != 1 else ''}"


@bp.post("/legal-entities/<int:entity_id>/archive")
@role_required("admin")
def archive_legal_entity(entity_id):
    """Archive: its customers keep it; new customers are not offered it."""
    return _switch(entity_id, service.archive, lambda e, n: (
        f"Legal entity “{e.name}” archived. {_customers(n)} keep it; new customers are not offered it."
        if n else f"Legal entity “{e.name}” archived; new customers are not offered it."))


@bp.post("/legal-entities/<int:entity_id>/restore")
@role_required("admin")
def restore_legal_entity(entity_id):
    return _switch(entity_id, service.restore, lambda e, n: f"Legal entity “{e.name}” is offered again.")
