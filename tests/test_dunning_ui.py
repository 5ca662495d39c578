"""Organization → Dunning rules and Templates, and the timeline on the Settings tab."""
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

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


def fee_text(body, selector):
    """The text of one element of the page, as a person reads it."""
    return " ".join(BeautifulSoup(body, "html.parser").select_one(selector).get_text(" ", strip=True).split())


def test_the_ladder_states_the_fee_rule_and_each_fee_in_every_currency_the_customers_use(as_admin, make, org):
    for currency in ("GBP", "JPY", "EUR", "EUR"):
        make.customer(org, currency=currency)
    body = html(as_admin.get("/organization/dunning"))
    rule = fee_text(body, "#fee-rule")
    assert "Fees are charged in the invoice's currency." in rule and "minor unit" in rule
    assert "500 is €5.00, £5.00 or ¥500" in rule and "billed in EUR, GBP, JPY" in rule  # most used first
    level_2 = fee_text(body, "#ladder .rule:nth-of-type(2) .fee-amounts")
    assert level_2 == "250 → €2.50 · £2.50 · ¥250"
    assert "Fees shown in" not in body  # no one currency stands for all


def test_the_currencies_in_use_take_one_query_however_many_customers(as_admin, make, org, count_queries):
    make.customer(org, currency="GBP")
    with count_queries() as few:
        as_admin.get("/organization/dunning", htmx=True)
    for currency in ("JPY", "CHF", "USD", "GBP", "EUR"):
        make.customer(org, currency=currency)
    with count_queries() as many:
        body = html(as_admin.get("/organization/dunning", htmx=True))
    assert many.count == few.count and "¥250" in body and "CHF" in body


def test_without_customers_the_legal_entities_currencies_are_shown(as_admin):
    assert fee_text(html(as_admin.get("/organization/dunning")), "#ladder .rule:nth-of-type(2) .fee-amounts") \
        == "250 → €2.50"


def test_the_fee_preview_answers_as_the_fee_is_typed(as_admin, make, org):
    make.customer(org, currency="JPY")
    make.customer(org, currency="BHD")  # three decimals
    preview = as_admin.get("/organization/dunning/fee-preview?new-rule-fee=500", htmx=True)
    assert preview.status_code == 200 and "<form" not in html(preview)
    soup = BeautifulSoup(html(preview), "html.parser")
    for toast in soup.select("#flashes"):  # the sign-in's flash rides along out of band
        toast.decompose()
    assert " ".join(soup.get_text(" ", strip=True).split()) == "Comes to 500 → BHD0.500 · ¥500"
    typed_as_money = html(as_admin.get("/organization/dunning/fee-preview?rule-7-fee=5.00", htmx=True))
    assert "without a decimal point" in typed_as_money
    assert "No fee." in html(as_admin.get("/organization/dunning/fee-preview?new-rule-fee=", htmx=True))


def test_the_rule_editor_asks_for_the_fee_in_minor_units_and_shows_what_it_comes_to(as_admin, make, org):
    make.customer(org, currency="GBP")
    rule = db.session.scalars(sa.select(OverdueRule).where(OverdueRule.type == "dunning")).first()
    body = html(as_admin.get(f"/organization/dunning/{rule.id}/edit", htmx=True))
    soup = BeautifulSoup(body, "html.parser")
    fee = soup.find("input", attrs={"name": f"rule-{rule.id}-fee"})
    assert fee["value"] == "250" and soup.find("label", attrs={"for": fee["id"]}).get_text() == "Fee in minor units"
    assert fee["hx-get"] == "/organization/dunning/fee-preview"
    assert fee_text(body, f"#{fee['id']}-preview") == "Comes to 250 → £2.50"  # the one currency in use
    assert "in the minor unit of the invoice's currency: 500 is €5.00, £5.00 or ¥500" in fee_text(body, f"#{fee['id']}-hint")


def test_create_a_level_3_dunning_with_a_fee_in_minor_units(as_admin, org):
    email_id, document_id = templates_of(org)
    form = as_admin.open_form("/organization/dunning/new")
    response = as_admin.submit(form, {
        "new-rule-type": "dunning", "new-rule-days_overdue": "10", "new-rule-due_in_days": "14", "new-rule-fee": "500",
        "new-rule-email_template": str(email_id), "new-rule-document_template": str(document_id)})
    assert response.status_code == 200 and "Level 3" in html(response)
    assert "Level 3 dunning added." in html(response)
    rule = db.session.scalar(sa.select(OverdueRule).where(OverdueRule.level == 3))
    assert rule.amount_in_cents == 500 and rule.due_in_days == 14 and rule.send_letter is False
    assert fee_text(html(response), "#ladder .rule:nth-of-type(3) .fee-amounts") == "500 → €5.00"


def test_rule_errors_show_at_the_field_with_the_input_kept(as_admin, org):
    response = as_admin.post("/organization/dunning", {
        "new-rule-type": "dunning", "new-rule-days_overdue": "0", "new-rule-due_in_days": "7", "new-rule-fee": "",
        "new-rule-email_template": "", "new-rule-document_template": ""}, htmx=True)
    assert response.status_code == 422
    body = html(response)
    for message in ("Days overdue must be a whole number above 0.", "A dunning charges a fee",
                    "Email template is required.", "Document template is required."):
        assert message in body
    assert 'value="0"' in body and levels() == [(1, "reminder", 5), (2, "dunning", 7)]


@pytest.mark.parametrize("typed", ["5.00", "5,5", "0.50"])
def test_a_fee_typed_as_money_is_refused_with_what_to_type_instead(as_admin, org, typed):
    email_id, _ = templates_of(org)
    response = as_admin.post("/organization/dunning", {
        "new-rule-type": "reminder", "new-rule-days_overdue": "3", "new-rule-fee": typed,
        "new-rule-email_template": str(email_id)}, htmx=True)
    assert response.status_code == 422 and "Enter the fee in minor units, without a decimal point" in html(response)
    assert f'value="{typed}"' in html(response) and len(levels()) == 2


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
    saved = as_admin.save(f"/customers/{customer.id}/settings/chargeDunningFees/edit", {"value": "false"})
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
    response = as_admin.save(f"/organization/dunning/{rule.id}/edit",
                             {f"rule-{rule.id}-days_overdue": "abc", f"rule-{rule.id}-fee": "5.001"})
    assert response.status_code == 422
    assert "Days overdue must be a whole number above 0." in html(response)
    assert "Enter the fee in minor units, without a decimal point" in html(response)


def test_moving_a_rule_from_an_old_page_shows_the_ladder_as_it_is(as_admin, org):
    first, second = db.session.scalars(sa.select(OverdueRule).order_by(OverdueRule.level)).all()
    as_admin.post(f"/organization/dunning/{second.id}/up", htmx=True)  # someone else reordered
    stale = as_admin.post(f"/organization/dunning/{second.id}/up", htmx=True)  # from a page that showed level 2
    body = html(stale)
    assert stale.status_code == 409 and body.lstrip().startswith('<section class="card" id="ladder"')
    assert "already at the top" in body and levels() == [(1, "dunning", 7), (2, "reminder", 5)]


def timeline_rows(body):
    return [" ".join(li.get_text(" ", strip=True).split())
            for li in BeautifulSoup(body, "html.parser").select("#timeline ol.timeline li")]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
@pytest.mark.parametrize("query, field, message", [
    ("invoice_date=2026-03-02&amount=12000.50", "amount", "JPY amounts have no decimals: enter a whole amount."),
    ("invoice_date=2026-02-30&amount=12000", "invoice_date", "A date as YYYY-MM-DD."),
    ("invoice_date=3026-01-01&amount=12000", "invoice_date", "A date from 1900 to 2999."),
    ("invoice_date=2026-03-02&amount=1e5", "amount", "Enter an amount, e.g. 5.00."),
])
def test_an_invalid_amount_or_date_shows_the_error_at_its_field_and_no_timeline(as_admin, make, org, htmx, query,
                                                                                 field, message):
    customer = make.customer(org, currency="JPY")
    response = as_admin.get(f"/customers/{customer.id}/dunning-timeline?{query}", htmx=htmx,
                            **({"HX-Target": "timeline"} if htmx else {}))
    assert response.status_code == 422
    body = html(response)
    soup = BeautifulSoup(body, "html.parser")
    control = soup.select_one(f"#tl-{field}")
    assert control["aria-invalid"] == "true" and soup.select_one(f"#{control['aria-describedby']}").get_text() == message
    typed = dict(part.split("=") for part in query.split("&"))
    assert soup.select_one("#tl-amount")["value"] == typed["amount"]  # what was typed stays
    assert timeline_rows(body) == [] and "Invoice over" not in body and "Total fees" not in body


def test_a_valid_jpy_amount_shows_the_timeline_in_yen_with_the_fee_in_its_minor_unit(as_admin, make, org):
    customer = make.customer(org, currency="JPY")
    euro = make.customer(org, currency="EUR")
    dunning_rule = db.session.scalars(sa.select(OverdueRule).where(OverdueRule.type == "dunning")).first()
    dunning_rule.amount_in_cents = 500
    db.session.commit()
    query = "invoice_date=2026-03-02&amount=12000"
    rows = timeline_rows(html(as_admin.get(f"/customers/{customer.id}/dunning-timeline?{query}", htmx=True,
                                           **{"HX-Target": "timeline"})))
    assert rows[0] == "2026-03-02 Invoice over ¥12,000"
    assert rows[-1].endswith("fee ¥500")  # 500 in the yen's minor unit is ¥500, not ¥5
    euro_rows = timeline_rows(html(as_admin.get(f"/customers/{euro.id}/dunning-timeline?{query}", htmx=True,
                                                **{"HX-Target": "timeline"})))
    assert euro_rows[-1].endswith("fee €5.00")
