"""Customer groups on every screen (SPEC §6, issue 14): the groups page, a group's settings page with provenance,
member override counts and the impact before saving; membership in the header, Technical details, New customer,
the overview's bulk "Move to group…" and filter, the CSV export and import; the customer's Settings tab and timeline
through the group layer; the organization page's counts of customer and group overrides."""
import csv
import io
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer, CustomerGroup
from portal.services import dunning, groups, settings_store
from portal.services.demo import ensure_reference_data
from tests.conftest import Auth


@pytest.fixture
def as_admin(app, make, org):
    auth = Auth(app.test_client())
    auth.login(make.user(org, "admin"))
    return auth


@pytest.fixture
def public(org):
    """The issue's group: XRechnung (UBL), Net 30 and a gentle two-step ladder."""
    ensure_reference_data(org, [])
    gentle = dunning.create_ladder(org.id, {"name": "Gentle"})
    template = dunning.ladder(dunning.default_ladder_id(org.id))[0].email_template_id
    for days in (14, 21):
        dunning.create_rule(gentle, {"daysOverdue": days, "dueInDays": 14, "emailTemplate": template})
    group = groups.create(org.id, {"name": "Public sector DE", "description": "Authorities"})
    settings_store.update_group_settings(group, {"eInvoiceFormat": "xrechnung-ubl", "term": "Net30",
                                                 "dunningLadderId": str(gentle.id)})
    db.session.commit()
    return group


def text(response):
    return response.get_data(as_text=True)


def _members(make, org, group, count=3):
    customers = [make.customer(org, name=f"Amt {n}") for n in range(count)]
    groups.move_customers(org.id, [c.id for c in customers], group)
    db.session.commit()
    return customers


# --- the groups page ----------------------------------------------------------------------------------------

def test_an_admin_creates_renames_and_deletes_an_empty_group(as_admin, org):
    created = as_admin.post("/organization/groups", {"new-name": "Enterprise", "new-description": "Big ones"},
                            htmx=True)
    assert created.status_code == 200 and "Enterprise" in text(created)
    group = db.session.scalar(sa.select(CustomerGroup))
    assert (group.name, group.description) == ("Enterprise", "Big ones")
    renamed = as_admin.save(f"/organization/groups/{group.id}/edit", {f"group-{group.id}-name": "Key accounts"})
    assert renamed.status_code == 200 and "Key accounts" in text(renamed)
    deleted = as_admin.post(f"/organization/groups/{group.id}/delete", htmx=True, **{"HX-Target": "groups"})
    assert deleted.status_code == 200 and "Group “Key accounts” deleted." in text(deleted)
    assert db.session.scalar(sa.select(sa.func.count(CustomerGroup.id))) == 0
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "customerGroup")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize("name, message", [("", "Name is required."), ("public SECTOR de", "Another group has this name."),
                                           ("Bad\x00name", "")])
def test_a_bad_group_name_is_refused_at_the_field_with_the_input_kept(as_admin, org, public, name, message):
    response = as_admin.post("/organization/groups", {"new-name": name, "new-description": "kept"}, htmx=True)
    assert response.status_code == 422 and message in text(response)
    assert "kept" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(CustomerGroup.id))) == 1


def test_a_group_with_customers_is_not_deleted_and_the_page_says_how_many(as_admin, make, org, public):
    _members(make, org, public, 3)
    response = as_admin.post(f"/organization/groups/{public.id}/delete", htmx=True, **{"HX-Target": "groups"})
    assert response.status_code == 409
    assert "“Public sector DE” has 3 customers; move them to another group or out of it first." in text(response)
    assert db.session.get(CustomerGroup, public.id) is not None


def test_the_groups_page_lists_groups_with_their_customer_counts(as_admin, make, org, public):
    _members(make, org, public, 2)
    page = text(as_admin.get("/organization/groups"))
    assert "Public sector DE" in page and "Authorities" in page
    assert re.search(r'href="/customers\?[^"]*group=%d[^"]*"[^>]*>2</a>' % public.id, page.replace("&amp;", "&"))


def test_viewers_and_managers_cannot_reach_group_administration(auth, make, org, public):
    auth.login(make.user(org, "manager"))
    for url in ("/organization/groups", f"/organization/groups/{public.id}/settings"):
        assert auth.get(url).status_code == 403


# --- a group's settings page ------------------------------------------------------------------------------

def test_the_group_page_shows_sources_member_overrides_and_the_impact_before_saving(as_admin, make, org, public):
    settings_store.update_organization_settings(org.id, {"autoCollect": True})
    members = _members(make, org, public, 3)
    settings_store.update_customer_settings(db.session.get(Customer, members[0].id), {"term": "Net45"})
    db.session.commit()
    page = text(as_admin.get(f"/organization/groups/{public.id}/settings"))
    assert "3 customers</a> are in this group." in page
    row = _row(page, "term")
    assert "Due 30 days after the invoice date" in row and "Group-specific Value" in row
    assert "1 of its customers overrides it" in row
    assert "Inherited from Organization" in _row(page, "autoCollect")
    assert "Inherited from Default Values" in _row(page, "rollUpTaxes")
    assert "Gentle" in _row(page, "dunningLadderId")
    form = text(as_admin.get(f"/organization/groups/{public.id}/settings/term/edit", htmx=True))
    assert "Changing it changes 2 of its customers that inherit it." in form
    assert "Inherit (Due 14 days after the invoice date, from Default Values)" in form


def test_a_group_setting_is_saved_reset_to_inherited_and_audited(as_admin, org, public):
    saved = as_admin.save(f"/organization/groups/{public.id}/settings/customerGracePeriod/edit",
                          {"customerGracePeriod": "10"})
    assert saved.status_code == 200 and "Group-specific Value" in text(saved)
    assert settings_store.group_layer(db.session.get(CustomerGroup, public.id))["customerGracePeriod"] == 10
    reset = as_admin.save(f"/organization/groups/{public.id}/settings/customerGracePeriod/edit",
                          {"customerGracePeriod": ""})
    assert reset.status_code == 200 and "Inherited from Default Values" in text(reset)
    db.session.expire_all()
    assert settings_store.group_layer(db.session.get(CustomerGroup, public.id))["customerGracePeriod"] is None
    changes = db.session.scalars(sa.select(AuditEvent.changes).where(AuditEvent.entity == "groupSettings")
                                 .order_by(AuditEvent.id)).all()
    assert [c.get("customerGracePeriod") for c in changes][-2:] == [[None, 10], [10, None]]


def test_a_group_cannot_pick_another_organizations_ladder(as_admin, make, org, public):
    rival = make.org("rival")
    ensure_reference_data(rival, [])
    foreign = dunning.create_ladder(rival.id, {"name": "Theirs"})
    db.session.commit()
    response = as_admin.save(f"/organization/groups/{public.id}/settings/dunningLadderId/edit",
                             {"dunningLadderId": str(foreign.id)})
    assert response.status_code == 422 and "Choose one of your dunning ladders." in text(response)


# --- the customer through the group layer --------------------------------------------------------------------

def test_a_members_settings_tab_and_timeline_show_the_group_and_its_ladder(as_admin, make, org, public):
    customer = _members(make, org, public, 1)[0]
    page = text(as_admin.get(f"/customers/{customer.id}/settings"))
    for row in ("term", "eInvoicing", "dunningLadderId"):
        assert "Inherited from Group Public sector DE" in _row(page, row)
    assert "The buyer reference (Leitweg-ID) is required for XRechnung." in page  # the group's format asks for it
    assert 'id="timeline-ladder">On the ladder <strong>Gentle</strong>' in page
    assert "Dunning ladder “Gentle” (Inherited from Group Public sector DE)." in page
    assert page.count("reminder sent") == 2
    form = text(as_admin.get(f"/customers/{customer.id}/settings/term/edit", htmx=True))
    assert "Inherit (Due 30 days after the invoice date, from Group Public sector DE)" in form


def test_resetting_a_members_override_goes_back_to_the_groups_value(as_admin, make, org, public):
    customer = _members(make, org, public, 1)[0]
    as_admin.save(f"/customers/{customer.id}/settings/term/edit", {"term-kind": "Net", "term-days": "45"})
    assert "Customer-specific Value" in _row(text(as_admin.get(f"/customers/{customer.id}/settings")), "term")
    as_admin.save(f"/customers/{customer.id}/settings/term/edit", {"term-kind": ""})
    row = _row(text(as_admin.get(f"/customers/{customer.id}/settings")), "term")
    assert "Due 30 days after the invoice date" in row and "Inherited from Group Public sector DE" in row


def test_the_organization_page_counts_customer_and_group_overrides_apart(as_admin, make, org, public):
    customer = _members(make, org, public, 2)[0]
    make.customer(org)
    settings_store.update_customer_settings(db.session.get(Customer, customer.id), {"term": "Net45"})
    db.session.commit()
    page = text(as_admin.get("/organization/settings"))
    assert "1 customer overrides it · 1 group sets it" in _row(page, "term")
    assert "0 customers override it" in _row(page, "rollUpTaxes")
    form = text(as_admin.get("/organization/settings/term/edit", htmx=True))
    assert "Changing it changes 1 customer that inherits it." in form  # the one outside the group


# --- membership -----------------------------------------------------------------------------------------------

def test_technical_details_set_the_group_and_the_header_names_it(as_admin, make, org, public):
    customer = make.customer(org)
    response = as_admin.save(f"/customers/{customer.id}/sections/technical/edit", {"group": str(public.id)})
    assert response.status_code == 200
    body = text(response)
    assert "Public sector DE" in body and 'id="customer-head"' in body  # the header comes along, out of band
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).group_id == public.id
    activity = text(as_admin.get(f"/customers/{customer.id}/activity"))
    assert "Group" in activity and "Public sector DE" in activity
    out = as_admin.save(f"/customers/{customer.id}/sections/technical/edit", {"group": ""})
    assert out.status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).group_id is None


def test_technical_details_refuse_a_group_that_is_not_the_organizations(as_admin, make, org, public):
    customer = make.customer(org)
    response = as_admin.save(f"/customers/{customer.id}/sections/technical/edit", {"group": "999999"})
    assert response.status_code == 422 and "Choose one of your customer groups." in text(response)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).group_id is None


def test_new_customer_can_start_in_a_group(app, make, org, public):
    auth = Auth(app.test_client())
    auth.login(make.user(org, "manager"))
    form = text(auth.get("/customers/new"))
    assert "Public sector DE" in form
    response = auth.post("/customers/new", {"name": "Stadt Köln", "contact_email": "rechnung@koeln.example",
                                            "country": "DE", "currency": "EUR", "tax_rate": "0.00",
                                            "customer_type": "B2B", "language": "de", "group": str(public.id)})
    assert response.status_code == 302
    customer = db.session.scalar(sa.select(Customer).where(Customer.name == "Stadt Köln"))
    assert customer.group_id == public.id


def test_bulk_move_reviews_then_moves_the_ticked_customers(app, make, org, public):
    auth = Auth(app.test_client())
    auth.login(make.user(org, "manager"))
    chosen = [make.customer(org, name=f"Amt {n}") for n in range(3)]
    other = make.customer(org, name="Zeta Retail")
    data = {"scope": "selected", "ids": [str(c.id) for c in chosen], "group_id": str(public.id)}
    review = auth.post("/customers/bulk-group", data, htmx=True)
    assert review.status_code == 200 and "Move to group “Public sector DE”: 3 customers?" in text(review)
    assert db.session.scalar(sa.select(sa.func.count(Customer.id)).where(Customer.group_id.is_not(None))) == 0
    moved = auth.post("/customers/bulk-group", {**data, "confirmed": "yes"}, htmx=True)
    assert moved.headers.get("HX-Redirect", "").startswith("/customers")
    db.session.expire_all()
    assert {c.id for c in db.session.scalars(sa.select(Customer).where(Customer.group_id == public.id))} == \
        {c.id for c in chosen}
    assert db.session.get(Customer, other.id).group_id is None
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "customer",
                                                            AuditEvent.action == "update")).all()
    assert sorted(e.customer_id for e in events) == sorted(c.id for c in chosen)
    assert all(e.changes == {"groupId": [None, public.id]} for e in events)
    listed = text(auth.get(f"/customers?group={public.id}"))
    assert "1–3 of 3 customers" in listed and "Zeta Retail" not in listed
    assert "Zeta Retail" in text(auth.get("/customers?group=none"))


@pytest.mark.parametrize("data, message", [
    ({"scope": "selected", "ids": [], "group_id": "GROUP"}, "Select at least one active customer"),
    ({"scope": "selected", "ids": ["CUSTOMER"], "group_id": ""}, "Choose a group, or “No group”"),
    ({"scope": "selected", "ids": ["CUSTOMER"], "group_id": "424242"}, "Choose one of your customer groups."),
])
def test_bulk_move_says_what_is_missing_and_moves_nothing(app, make, org, public, data, message):
    auth = Auth(app.test_client())
    auth.login(make.user(org, "manager"))
    customer = make.customer(org)
    data = {k: ([str(customer.id)] if v == ["CUSTOMER"] else str(public.id) if v == "GROUP" else v)
            for k, v in data.items()}
    response = auth.post("/customers/bulk-group", {**data, "confirmed": "yes"}, htmx=True)
    assert response.status_code == 422 and message in text(response)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).group_id is None


def test_viewers_cannot_move_customers(app, make, org, public):
    auth = Auth(app.test_client())
    auth.login(make.user(org, "viewer"))
    customer = make.customer(org)
    response = auth.post("/customers/bulk-group", {"scope": "selected", "ids": [str(customer.id)],
                                                   "group_id": str(public.id), "confirmed": "yes"}, htmx=True)
    assert response.status_code == 403


def test_the_export_names_the_group_and_the_import_reads_it_back(as_admin, app, make, org, public):
    member = _members(make, org, public, 1)[0]
    outside = make.customer(org, name="Outside GmbH")
    body = as_admin.get("/customers/export.csv").get_data().decode("utf-8-sig")
    rows = {row["Name"]: row for row in csv.DictReader(io.StringIO(body))}
    assert rows[member.name]["Group"] == "Public sector DE" and rows["Outside GmbH"]["Group"] == ""

    from portal.services import imports
    from portal.services.audit import CLI_ACTOR

    data = (f"Debtor ID,Name,Group\r\n{outside.debtor_ident},Outside GmbH,public sector de\r\n"
            f"{member.debtor_ident},{member.name},\r\nNEW-1,Neu GmbH,Nowhere\r\n").encode()
    job = imports.start(org.id, CLI_ACTOR, "groups.csv", data)
    imports.set_mapping(job, job.mapping)
    imports.begin_preview(job)
    db.session.commit()
    imports.run_preview(job.id)
    page = text(as_admin.get(f"/customers/import/{job.id}"))
    assert "Group: — → <strong>Public sector DE</strong>" in page
    assert "Group: Public sector DE → <strong>—</strong>" in page
    assert "No customer group is named “Nowhere”." in page


def _row(page, name):
    """The HTML of one settings row."""
    match = re.search(r'<tr id="setting-%s".*?</tr>' % re.escape(name), page, re.S)
    assert match, f"no row {name}"
    return match.group(0)
