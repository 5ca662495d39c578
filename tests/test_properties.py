"""Required properties: asked in New customer, flagged where a customer has none, and never blocking other edits."""
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.extensions import db
from portal.models import AuditEvent, Customer, PropertyValue
from portal.services.properties import create_definition, definitions, set_values, update_definition
from tests.test_customers import VALID
from tests.test_detail import html


@pytest.fixture
def required(org):
    """A required choice, a required date, a required yes/no and an optional number."""
    create_definition(org.id, {"key": "industry", "label": "Industry", "type": "select",
                               "options": ["Retail", "Software"], "required": True})
    create_definition(org.id, {"key": "since", "label": "Contract start", "type": "date", "required": True})
    create_definition(org.id, {"key": "vip", "label": "Key account", "type": "boolean", "required": True})
    create_definition(org.id, {"key": "employees", "label": "Employees", "type": "number"})
    db.session.commit()


def soup_of(response):
    return BeautifulSoup(html(response), "html.parser")


def field_of(soup, name):
    """The .field block of the control named `name`: its label, control, hint and error."""
    return soup.find(attrs={"name": name}).find_parent(class_="field")


def message_of(soup, name):
    control = soup.find(attrs={"name": name})
    error = soup.find(id=f"{control['id']}-error")
    return error.get_text(strip=True) if error else None


def values_of(customer_id):
    db.session.expire_all()
    return {v.definition.key: v.value for v in db.session.get(Customer, customer_id).property_values}


# --- New customer ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_new_customer_asks_for_each_required_property_with_the_control_its_type_needs(as_manager, required, htmx):
    soup = soup_of(as_manager.get("/customers/new", htmx=htmx))
    legend = soup.find("legend", string="Properties")
    assert legend is not None
    industry = field_of(soup, "p_industry")
    assert industry.find("label").get_text(strip=True) == "Industry" and industry.select_one(".req")
    assert [o.get_text() for o in industry.find_all("option")] == ["—", "Retail", "Software"]
    assert field_of(soup, "p_since").find("input")["type"] == "date"
    assert [o["value"] for o in field_of(soup, "p_vip").find_all("option")] == ["", "true", "false"]
    assert soup.find(attrs={"name": "p_industry"}).has_attr("required")
    assert soup.find(attrs={"name": "p_employees"}) is None  # optional properties are set later, on the customer


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_a_missing_required_property_is_a_message_at_its_field_with_the_input_kept(as_manager, required, htmx):
    typed = {**VALID, "p_industry": "", "p_since": "2025-02-01", "p_vip": ""}
    response = as_manager.post("/customers/new", typed, htmx=htmx)
    assert response.status_code == 422
    soup = soup_of(response)
    assert message_of(soup, "p_industry") == "Industry is required."
    assert message_of(soup, "p_vip") == "Key account is required."
    assert message_of(soup, "p_since") is None and soup.find(attrs={"name": "p_since"})["value"] == "2025-02-01"
    assert soup.find(attrs={"name": "p_industry"})["aria-invalid"] == "true"
    assert soup.find(attrs={"name": "contact_first_name"})["value"] == "Grace"  # the rest of the input stays
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(PropertyValue.customer_id))) == 0


def test_property_and_customer_errors_are_reported_together(as_manager, required):
    response = as_manager.post("/customers/new", {**VALID, "name": "", "p_since": "2025-13-01"}, htmx=True)
    soup = soup_of(response)
    assert response.status_code == 422
    assert message_of(soup, "name") == "Name is required."
    assert message_of(soup, "p_since") == "Enter a date as YYYY-MM-DD."
    assert message_of(soup, "p_industry") == "Industry is required."


def test_filled_required_properties_are_saved_with_the_customer_and_shown(as_manager, required):
    response = as_manager.post("/customers/new", {**VALID, "p_industry": "Software", "p_since": "2025-02-01",
                                                  "p_vip": "true"})
    assert response.status_code == 302
    customer = db.session.scalar(sa.select(Customer).where(Customer.name == "Fresh Start GmbH"))
    assert values_of(customer.id) == {"industry": "Software", "since": "2025-02-01", "vip": "true"}
    tab = soup_of(as_manager.get(f"/customers/{customer.id}/properties"))
    shown = {dt.get_text(" ", strip=True).rstrip(" *"): dt.find_next_sibling("dd").get_text(" ", strip=True)
             for dt in tab.select("#section-properties dt")}
    assert shown == {"Industry": "Software", "Contract start": "2025-02-01", "Key account": "Yes", "Employees": "—"}
    actions = db.session.scalars(sa.select(AuditEvent.entity).where(AuditEvent.customer_id == customer.id)).all()
    assert sorted(actions) == ["customer", "properties"]


def test_without_required_properties_new_customer_has_no_properties_part(as_manager, org):
    create_definition(org.id, {"key": "employees", "label": "Employees", "type": "number"})
    db.session.commit()
    assert soup_of(as_manager.get("/customers/new", htmx=True)).find("legend", string="Properties") is None
    assert as_manager.post("/customers/new", VALID).status_code == 302


def test_the_api_creates_a_customer_without_its_required_properties_and_the_portal_flags_them(
        as_manager, required, client, org):
    from tests.api.conftest import NEW_CUSTOMER, Api, token_for

    created = Api(client, token_for(org)).post("/customers", NEW_CUSTOMER)
    assert created.status_code == 201, created.json
    tab = soup_of(as_manager.get(f"/customers/{created.json['id']}/properties"))
    assert len(tab.select("#section-properties .badge-missing")) == 3


# --- a customer missing a required value ------------------------------------------------------------------------

@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Before GmbH")


@pytest.fixture
def made_required_later(customer, org):
    """The customer existed before "Industry" became required, and has no value for it."""
    create_definition(org.id, {"key": "industry", "label": "Industry", "type": "select", "options": ["Retail"]})
    create_definition(org.id, {"key": "employees", "label": "Employees", "type": "number"})
    industry = next(d for d in definitions(org.id) if d.key == "industry")
    update_definition(industry, {"key": "industry", "label": "Industry", "type": "select", "options": ["Retail"],
                                 "required": True})
    db.session.commit()


def test_a_missing_required_value_is_flagged_in_the_properties_section(as_manager, customer, made_required_later):
    soup = soup_of(as_manager.get(f"/customers/{customer.id}/properties"))
    industry = next(dt for dt in soup.select("#section-properties dt") if dt.get_text(strip=True).startswith("Industry"))
    assert industry.find_next_sibling("dd").get_text(strip=True) == "Required — not set yet"
    form = soup_of(as_manager.get(f"/customers/{customer.id}/sections/properties/edit", htmx=True))
    assert field_of(form, "p_industry").select_one(".hint").get_text(strip=True).startswith("Required — not set yet")


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_saving_another_property_is_not_blocked_by_a_missing_required_one(as_manager, customer, made_required_later,
                                                                          htmx):
    response = as_manager.save(f"/customers/{customer.id}/sections/properties/edit", {"p_employees": "12"},
                               htmx=htmx)
    assert response.status_code == (200 if htmx else 302), html(response)
    assert values_of(customer.id) == {"employees": "12"}
    page = soup_of(as_manager.get(f"/customers/{customer.id}/properties"))
    assert "Required — not set yet" in page.select_one("#section-properties").get_text()  # still flagged


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_clearing_a_required_value_is_refused_at_its_field(as_manager, customer, made_required_later, htmx):
    set_values(customer, {"industry": "Retail"})
    db.session.commit()
    response = as_manager.save(f"/customers/{customer.id}/sections/properties/edit",
                               {"p_industry": "", "p_employees": "12"}, htmx=htmx)
    assert response.status_code == 422
    soup = soup_of(response)
    assert message_of(soup, "p_industry") == "Industry is required."
    assert soup.find(attrs={"name": "p_employees"})["value"] == "12"  # what was typed stays
    assert values_of(customer.id) == {"industry": "Retail"}  # nothing stored, not even the other field


def test_the_service_sets_a_missing_required_value_when_one_is_given(customer, made_required_later):
    assert set_values(customer, {"industry": "", "employees": "3"}) == {"employees": [None, "3"]}
    assert set_values(customer, {"industry": "Retail"}) == {"industry": [None, "Retail"]}
    with pytest.raises(Exception, match="Industry is required."):
        set_values(customer, {"industry": " "})
