"""kill -9 the server while customers are being created: no partial record, and a clean restart."""
import json
import os
import signal
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Contact, Customer
from tests.reliability.conftest import GunicornServer, organization_with_token
from tests.reliability.test_concurrency import fresh_session

pytestmark = pytest.mark.concurrency
ROUNDS = 3
THREADS = 6
KILL_AFTER = (0.4, 0.7, 1.0)  # seconds of creating before the kill, per round


def _create_until_killed(url, secret, round_, stop):
    """Create customers one after another until the server dies (bounded in count)."""
    http = requests.Session()
    for n in range(200):
        if stop.is_set():
            return
        body = {"name": f"Crash {round_}-{threading.get_ident()}-{n}", "customerType": "B2B", "language": "de",
                "country": "DE", "currency": "EUR", "aliases": [f"crash-{round_}-{threading.get_ident()}-{n}"],
                "invoiceAddress": {"line1": "Weg 1", "city": "Berlin", "postalCode": "10115"},
                "primaryContact": {"firstName": "A", "lastName": "B", "email": f"c{round_}.{n}@example.com"}}
        try:
            http.post(url + "/api/v1/customers", data=json.dumps(body), timeout=(2, 5),
                      headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        except requests.RequestException:
            return  # the server is gone


def test_kill_9_mid_create_leaves_no_partial_record_and_restarts_clean(make, migrated, tmp_path):
    organization_id, secret = organization_with_token(make, "crash")
    for round_ in range(ROUNDS):
        server = GunicornServer(migrated, tmp_path / f"gunicorn-{round_}.log", workers=2).start()
        stop = threading.Event()
        threads = [threading.Thread(target=_create_until_killed, args=(server.url, secret, round_, stop))
                   for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        time.sleep(KILL_AFTER[round_ % len(KILL_AFTER)])
        _kill_tree(server.process.pid)
        stop.set()
        for thread in threads:
            thread.join(15)
        server.process.wait(10)
        server.stop()
    fresh_session()
    customers = db.session.scalars(sa.select(Customer).where(Customer.organization_id == organization_id)).all()
    assert customers, "no customer was created before the kills: the test proved nothing"
    for customer in customers:
        assert customer.primary_contact is not None, customer.name
        assert any(a.is_main for a in customer.addresses), customer.name
        assert customer.aliases, customer.name
    created_events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.entity == "customer", AuditEvent.action == "create", AuditEvent.organization_id == organization_id))
    assert created_events == len(customers)  # every write and its audit event in one transaction
    orphans = db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(
        ~Contact.customer_id.in_(sa.select(Customer.id))))
    assert orphans == 0
    # and it starts clean on the same database, and serves
    restarted = GunicornServer(migrated, tmp_path / "gunicorn-after.log", workers=2).start()
    try:
        listing = requests.get(restarted.url + "/api/v1/customers?limit=5", timeout=10,
                               headers={"Authorization": f"Bearer {secret}"})
        assert listing.status_code == 200 and listing.json()["data"]
    finally:
        restarted.stop()


def _kill_tree(pid):
    """SIGKILL the gunicorn master and its workers (no graceful shutdown for anyone)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        children.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    for target in [pid, *children]:
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass
