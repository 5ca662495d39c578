"""Rows stored before the input boundary existed (a lone surrogate in a JSON column) do not break a page."""
import sqlalchemy as sa

from portal.extensions import db


def test_a_stored_lone_surrogate_shows_as_a_replacement_character(site, sign_in):
    customer_id = site.customer.id
    db.session.execute(sa.text("UPDATE customer SET contractor_references = :raw WHERE id = :id"),
                       {"raw": '["ref \\ud800 one"]', "id": customer_id})
    db.session.execute(sa.text("UPDATE audit_event SET changes = :raw WHERE customer_id = :id"),
                       {"raw": '{"name": ["\\udc00", "x"]}', "id": customer_id})
    db.session.commit()
    manager = sign_in("manager")
    for url in (f"/customers/{customer_id}/technical", f"/customers/{customer_id}/activity",
                f"/customers/{customer_id}/sections/technical/edit"):
        assert manager.get(url).status_code == 200, url
    assert "ref \ufffd one" in manager.get(f"/customers/{customer_id}/technical").get_data(as_text=True)
