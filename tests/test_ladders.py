"""Several dunning ladders (SPEC §7, issue 14): one is the default; each keeps the rule editor; the effective
`dunningLadderId` (organization → group → customer) picks the ladder a customer's timeline follows; a ladder in use
or the default cannot be deleted, and the page says why."""
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer, DunningLadder, OverdueRule
from portal.services import dunning, groups, settings_store
from portal.services.demo import ensure_reference_data
from tests.conftest import Auth


@pytest.fixture
def as_admin(app, make, org):
    ensure_reference_data(org, [])
    db.session.commit()
    auth = Auth(app.test_client())
    auth.login(make.user(org, "admin"))
    return auth


def text(response):
    return response.get_data(as_text=True)


def _ladder(name):
    return db.session.scalar(sa.select(DunningLadder).where(DunningLadder.name == name))


def _email_template(org):
    return dunning.ladder(dunning.default_ladder_id(org.id))[0].email_template_id


def test_the_page_lists_ladders_with_the_default_and_shows_the_chosen_ones_rules(as_admin, org):
    page = text(as_admin.get("/organization/dunning"))
    assert "Standard" in page and "Default" in page and "Overdue rules of “Standard”" in page
    created = as_admin.post("/organization/dunning/ladders", {"new-ladder-name": "Gentle"}, htmx=True)
    assert created.status_code == 200 and "Overdue rules of “Gentle”" in text(created)
    gentle = _ladder("Gentle")
    assert dunning.default_ladder_id(org.id) != gentle.id  # a new ladder is not the default
    page = text(as_admin.get(f"/organization/dunning?ladder={gentle.id}"))
    assert "Overdue rules of “Gentle”" in page and "No overdue rules yet" in page


def test_rules_are_added_to_the_ladder_shown_and_five_is_the_most_per_ladder(as_admin, org):
    gentle = dunning.create_ladder(org.id, {"name": "Gentle"})
    db.session.commit()
    template = _email_template(org)
    for days in range(1, 6):
        response = as_admin.post("/organization/dunning", {"ladder": str(gentle.id), "new-rule-days_overdue": str(days),
                                                          "new-rule-due_in_days": "7",
                                                          "new-rule-email_template": str(template),
                                                          "new-rule-type": "reminder",
                                                          "new-rule-attach_original_invoice": "y",
                                                          "new-rule-is_enabled": "y"}, htmx=True)
        assert response.status_code == 200, text(response)
    assert [r.days_overdue for r in dunning.ladder(gentle.id)] == [1, 2, 3, 4, 5]
    assert len(dunning.ladder(dunning.default_ladder_id(org.id))) == 2  # the Standard ladder is untouched
    sixth = as_admin.post("/organization/dunning", {"ladder": str(gentle.id), "new-rule-days_overdue": "9",
                                                   "new-rule-email_template": str(template)}, htmx=True)
    assert sixth.status_code == 422 and "Five rules is the most a ladder can have" in text(sixth)
    assert "Five rules is the most a ladder can have" in text(as_admin.get(f"/organization/dunning?ladder={gentle.id}"))


def test_another_organizations_ladder_is_not_found(as_admin, make):
    rival = make.org("rival")
    ensure_reference_data(rival, [])
    db.session.commit()
    theirs = dunning.default_ladder_id(rival.id)
    assert as_admin.get(f"/organization/dunning?ladder={theirs}").status_code == 404
    assert as_admin.get("/organization/dunning?ladder=abc").status_code == 404
    assert as_admin.post(f"/organization/dunning/ladders/{theirs}/delete", htmx=True).status_code == 404


def test_making_a_ladder_the_default_moves_the_organizations_setting(as_admin, org):
    gentle = dunning.create_ladder(org.id, {"name": "Gentle"})
    db.session.commit()
    response = as_admin.post(f"/organization/dunning/ladders/{gentle.id}/default", htmx=True)
    assert response.status_code == 200 and "“Gentle” is now the default ladder." in text(response)
    assert dunning.default_ladder_id(org.id) == gentle.id
    assert settings_store.organization_layer(org.id)["dunningLadderId"] == str(gentle.id)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "organizationSettings")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.changes["dunningLadderId"][1] == str(gentle.id)
    page = text(as_admin.get("/organization/settings"))
    assert "Gentle" in page  # the organization's Dunning ladder row


def test_the_organization_cannot_reset_its_ladder_but_can_choose_another(as_admin, org):
    gentle = dunning.create_ladder(org.id, {"name": "Gentle"})
    db.session.commit()
    form = text(as_admin.get("/organization/settings/dunningLadderId/edit", htmx=True))
    assert "Default (" not in form and "Gentle" in form and "Standard" in form
    refused = as_admin.save("/organization/settings/dunningLadderId/edit", {"dunningLadderId": ""})
    assert refused.status_code == 422 and "One ladder is always the default" in text(refused)
    chosen = as_admin.save("/organization/settings/dunningLadderId/edit", {"dunningLadderId": str(gentle.id)})
    assert chosen.status_code == 200 and dunning.default_ladder_id(org.id) == gentle.id


def test_the_default_and_ladders_in_use_are_not_deleted_and_the_page_says_by_whom(as_admin, make, org):
    gentle = dunning.create_ladder(org.id, {"name": "Gentle"})
    customer = make.customer(org)
    group = groups.create(org.id, {"name": "Public sector DE"})
    settings_store.update_group_settings(group, {"dunningLadderId": str(gentle.id)})
    settings_store.update_customer_settings(db.session.get(Customer, customer.id), {"dunningLadderId": str(gentle.id)})
    db.session.commit()
    standard = dunning.default_ladder_id(org.id)
    refused = as_admin.post(f"/organization/dunning/ladders/{standard}/delete", htmx=True)
    assert refused.status_code == 409 and "is the default ladder; make another ladder the default first." in text(refused)
    in_use = as_admin.post(f"/organization/dunning/ladders/{gentle.id}/delete", htmx=True)
    assert in_use.status_code == 409
    assert "“Gentle” is used by 1 customer and 1 group; choose another ladder for them first." in text(in_use)
    assert db.session.get(DunningLadder, gentle.id) is not None
    page = text(as_admin.get("/organization/dunning"))
    assert "chosen by 1 customer and 1 group" in page


def test_an_unused_ladder_is_deleted_with_its_rules(as_admin, org):
    spare = dunning.create_ladder(org.id, {"name": "Spare"})
    dunning.create_rule(spare, {"daysOverdue": 3, "emailTemplate": _email_template(org)})
    db.session.commit()
    response = as_admin.post(f"/organization/dunning/ladders/{spare.id}/delete", htmx=True)
    assert response.status_code == 200 and "Ladder “Spare” deleted." in text(response)
    assert db.session.get(DunningLadder, spare.id) is None
    assert db.session.scalar(sa.select(sa.func.count(OverdueRule.id)).where(OverdueRule.ladder_id == spare.id)) == 0


def test_a_ladder_name_is_unique_in_the_organization(as_admin, org):
    response = as_admin.post("/organization/dunning/ladders", {"new-ladder-name": "standard"}, htmx=True)
    assert response.status_code == 422 and "Another ladder has this name" in text(response)
    assert 'value="standard"' in text(response)


def test_a_customers_own_ladder_wins_over_its_groups_and_the_timeline_names_it(as_admin, make, org):
    gentle = dunning.create_ladder(org.id, {"name": "Gentle"})
    strict = dunning.create_ladder(org.id, {"name": "Strict"})
    template = _email_template(org)
    dunning.create_rule(gentle, {"daysOverdue": 30, "emailTemplate": template})
    dunning.create_rule(strict, {"daysOverdue": 1, "emailTemplate": template})
    group = groups.create(org.id, {"name": "Enterprise"})
    settings_store.update_group_settings(group, {"dunningLadderId": str(gentle.id)})
    customer = make.customer(org)
    groups.move_customers(org.id, [customer.id], group)
    db.session.commit()
    page = text(as_admin.get(f"/customers/{customer.id}/settings?invoice_date=2026-01-15"))
    assert "On the ladder <strong>Gentle</strong>" in page and "Inherited from Group Enterprise" in page
    saved = as_admin.save(f"/customers/{customer.id}/settings/dunningLadderId/edit", {"dunningLadderId": str(strict.id)})
    assert saved.status_code == 200 and "Customer-specific Value" in text(saved)
    assert "On the ladder <strong>Strict</strong>" in text(saved)  # the timeline comes along, out of band
    activity = text(as_admin.get(f"/customers/{customer.id}/activity"))
    assert "Dunning ladder" in activity and "Strict" in activity
