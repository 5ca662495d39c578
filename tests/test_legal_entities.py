"""Organization → Legal entities: create, edit in place, archive (with how many customers keep it) and restore;
archived ones are not offered for new customers, in the form and the API alike."""
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, LegalEntity
from tests.api.conftest import Api, token_for
from tests.conftest import Auth


@pytest.fixture
def as_admin(app, make, org):
    auth = Auth(app.test_client())
    auth.login(make.user(org, "admin"))
    return auth


def _entity(org):
    return db.session.scalar(sa.select(LegalEntity).where(LegalEntity.organization_id == org.id))


def test_an_admin_adds_a_legal_entity_from_the_catalogues(as_admin, org):
    response = as_admin.post("/organization/legal-entities", {"new-name": "Acme Ltd", "new-country": "GB",
                                                             "new-currency": "GBP"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Acme Ltd" in html and "United Kingdom" in html
    entity = db.session.scalar(sa.select(LegalEntity).where(LegalEntity.name == "Acme Ltd"))
    assert (entity.country, entity.currency, entity.archived_at) == ("GB", "GBP", None)
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity == "legalEntity")) == "create"


@pytest.mark.parametrize("data, message", [
    ({"new-name": "", "new-country": "DE", "new-currency": "EUR"}, "Name is required."),
    ({"new-name": "Acme Billing GmbH", "new-country": "DE", "new-currency": "EUR"}, "Another legal entity has this name."),
    ({"new-name": "X GmbH", "new-country": "XX", "new-currency": "EUR"}, "country"),
    ({"new-name": "X GmbH", "new-country": "DE", "new-currency": "EURO"}, "currency"),
])
def test_bad_input_is_refused_at_the_field_and_nothing_is_stored(as_admin, org, data, message):
    response = as_admin.post("/organization/legal-entities", data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and re.search(message, html, re.IGNORECASE)
    assert f'value="{data["new-name"]}"' in html or not data["new-name"]
    assert db.session.scalar(sa.select(sa.func.count(LegalEntity.id))) == 1


def test_an_admin_edits_one_in_place(as_admin, org):
    entity = _entity(org)
    response = as_admin.save(f"/organization/legal-entities/{entity.id}/edit",
                             {f"entity-{entity.id}-name": "Acme Billing SE", f"entity-{entity.id}-currency": "CHF"})
    assert response.status_code == 200 and "Acme Billing SE" in response.get_data(as_text=True)
    db.session.rollback()
    assert (_entity(org).name, _entity(org).currency) == ("Acme Billing SE", "CHF")


def test_archived_entities_stay_with_their_customers_and_are_not_offered_to_new_ones(app, as_admin, make, org):
    entity = _entity(org)
    customer = make.customer(org, legalEntityId=entity.id)
    make.customer(org, legalEntityId=entity.id)
    page = as_admin.get("/organization/legal-entities").get_data(as_text=True)
    assert re.search(r'<td class="num"><a href="[^"]*legal_entity=%d[^"]*">2</a>' % entity.id, page)
    response = as_admin.post(f"/organization/legal-entities/{entity.id}/archive", htmx=True)
    assert "archived. 2 customers keep it; new customers are not offered it." in response.get_data(as_text=True)
    db.session.rollback()
    assert _entity(org).archived_at is not None

    new_form = as_admin.get("/customers/new").get_data(as_text=True)
    assert "Acme Billing GmbH" not in new_form
    edit = as_admin.get(f"/customers/{customer.id}/sections/general/edit", htmx=True).get_data(as_text=True)
    assert "Acme Billing GmbH" in edit  # the one it has stays choosable
    saved = as_admin.save(f"/customers/{customer.id}/sections/general/edit",
                          {"general-name": "Kept Entity AG"})
    assert saved.status_code == 200
    api = Api(app.test_client(), token_for(org))
    refused = api.post("/customers", {"name": "Late AG", "country": "DE", "currency": "EUR", "customerType": "B2B",
                                      "language": "de",
                                      "legalEntityId": entity.id,
                                      "primaryContact": {"email": "late@example.com"}})
    assert refused.status_code == 422
    assert {"field": "legalEntityId", "message": "This legal entity is archived; choose an active one."} in \
        refused.get_json()["errors"]
    other = make.customer(org)
    moved = api.patch(f"/customers/{other.id}", {"legalEntityId": entity.id},
                      headers={"If-Match": api.get(f"/customers/{other.id}").headers["ETag"]})
    assert moved.status_code == 422

    as_admin.post(f"/organization/legal-entities/{entity.id}/restore")
    assert "Acme Billing GmbH" in as_admin.get("/customers/new").get_data(as_text=True)
