"""Organization → Dunning rules and Templates, and the timeline on the Settings tab."""
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import EmailTemplate, OverdueRule
from portal.services import settings_store
from portal.services.demo import ensure_reference_data
from tests.test_detail import html


@pytest.fixture
def as_admin(auth, make, org):
    ensure_reference_data(org, [("Acme GmbH", "DE", "EUR")])
    db.session.commit()
    auth.login(make.user(org, "admin"))
    return auth


def levels():
    db.session.expire_all()
    return [(r.level, r.type, r.days_overdue) for r in db.session.scalars(sa.select(OverdueRule).order_by(OverdueRule.level))]


def templates_of(org):
    email = db.session.scalar(sa.select(EmailTemplate).where(EmailTemplate.name == "Dunning notice"))
    return email.id, db.session.scalars(sa.select(OverdueRule)).first().document_template_id


def test_ladder_shows_rules_with_fees_in_the_chosen_currency(as_admin):
    body = html(as_admin.get("/organization/dunning"))
    assert "Level 1" in body and "Level 2" in body and "€2.50" in body
    assert "¥250" in html(as_admin.get("/organization/dunning?currency=JPY"))


def test_create_a_level_3_dunning_with_a_fee_entered_as_money(as_admin, org):
    email_id, document_id = templates_of(org)
    form = as_admin.open_form("/organization/dunning/new?currency=EUR")
    response = as_admin.submit(form, {
        "new-rule-type": "dunning", "new-rule-days_overdue": "10", "new-rule-due_in_days": "14", "new-rule-fee": "5.00",
        "new-rule-email_template": str(email_id), "new-rule-document_template": str(document_id)})
    assert response.status_code == 200 and "Level 3" in html(response)
    assert "Level 3 dunning added." in html(response)  # the confirmation shows at once, as a toast
    rule = db.session.scalar(sa.select(OverdueRule).where(OverdueRule.level == 3))
    assert rule.amount_in_cents == 500 and rule.due_in_days == 14 and rule.send_letter is False


def test_rule_errors_show_at_the_field_with_the_input_kept(as_admin, org):
    response = as_admin.post("/organization/dunning", {
        "new-rule-type": "dunning", "new-rule-days_overdue": "0", "new-rule-due_in_days": "7", "new-rule-fee": "",
        "currency": "EUR", "new-rule-email_template": "", "new-rule-document_template": ""}, htmx=True)
    assert response.status_code == 422
    body = html(response)
    for message in ("Days overdue must be a whole number above 0.", "A dunning charges a fee",
                    "Email template is required.", "Document template is required."):
        assert message in body
    assert 'value="0"' in body and levels() == [(1, "reminder", 5), (2, "dunning", 7)]


def test_fee_decimals_follow_the_currency(as_admin, org):
    email_id, _ = templates_of(org)
    response = as_admin.post("/organization/dunning", {
        "new-rule-type": "reminder", "new-rule-days_overdue": "3", "new-rule-fee": "5.5", "currency": "JPY",
        "new-rule-email_template": str(email_id)}, htmx=True)
    assert response.status_code == 422 and "JPY has 0 decimals." in html(response)


def test_reorder_enable_disable_and_delete_keep_levels_without_gaps(as_admin, org):
    first, second = db.session.scalars(sa.select(OverdueRule).order_by(OverdueRule.level)).all()
    as_admin.post(f"/organization/dunning/{second.id}/up", htmx=True)
    assert levels() == [(1, "dunning", 7), (2, "reminder", 5)]
    as_admin.post(f"/organization/dunning/{second.id}/disable", htmx=True)
    db.session.expire_all()
    assert db.session.get(OverdueRule, second.id).is_enabled is False
    as_admin.post(f"/organization/dunning/{second.id}/delete", htmx=True)
    assert levels() == [(1, "reminder", 5)]


def test_edit_a_rule_inline(as_admin, org):
    rule = db.session.scalars(sa.select(OverdueRule).order_by(OverdueRule.level)).first()
    form = as_admin.open_form(f"/organization/dunning/{rule.id}/edit")
    assert form.get(f"rule-{rule.id}-days_overdue") == "5"
    response = as_admin.submit(form, {f"rule-{rule.id}-days_overdue": "3", f"rule-{rule.id}-due_in_days": "10"})
    assert response.status_code == 200 and levels()[0] == (1, "reminder", 3)
    body = html(response)
    assert body.lstrip().startswith(f'<li class="rule" id="rule-{rule.id}"') and "Level 1 saved." in body


def test_rule_conflict_per_field(as_admin, org):
    rule = db.session.scalars(sa.select(OverdueRule).order_by(OverdueRule.level)).first()
    form = as_admin.open_form(f"/organization/dunning/{rule.id}/edit")
    other = as_admin.open_form(f"/organization/dunning/{rule.id}/edit")
    assert as_admin.submit(other, {f"rule-{rule.id}-due_in_days": "9"}).status_code == 200
    assert as_admin.submit(form, {f"rule-{rule.id}-days_overdue": "4"}).status_code == 200  # another field
    clash = as_admin.submit(form, {f"rule-{rule.id}-due_in_days": "12"})
    assert clash.status_code == 409 and "<td>9</td><td>12</td>" in html(clash)
    db.session.expire_all()
    assert (db.session.get(OverdueRule, rule.id).days_overdue, db.session.get(OverdueRule, rule.id).due_in_days) == (4, 9)


def test_at_most_five_rules(as_admin, org):
    email_id, _ = templates_of(org)
    for _ in range(3):
        as_admin.post("/organization/dunning", {"new-rule-type": "reminder", "new-rule-days_overdue": "3",
                                                "currency": "EUR", "new-rule-email_template": str(email_id),
                                                "new-rule-is_enabled": "y"})
    body = html(as_admin.get("/organization/dunning"))
    assert "Five rules is the most" in body and ">Add rule</a>" not in body
    refused = as_admin.post("/organization/dunning", {"new-rule-type": "reminder", "new-rule-days_overdue": "3",
                                                      "currency": "EUR", "new-rule-email_template": str(email_id)},
                            htmx=True)
    assert refused.status_code == 422 and len(levels()) == 5


def test_templates_list_placeholders_preview_and_refuse_deleting_what_is_used(as_admin, org):
    email_id, _ = templates_of(org)
    body = html(as_admin.get(f"/organization/templates?preview={email_id}"))
    assert "{{customer_name}}" in body and "Dunning notice for invoice INV-2026-0042" in body
    response = as_admin.post(f"/organization/templates/email/{email_id}/delete")
    assert response.status_code == 302
    assert "is used by the overdue rule level 2 (dunning)" in html(as_admin.get("/organization/templates"))
    assert db.session.get(EmailTemplate, email_id) is not None


def test_template_validation(as_admin):
    response = as_admin.post("/organization/templates/email", {"new-email-name": "", "new-email-subject": "Hi",
                                                               "new-email-body": "{{nope}}"})
    assert response.status_code == 422
    assert "Name is required." in html(response) and "Unknown placeholder: {{nope}}." in html(response)
    created = as_admin.post("/organization/templates/document", {"new-document-name": "Final notice",
                                                                  "new-document-description": "Red"})
    assert created.status_code == 302 and "Final notice" in html(as_admin.get("/organization/templates"))


def test_template_saved_inline_shows_its_confirmation_at_once(as_admin, org):
    email_id, _ = templates_of(org)
    response = as_admin.save(f"/organization/templates/email/{email_id}/edit",
                             {f"email-{email_id}-subject": "Reminder: {{invoice_number}}"})
    body = html(response)
    assert response.status_code == 200 and body.lstrip().startswith(f'<article class="template" id="email-template-{email_id}"')
    assert "Reminder: INV-2026-0042" in body  # the preview with sample data
    assert 'id="flashes"' in body and "saved." in body


def test_managers_cannot_change_dunning(as_manager):
    assert as_manager.get("/organization/dunning").status_code == 403
    assert as_manager.get("/organization/templates").status_code == 403


def test_timeline_on_the_settings_tab_follows_the_settings(as_admin, make, org):
    customer = make.customer(org, currency="EUR")
    url = f"/customers/{customer.id}/dunning-timeline?invoice_date=2026-03-02&amount=1190.00"
    body = html(as_admin.get(url, htmx=True))
    assert "2026-03-16</span> Due" in body and "Level 2 dunning sent, due 2026-04-11" in body
    assert "Total fees: €2.50" in body
    saved = as_admin.save(f"/customers/{customer.id}/settings/chargeDunningFees/edit", {"chargeDunningFees": "false"})
    assert 'id="timeline" aria-labelledby="timeline-h" hx-swap-oob="true"' in html(saved)
    assert "Total fees: €0.00" in html(as_admin.get(url, htmx=True))
    settings_store.update_customer_settings(customer, {"dunningExempt": True})
    db.session.commit()
    exempt = html(as_admin.get(url, htmx=True))
    assert "Level 1" not in exempt and "dunning exempt (Customer-specific Value)" in exempt
    bad = as_admin.get(f"/customers/{customer.id}/dunning-timeline?invoice_date=soon&amount=x", htmx=True)
    assert bad.status_code == 422 and "A date as YYYY-MM-DD." in html(bad)


def test_a_rule_form_reports_every_error_at_once(as_admin, org):
    rule = db.session.scalars(sa.select(OverdueRule).order_by(OverdueRule.level)).first()
    response = as_admin.save(f"/organization/dunning/{rule.id}/edit?currency=EUR",
                             {f"rule-{rule.id}-days_overdue": "abc", f"rule-{rule.id}-fee": "5.001"})
    assert response.status_code == 422
    assert "Days overdue must be a whole number above 0." in html(response) and "EUR has 2 decimals." in html(response)


def test_moving_a_rule_from_an_old_page_shows_the_ladder_as_it_is(as_admin, org):
    first, second = db.session.scalars(sa.select(OverdueRule).order_by(OverdueRule.level)).all()
    as_admin.post(f"/organization/dunning/{second.id}/up", htmx=True)  # someone else reordered
    stale = as_admin.post(f"/organization/dunning/{second.id}/up", htmx=True)  # from a page that showed level 2
    body = html(stale)
    assert stale.status_code == 409 and body.lstrip().startswith('<section class="card" id="ladder"')
    assert "already at the top" in body and levels() == [(1, "dunning", 7), (2, "reminder", 5)]
