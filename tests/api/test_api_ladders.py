"""Dunning ladders through the API: the ladders, the default one, their overdue rules and the timeline they drive."""
import pytest

from portal.extensions import db
from portal.services import dunning, groups
from portal.services import settings_store
from portal.services.demo import ensure_reference_data
from tests.api.conftest import Api, token_for


@pytest.fixture
def standard(org):
    """The demo's default ladder "Standard": level 1 reminder, level 2 dunning (2.50)."""
    ensure_reference_data(org, [])
    db.session.commit()
    return dunning.default_ladder(org.id)


@pytest.fixture
def email_template(standard):
    return {"id": str(dunning.ladder(standard.id)[0].email_template_id)}


@pytest.fixture
def strict(org, standard, email_template):
    """A second ladder: one reminder three days after the due date."""
    ladder = dunning.create_ladder(org.id, {"name": "Strict"})
    dunning.create_rule(ladder, {"daysOverdue": 3, "dueInDays": 5, "emailTemplate": email_template})
    db.session.commit()
    return ladder


def field_errors(response):
    return {e["field"]: e["message"] for e in response.json["errors"]}


# --- ladders ---------------------------------------------------------------------------------------------------

def test_the_ladders_show_the_default_and_their_rules(api, standard, strict):
    data = api.get("/dunning/ladders").json["data"]
    assert [(ladder["name"], ladder["isDefault"], len(ladder["rules"])) for ladder in data] == [
        ("Standard", True, 2), ("Strict", False, 1)]
    first = data[0]
    assert set(first) == {"id", "name", "isDefault", "rules", "uri"}
    assert first["uri"] == f"/api/v1/dunning/ladders/{standard.id}"
    assert [(r["level"], r["type"], r["ladderId"]) for r in first["rules"]] == [
        (1, "reminder", str(standard.id)), (2, "dunning", str(standard.id))]
    assert api.get(f"/dunning/ladders/{strict.id}").json == data[1]


def test_create_an_empty_ladder(api, standard):
    created = api.post("/dunning/ladders", {"name": "Lenient"})
    assert created.status_code == 201, created.json
    assert created.json["name"] == "Lenient" and created.json["isDefault"] is False
    assert created.json["rules"] == [] and created.headers["Location"] == created.json["uri"]
    taken = api.post("/dunning/ladders", {"name": "standard"})
    assert taken.status_code == 422 and "name" in field_errors(taken)


def test_an_organizations_first_ladder_is_its_default(api):
    refused = api.post("/dunning/ladders", {"name": "First", "isDefault": False})
    assert refused.status_code == 422 and "isDefault" in field_errors(refused)
    first = api.post("/dunning/ladders", {"name": "First"})
    assert first.status_code == 201 and first.json["isDefault"] is True
    assert api.get("/organization/settings").json["dunningLadderId"] == first.json["id"]


def test_a_new_ladder_can_become_the_default_at_once(api, standard):
    created = api.post("/dunning/ladders", {"name": "Lenient", "isDefault": True}).json
    assert created["isDefault"] is True
    assert api.get(f"/dunning/ladders/{standard.id}").json["isDefault"] is False


def test_switch_the_default_ladder(api, make, org, standard, strict):
    customer = make.customer(org)
    read = api.get(f"/dunning/ladders/{strict.id}")
    switched = api.patch(f"/dunning/ladders/{strict.id}", {"isDefault": True},
                         headers={"If-Match": read.headers["ETag"]})
    assert switched.status_code == 200, switched.json
    assert switched.json["isDefault"] is True
    assert api.get(f"/dunning/ladders/{standard.id}").json["isDefault"] is False
    organization = api.get("/organization/settings").json
    assert organization["dunningLadderId"] == str(strict.id)
    effective = api.get(f"/customers/{customer.id}/settings").json
    assert effective["effective"]["dunningLadderId"] == str(strict.id)
    assert effective["sources"]["dunningLadderId"] == "organization"


def test_the_default_cannot_stop_being_the_default_but_by_another(api, standard, strict):
    refused = api.patch(f"/dunning/ladders/{standard.id}", {"isDefault": False})
    assert refused.status_code == 422 and "isDefault" in field_errors(refused)
    assert api.get(f"/dunning/ladders/{standard.id}").json["isDefault"] is True
    unchanged = api.patch(f"/dunning/ladders/{strict.id}", {"isDefault": False})
    assert unchanged.status_code == 200 and unchanged.json["isDefault"] is False


def test_rename_a_ladder(api, standard, strict):
    renamed = api.patch(f"/dunning/ladders/{strict.id}", {"name": "Strict (B2B)"})
    assert renamed.status_code == 200 and renamed.json["name"] == "Strict (B2B)"
    clash = api.patch(f"/dunning/ladders/{strict.id}", {"name": "STANDARD"})
    assert clash.status_code == 422 and "name" in field_errors(clash)
    blank = api.patch(f"/dunning/ladders/{strict.id}", {"name": " "})
    assert blank.status_code == 422 and field_errors(blank) == {"name": "Name is required."}


def test_deleting_the_default_ladder_is_409(api, standard):
    response = api.delete(f"/dunning/ladders/{standard.id}")
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert "is the default ladder" in response.json["detail"]
    assert len(api.get(f"/dunning/ladders/{standard.id}").json["rules"]) == 2


def test_deleting_a_ladder_in_use_is_409_naming_how_many_customers_and_groups(api, make, org, strict):
    for n in range(2):
        settings_store.update_customer_settings(make.customer(org), {"dunningLadderId": str(strict.id)})
    group = groups.create(org.id, {"name": "Key accounts"})
    settings_store.update_group_settings(group, {"dunningLadderId": str(strict.id)})
    db.session.commit()
    response = api.delete(f"/dunning/ladders/{strict.id}")
    assert response.status_code == 409
    assert "used by 2 customers and 1 group" in response.json["detail"]
    assert api.get(f"/dunning/ladders/{strict.id}").status_code == 200


def test_delete_an_unused_ladder_with_its_rules(api, strict):
    rule_id = api.get(f"/dunning/ladders/{strict.id}").json["rules"][0]["id"]
    read = api.get(f"/dunning/ladders/{strict.id}")
    api.patch(f"/dunning/ladders/{strict.id}", {"name": "Renamed meanwhile"})
    assert api.delete(f"/dunning/ladders/{strict.id}", headers={"If-Match": read.headers["ETag"]}).status_code == 412
    assert api.delete(f"/dunning/ladders/{strict.id}").status_code == 204
    assert api.get(f"/dunning/ladders/{strict.id}").status_code == 404
    assert api.get(f"/dunning/overdue-rules/{rule_id}").status_code == 404


def test_a_changed_rule_changes_its_ladders_etag(api, strict):
    before = api.get(f"/dunning/ladders/{strict.id}")
    rule = before.json["rules"][0]
    api.send("PUT", f"/dunning/overdue-rules/{rule['id']}", {**rule, "daysOverdue": 4})
    stale = api.patch(f"/dunning/ladders/{strict.id}", {"name": "Strict 2"},
                      headers={"If-Match": before.headers["ETag"]})
    assert stale.status_code == 412
    assert api.get(f"/dunning/ladders/{strict.id}").json["name"] == "Strict"


@pytest.mark.parametrize("path", [f"/dunning/ladders/{2**31}", "/dunning/ladders/abc"])
def test_an_unknown_or_out_of_range_ladder_is_404(api, standard, path):
    response = api.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_another_organizations_ladder_is_404(api, make):
    other = make.org("globex")
    ensure_reference_data(other, [])
    db.session.commit()
    theirs = dunning.default_ladder(other.id)
    for response in (api.get(f"/dunning/ladders/{theirs.id}"), api.patch(f"/dunning/ladders/{theirs.id}",
                                                                          {"isDefault": True}),
                     api.delete(f"/dunning/ladders/{theirs.id}"),
                     api.get("/dunning/overdue-rules", ladderId=str(theirs.id))):
        assert response.status_code == 404
    assert api.get("/dunning/ladders").json["data"] == []


# --- overdue rules of a ladder ---------------------------------------------------------------------------------

def test_rules_are_the_default_ladders_unless_ladder_id_names_another(api, standard, strict):
    assert [r["ladderId"] for r in api.get("/dunning/overdue-rules").json["data"]] == [str(standard.id)] * 2
    theirs = api.get("/dunning/overdue-rules", ladderId=str(strict.id)).json["data"]
    assert [(r["level"], r["daysOverdue"], r["ladderId"]) for r in theirs] == [(1, 3, str(strict.id))]


@pytest.mark.parametrize("ladder_id", ["999999", "0", "abc", str(2**31)])
def test_an_unknown_ladder_in_the_query_is_404(api, standard, ladder_id):
    response = api.get("/dunning/overdue-rules", ladderId=ladder_id)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_add_a_rule_to_another_ladder(api, standard, strict, email_template):
    created = api.post("/dunning/overdue-rules", {"ladderId": str(strict.id), "daysOverdue": 10,
                                                  "emailTemplate": email_template})
    assert created.status_code == 201, created.json
    assert created.json["ladderId"] == str(strict.id) and created.json["level"] == 2
    assert len(api.get("/dunning/overdue-rules").json["data"]) == 2  # the default ladder is unchanged
    by_query = api.post(f"/dunning/overdue-rules?ladderId={strict.id}", {"daysOverdue": 12,
                                                                         "emailTemplate": email_template})
    assert by_query.status_code == 201 and by_query.json["ladderId"] == str(strict.id)
    by_number = api.post("/dunning/overdue-rules", {"ladderId": strict.id, "daysOverdue": 14,
                                                    "emailTemplate": email_template})
    assert by_number.status_code == 201 and by_number.json["level"] == 4


@pytest.mark.parametrize("ladder_id", ["999999", "0", 999999])
def test_an_unknown_ladder_in_the_body_is_422(api, standard, email_template, ladder_id):
    response = api.post("/dunning/overdue-rules", {"ladderId": ladder_id, "daysOverdue": 10,
                                                   "emailTemplate": email_template})
    assert response.status_code == 422
    assert field_errors(response) == {"ladderId": "Not one of the organization's dunning ladders."}


def test_another_organizations_ladder_in_the_body_is_422(api, make, standard, email_template):
    other = make.org("globex")
    ensure_reference_data(other, [])
    db.session.commit()
    response = api.post("/dunning/overdue-rules", {"ladderId": str(dunning.default_ladder(other.id).id),
                                                   "daysOverdue": 10, "emailTemplate": email_template})
    assert response.status_code == 422 and "ladderId" in field_errors(response)


def test_five_rules_per_ladder(api, standard, strict, email_template):
    for _ in range(4):
        assert api.post("/dunning/overdue-rules", {"ladderId": str(strict.id), "daysOverdue": 3,
                                                   "emailTemplate": email_template}).status_code == 201
    sixth = api.post("/dunning/overdue-rules", {"ladderId": str(strict.id), "daysOverdue": 3,
                                                "emailTemplate": email_template})
    assert sixth.status_code == 422 and "level" in field_errors(sixth)
    assert api.post("/dunning/overdue-rules", {"daysOverdue": 3, "emailTemplate": email_template}).status_code == 201


def test_a_rule_stays_on_its_ladder(api, standard, strict):
    rule = api.get("/dunning/overdue-rules", ladderId=str(strict.id)).json["data"][0]
    moved = api.send("PUT", f"/dunning/overdue-rules/{rule['id']}", {**rule, "ladderId": str(standard.id)})
    assert moved.status_code == 422 and "ladderId" in field_errors(moved)
    same = api.send("PUT", f"/dunning/overdue-rules/{rule['id']}", {**rule, "daysOverdue": 6})
    assert same.status_code == 200 and same.json["ladderId"] == str(strict.id) and same.json["daysOverdue"] == 6


def test_the_first_rule_of_an_organization_without_ladders_makes_standard(client, make):
    from portal.models import EmailTemplate

    initech = make.org("initech")
    template = EmailTemplate(organization_id=initech.id, name="Reminder", subject="Overdue", body="Please pay.")
    db.session.add(template)
    db.session.commit()
    api = Api(client, token_for(initech))
    assert api.get("/dunning/overdue-rules").json["data"] == [] and api.get("/dunning/ladders").json["data"] == []
    created = api.post("/dunning/overdue-rules", {"daysOverdue": 5, "emailTemplate": {"id": str(template.id)}})
    assert created.status_code == 201, created.json
    [ladder] = api.get("/dunning/ladders").json["data"]
    assert ladder["name"] == "Standard" and ladder["isDefault"] is True and ladder["id"] == created.json["ladderId"]


# --- the timeline on the effective ladder ------------------------------------------------------------------------

def test_a_group_members_timeline_uses_the_groups_ladder_and_names_it(api, make, org, standard, strict):
    group = groups.create(org.id, {"name": "Key accounts"})
    settings_store.update_group_settings(group, {"dunningLadderId": str(strict.id)})
    member = make.customer(org, groupId=str(group.id))
    outsider = make.customer(org)
    db.session.commit()

    timeline = api.get(f"/customers/{member.id}/dunning-timeline", invoiceDate="2026-03-02",
                       amountInCents="10000").json
    assert timeline["ladder"] == {"id": str(strict.id), "name": "Strict"}
    assert [(s["level"], s["sendDate"], s["dueDate"]) for s in timeline["steps"]] == [
        (1, "2026-03-19", "2026-03-24")]  # due 16 March (Net14), sent 3 days later, due 5 days after that
    settings = api.get(f"/customers/{member.id}/settings").json
    assert settings["effective"]["dunningLadderId"] == str(strict.id)
    assert settings["sources"]["dunningLadderId"] == "group"

    other = api.get(f"/customers/{outsider.id}/dunning-timeline", invoiceDate="2026-03-02", amountInCents="1").json
    assert other["ladder"] == {"id": str(standard.id), "name": "Standard"} and len(other["steps"]) == 2


def test_a_customers_own_ladder_beats_its_groups(api, make, org, standard, strict):
    group = groups.create(org.id, {"name": "Key accounts"})
    settings_store.update_group_settings(group, {"dunningLadderId": str(strict.id)})
    member = make.customer(org, groupId=str(group.id))
    db.session.commit()
    chosen = api.patch(f"/customers/{member.id}/settings", {"dunningLadderId": str(standard.id)})
    assert chosen.status_code == 200 and chosen.json["sources"]["dunningLadderId"] == "customer"
    timeline = api.get(f"/customers/{member.id}/dunning-timeline", amountInCents="1").json
    assert timeline["ladder"]["name"] == "Standard"


def test_without_ladders_the_timeline_names_none(api, make, org):
    customer = make.customer(org)
    timeline = api.get(f"/customers/{customer.id}/dunning-timeline", invoiceDate="2026-03-02", amountInCents="1").json
    assert timeline["ladder"] is None and timeline["steps"] == []
