"""Customer groups through the API: the groups themselves, their settings layer, and customers' groupId."""
import pytest

from portal.extensions import db
from portal.services import groups
from portal.services import settings_store
from tests.api.conftest import Api, token_for


@pytest.fixture
def key_accounts(org):
    group = groups.create(org.id, {"name": "Key accounts", "description": "Invoiced monthly"})
    db.session.commit()
    return group


@pytest.fixture
def member(make, org, key_accounts):
    return make.customer(org, name="Member GmbH", groupId=str(key_accounts.id))


def field_errors(response):
    return {e["field"]: e["message"] for e in response.json["errors"]}


# --- the groups ------------------------------------------------------------------------------------------------

def test_create_read_list_rename_and_delete_a_group(api):
    created = api.post("/groups", {"name": "Resellers", "description": "Partners who resell\nour plans"})
    assert created.status_code == 201, created.json
    group = created.json
    assert group == {"id": group["id"], "name": "Resellers", "description": "Partners who resell\nour plans",
                     "customerCount": 0, "uri": f"/api/v1/groups/{group['id']}"}
    assert created.headers["Location"] == group["uri"] and created.headers["ETag"].startswith('"')
    assert api.get(f"/groups/{group['id']}").json == group
    assert [g["name"] for g in api.get("/groups").json["data"]] == ["Resellers"]

    renamed = api.patch(f"/groups/{group['id']}", {"name": "Partners", "description": None},
                        headers={"If-Match": created.headers["ETag"]})
    assert renamed.status_code == 200, renamed.json
    assert renamed.json["name"] == "Partners" and renamed.json["description"] == ""

    assert api.delete(f"/groups/{group['id']}", headers={"If-Match": renamed.headers["ETag"]}).status_code == 204
    assert api.get(f"/groups/{group['id']}").status_code == 404
    assert api.get("/groups").json["data"] == []


def test_the_list_counts_each_groups_customers(api, make, org, key_accounts, member):
    groups.create(org.id, {"name": "Prospects"})
    make.customer(org, name="In no group")
    db.session.commit()
    listed = {g["name"]: g["customerCount"] for g in api.get("/groups").json["data"]}
    assert listed == {"Key accounts": 1, "Prospects": 0}


def test_a_group_name_is_unique_in_the_organization(api, make, key_accounts):
    taken = api.post("/groups", {"name": "KEY ACCOUNTS"})
    assert taken.status_code == 422 and field_errors(taken) == {"name": "Another group has this name."}
    other = make.org("globex")
    assert Api(api.client, token_for(other)).post("/groups", {"name": "Key accounts"}).status_code == 201
    prospects = api.post("/groups", {"name": "Prospects"}).json
    clash = api.patch(f"/groups/{prospects['id']}", {"name": "Key accounts"})
    assert clash.status_code == 422 and field_errors(clash) == {"name": "Another group has this name."}


@pytest.mark.parametrize("body, field", [({}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 201}, "name"),
                                         ({"name": "A", "customerCount": 3, "colour": "red"}, "colour"),
                                         ({"name": "A", "description": "x" * 2001}, "description")])
def test_group_validation_names_the_field(api, body, field):
    response = api.post("/groups", body)
    assert response.status_code == 422 and field in field_errors(response)
    assert api.get("/groups").json["data"] == []


def test_deleting_a_group_with_customers_is_409_saying_how_many(api, make, org, key_accounts, member):
    make.customer(org, name="Second member", groupId=key_accounts.id)
    response = api.delete(f"/groups/{key_accounts.id}")
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert "has 2 customers" in response.json["detail"]
    assert api.get(f"/groups/{key_accounts.id}").json["customerCount"] == 2


def test_a_stale_if_match_is_412_and_changes_nothing(api, key_accounts):
    read = api.get(f"/groups/{key_accounts.id}")
    api.patch(f"/groups/{key_accounts.id}", {"description": "Changed meanwhile"})
    stale = {"If-Match": read.headers["ETag"]}
    assert api.patch(f"/groups/{key_accounts.id}", {"name": "Renamed"}, headers=stale).status_code == 412
    assert api.delete(f"/groups/{key_accounts.id}", headers=stale).status_code == 412
    assert api.get(f"/groups/{key_accounts.id}").json["name"] == "Key accounts"


def test_another_organizations_group_is_404(api, make):
    other = make.org("globex")
    theirs = groups.create(other.id, {"name": "Theirs"})
    db.session.commit()
    for response in (api.get(f"/groups/{theirs.id}"), api.patch(f"/groups/{theirs.id}", {"name": "Ours"}),
                     api.delete(f"/groups/{theirs.id}"), api.get(f"/groups/{theirs.id}/settings")):
        assert response.status_code == 404
    assert api.get("/groups").json["data"] == []


@pytest.mark.parametrize("path", [f"/groups/{2**31}", f"/groups/{2**31}/settings", "/groups/abc", "/groups/-1"])
def test_an_unknown_or_out_of_range_group_is_404(api, path):
    response = api.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_an_idempotency_key_creates_one_group(api):
    first = api.post("/groups", {"name": "Resellers"}, headers={"Idempotency-Key": "group-1"})
    again = api.post("/groups", {"name": "Resellers"}, headers={"Idempotency-Key": "group-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert len(api.get("/groups").json["data"]) == 1


def test_a_read_only_token_reads_groups_but_cannot_create_them(read_only_api, key_accounts):
    assert read_only_api.get("/groups").status_code == 200
    assert read_only_api.post("/groups", {"name": "New"}).status_code == 403


def test_group_changes_are_audited(api, key_accounts, member):
    api.patch(f"/customers/{member.id}", {"groupId": None}, headers={"X-Audit-Reason": "left the programme"})
    event = api.get(f"/customers/{member.id}/events").json["data"][0]
    change = event["changes"]["groupId"]
    assert str(change["old"]) == str(key_accounts.id) and change["new"] is None
    assert event["reason"] == "left the programme"


# --- the group's settings layer ------------------------------------------------------------------------------

def test_group_settings_are_shaped_like_the_organizations(api, key_accounts):
    body = api.get(f"/groups/{key_accounts.id}/settings").json
    organization = api.get("/organization/settings").json
    assert set(body) == set(organization) - {"groupOverrideCounts"} | {"id"}
    assert body["id"] == str(key_accounts.id) and body["uri"] == f"/api/v1/groups/{key_accounts.id}/settings"
    assert body["term"] is None and body["effective"]["term"] == "Net14" and body["sources"]["term"] == "default"
    assert set(body["sources"].values()) <= {"group", "organization", "default"}


def test_a_group_value_reaches_its_customers_with_source_group(api, make, org, key_accounts, member):
    outsider = make.customer(org, name="Outsider Ltd")
    before = api.get(f"/customers/{member.id}/settings")
    response = api.patch(f"/groups/{key_accounts.id}/settings", {"term": "Net30", "chargeDunningFees": False})
    assert response.status_code == 200, response.json
    assert response.json["term"] == "Net30" and response.json["sources"]["term"] == "group"

    after = api.get(f"/customers/{member.id}/settings")
    assert after.json["term"] is None  # the customer's own layer still inherits
    assert after.json["effective"]["term"] == "Net30" and after.json["sources"]["term"] == "group"
    assert after.json["sources"]["chargeDunningFees"] == "group"
    assert after.headers["ETag"] != before.headers["ETag"]
    outside = api.get(f"/customers/{outsider.id}/settings").json
    assert outside["effective"]["term"] == "Net14" and outside["sources"]["term"] == "default"


def test_a_customer_value_beats_the_group_and_the_group_beats_the_organization(api, key_accounts, member):
    api.patch("/organization/settings", {"term": "Net21", "autoSendDocuments": False})
    api.patch(f"/groups/{key_accounts.id}/settings", {"term": "Net30"})
    group = api.get(f"/groups/{key_accounts.id}/settings").json
    assert group["sources"]["term"] == "group" and group["sources"]["autoSendDocuments"] == "organization"
    assert group["effective"]["autoSendDocuments"] is False
    own = api.patch(f"/customers/{member.id}/settings", {"term": "Net7"}).json
    assert own["effective"]["term"] == "Net7" and own["sources"]["term"] == "customer"
    assert own["sources"]["autoSendDocuments"] == "organization"


def test_the_group_etag_follows_the_organization_layer(api, key_accounts):
    before = api.get(f"/groups/{key_accounts.id}/settings").headers["ETag"]
    api.patch("/organization/settings", {"autoSendDocuments": False})  # another layer changed
    after = api.get(f"/groups/{key_accounts.id}/settings")
    assert after.json["sources"]["autoSendDocuments"] == "organization" and after.headers["ETag"] != before
    stale = api.patch(f"/groups/{key_accounts.id}/settings", {"term": "Net7"}, headers={"If-Match": before})
    assert stale.status_code == 412
    assert api.get(f"/groups/{key_accounts.id}/settings").json["term"] is None


def test_put_replaces_the_group_layer_and_names_missing_fields(api, key_accounts):
    missing = api.send("PUT", f"/groups/{key_accounts.id}/settings", {"term": "Net30"})
    assert missing.status_code == 422
    assert "autoCollect" in field_errors(missing) and "term" not in field_errors(missing)
    read = api.get(f"/groups/{key_accounts.id}/settings")
    replaced = api.send("PUT", f"/groups/{key_accounts.id}/settings", {**read.json, "term": "MFI1"},
                        headers={"If-Match": read.headers["ETag"]})
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["effective"]["term"] == "MFI1" and replaced.json["sources"]["term"] == "group"


def test_patch_null_resets_a_group_field_to_inherited(api, key_accounts):
    api.patch(f"/groups/{key_accounts.id}/settings", {"term": "Net30"})
    response = api.patch(f"/groups/{key_accounts.id}/settings", {"term": None})
    assert response.json["term"] is None and response.json["sources"]["term"] == "default"


@pytest.mark.parametrize("patch, field", [({"term": "Net400"}, "term"), ({"taxExemptCode": "X"}, "taxExemptCode"),
                                          ({"customerGracePeriod": -1}, "customerGracePeriod"),
                                          ({"dunningLadderId": "999999"}, "dunningLadderId")])
def test_group_settings_follow_the_organization_layers_rules(api, key_accounts, patch, field):
    response = api.patch(f"/groups/{key_accounts.id}/settings", patch)
    assert response.status_code == 422 and field in field_errors(response)


def test_override_counts_count_the_groups_members(api, make, org, key_accounts, member):
    make.customer(org, name="Other member", groupId=str(key_accounts.id))
    outsider = make.customer(org, name="Outsider")
    settings_store.update_customer_settings(member, {"term": "Net7"})
    settings_store.update_customer_settings(outsider, {"term": "Net7"})
    settings_store.update_group_settings(key_accounts, {"term": "Net30"})
    db.session.commit()
    assert api.get(f"/groups/{key_accounts.id}/settings").json["overrideCounts"]["term"] == 1
    organization = api.get("/organization/settings").json
    assert organization["overrideCounts"]["term"] == 2 and organization["groupOverrideCounts"]["term"] == 1
    assert organization["groupOverrideCounts"]["autoCollect"] == 0


def test_a_read_only_token_cannot_change_group_settings(read_only_api, key_accounts):
    assert read_only_api.get(f"/groups/{key_accounts.id}/settings").status_code == 200
    assert read_only_api.patch(f"/groups/{key_accounts.id}/settings", {"term": "Net7"}).status_code == 403


# --- customers' groupId ---------------------------------------------------------------------------------------

def test_create_a_customer_in_a_group(api, new_customer, key_accounts):
    response = api.post("/customers", {**new_customer, "groupId": str(key_accounts.id)})
    assert response.status_code == 201, response.json
    assert response.json["groupId"] == str(key_accounts.id)
    assert api.get(f"/groups/{key_accounts.id}").json["customerCount"] == 1


def test_a_group_id_may_be_a_number_and_null_is_no_group(api, new_customer, key_accounts):
    numbered = api.post("/customers", {**new_customer, "groupId": key_accounts.id})
    assert numbered.status_code == 201 and numbered.json["groupId"] == str(key_accounts.id)
    plain = api.post("/customers", {**new_customer, "aliases": [], "groupId": None})
    assert plain.status_code == 201 and plain.json["groupId"] is None


def test_move_a_customer_into_and_out_of_a_group(api, make, org, key_accounts):
    customer = make.customer(org)
    read = api.get(f"/customers/{customer.id}")
    assert read.json["groupId"] is None
    moved = api.patch(f"/customers/{customer.id}", {"groupId": str(key_accounts.id)},
                      headers={"If-Match": read.headers["ETag"]})
    assert moved.status_code == 200 and moved.json["groupId"] == str(key_accounts.id)
    assert moved.headers["ETag"] != read.headers["ETag"]
    assert api.get(f"/customers/{customer.id}/settings").json["sources"]["term"] == "default"
    left = api.patch(f"/customers/{customer.id}", {"groupId": None})
    assert left.status_code == 200 and left.json["groupId"] is None


@pytest.mark.parametrize("group_id", ["999999", 999999, "0", "abc"])
def test_an_unknown_group_is_422(api, new_customer, group_id):
    response = api.post("/customers", {**new_customer, "groupId": group_id})
    assert response.status_code == 422 and "groupId" in field_errors(response)


def test_another_organizations_group_is_422_and_changes_nothing(api, make, org, new_customer):
    other = make.org("globex")
    theirs = groups.create(other.id, {"name": "Theirs"})
    customer = make.customer(org)
    db.session.commit()
    created = api.post("/customers", {**new_customer, "groupId": str(theirs.id)})
    assert created.status_code == 422
    assert field_errors(created) == {"groupId": "Choose one of your customer groups."}
    patched = api.patch(f"/customers/{customer.id}", {"groupId": str(theirs.id)})
    assert patched.status_code == 422
    assert field_errors(patched) == {"groupId": "Choose one of your customer groups."}
    assert api.get(f"/customers/{customer.id}").json["groupId"] is None


def test_list_customers_of_a_group_or_of_none(api, make, org, key_accounts, member):
    make.customer(org, name="Loner")
    assert [c["name"] for c in api.get("/customers", groupId=str(key_accounts.id)).json["data"]] == ["Member GmbH"]
    assert [c["name"] for c in api.get("/customers", groupId="none").json["data"]] == ["Loner"]
    assert api.get("/customers", groupId="999999").json["data"] == []
    bad = api.get("/customers", groupId="key-accounts")
    assert bad.status_code == 422 and "groupId" in field_errors(bad)
