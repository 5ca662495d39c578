"""Large CSV imports on a real multi-worker gunicorn: 50,000 rows preview and apply in a runner process with
progress any worker reports, while the overview answers; a runner killed mid-apply leaves nothing applied, and one
killed mid-preview goes on from its last chunk when the job is next looked at."""
import os
import signal
import time

import pytest
import requests
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer, CustomerImport, CustomerImportRow
from tests.conftest import TEST_PASSWORD
from tests.reliability.conftest import GunicornServer
from tests.reliability.formclient import PortalClient
from tests.reliability.test_concurrency import fresh_session

pytestmark = pytest.mark.concurrency
TIMEOUT = 30
JOB_DEADLINE = 240  # seconds a job may take on two busy cores


def import_file(rows, start=0):
    lines = ["Debtor ID,Name,Country,Billing currency,Primary contact email,Tax rate,Language"]
    lines += [f"BIG-{i:06d},Bulk Customer {i},DE,EUR,bulk{i}@example.com,19.00,German"
              for i in range(start, start + rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def signed_in_manager(make, server, with_token=False):
    from portal.services.tokens import create_token

    org = make.org("acme")
    manager = make.user(org, "manager")
    email, organization_id = manager.email, org.id
    secret = create_token(org.id, "during import")[1] if with_token else None
    db.session.commit()
    fresh_session()
    client = PortalClient(server.url).login(email, TEST_PASSWORD)
    return (organization_id, client, secret) if with_token else (organization_id, client)


def upload(client, data):
    response = client.http.post(client.url("/customers/import"), files={"file": ("big.csv", data, "text/csv")},
                                data={"csrf_token": client.csrf}, allow_redirects=False, timeout=120)
    assert response.status_code == 302, response.text[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def job(job_id):
    fresh_session()
    return db.session.get(CustomerImport, job_id)


def wait_for(job_id, statuses, during=None):
    """Poll the job's progress as the page does until its status is one of `statuses`; `during(job)` runs at each
    poll. Returns the job."""
    deadline = time.monotonic() + JOB_DEADLINE
    while time.monotonic() < deadline:
        current = job(job_id)
        if current.status in statuses:
            return current
        assert current.status not in ("failed", "discarded"), current.message
        if during:
            during(current)
        time.sleep(0.5)
    pytest.fail(f"import {job_id} still {job(job_id).status} after {JOB_DEADLINE} s")


def customers_of(organization_id):
    fresh_session()
    return db.session.scalar(sa.select(sa.func.count(Customer.id)).where(Customer.organization_id == organization_id))


@pytest.fixture
def server(app, migrated, tmp_path):
    server = GunicornServer(migrated, tmp_path / "gunicorn.log", workers=2)
    yield server
    server.stop()


def test_fifty_thousand_rows_import_in_the_background_with_progress(make, server):
    server.start()
    organization_id, client, secret = signed_in_manager(make, server, with_token=True)
    job_id = upload(client, import_file(50_000))
    seen = {"progress": set(), "overview": []}

    def look(current):
        progress = client.get(f"/customers/import/{job_id}/progress")
        assert progress.status_code == 200
        seen["progress"].add(current.processed_rows)
        overview = client.get("/customers", htmx=False)
        seen["overview"].append(overview.status_code)

    ready = wait_for(job_id, ("ready",), look)
    assert (ready.total_rows, ready.creates, ready.errors) == (50_000, 50_000, 0)
    assert len(seen["progress"]) >= 2, seen["progress"]  # it moved while the page polled
    assert seen["overview"] and set(seen["overview"]) == {200}
    page = client.get(f"/customers/import/{job_id}", htmx=False)
    assert "Apply 50,000 valid rows" in page.text
    applying = client.http.post(client.url(f"/customers/import/{job_id}/apply"), data={"csrf_token": client.csrf},
                                allow_redirects=False, timeout=TIMEOUT)
    assert applying.status_code == 302
    assert "Applying…" in client.get(f"/customers/import/{job_id}", htmx=False).text or \
        job(job_id).status == "applied"
    writes = []

    def meanwhile(_job):
        seen["overview"].append(client.get("/customers", htmx=False).status_code)
        if len(writes) < 3:  # a change from elsewhere waits for the apply's lock (SQLite), it does not fail
            writes.append(requests.post(client.url("/api/v1/customers"), timeout=60, json={
                "name": f"Meanwhile {len(writes)}", "customerType": "B2B", "language": "de", "country": "DE",
                "currency": "EUR", "primaryContact": {"email": f"meanwhile{len(writes)}@example.com"}},
                headers={"Authorization": f"Bearer {secret}"}).status_code)

    applied = wait_for(job_id, ("applied",), meanwhile)
    assert set(seen["overview"]) == {200}
    assert writes and set(writes) == {201}, writes
    assert customers_of(organization_id) == 50_000 + len(writes)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.import_id == job_id)) == 50_000
    assert applied.runner_pid and applied.attempts == 1


def _writing(database_url, job_id):
    """Whether the runner is inside the apply's transaction: on SQLite it holds the write lock for longer than a
    prepared chunk takes (tried twice, 0.4 s apart); on PostgreSQL its heartbeat reports rows written."""
    if database_url.startswith("postgresql"):
        return job(job_id).processed_rows > 0
    import sqlite3

    def locked():
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.05, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            connection.close()

    if not locked():
        return False
    time.sleep(0.4)
    return locked()


def _runner_pid(job_id):
    current = job(job_id)
    return current.runner_pid if current.runner_host else None


def test_a_runner_killed_mid_apply_leaves_nothing_and_the_job_starts_again(make, server, migrated):
    server.start()
    organization_id, client = signed_in_manager(make, server)
    job_id = upload(client, import_file(30_000))
    wait_for(job_id, ("ready",))
    client.http.post(client.url(f"/customers/import/{job_id}/apply"), data={"csrf_token": client.csrf},
                     allow_redirects=False, timeout=TIMEOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (job(job_id).status == "applying" and _runner_pid(job_id)
                                               and _writing(migrated, job_id)):
        time.sleep(0.05)
    pid = _runner_pid(job_id)
    assert pid and job(job_id).status == "applying", "the apply finished before the kill: the test proved nothing"
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    assert customers_of(organization_id) == 0  # nothing half-applied
    assert job(job_id).status == "applying"
    # the next look at the job (any worker) sees its runner gone and starts it again
    page = client.get(f"/customers/import/{job_id}", htmx=False)
    assert page.status_code == 200
    applied = wait_for(job_id, ("applied",))
    assert applied.attempts == 2
    assert customers_of(organization_id) == 30_000
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.import_id == job_id)) == 30_000


def test_a_runner_killed_mid_preview_goes_on_from_its_last_chunk(make, server):
    server.start()
    organization_id, client = signed_in_manager(make, server)
    job_id = upload(client, import_file(20_000))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and job(job_id).processed_rows < 2_000:
        time.sleep(0.05)
    pid = _runner_pid(job_id)
    assert pid and job(job_id).status == "previewing", "the preview finished before the kill"
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    stopped_at = job(job_id).processed_rows
    assert 0 < stopped_at < 20_000
    assert client.get(f"/customers/import/{job_id}/progress").status_code == 200  # sees it stopped, starts it
    ready = wait_for(job_id, ("ready",))
    assert (ready.creates, ready.errors, ready.attempts) == (20_000, 0, 2)
    fresh_session()
    rows = db.session.scalar(sa.select(sa.func.count(CustomerImportRow.id)).where(
        CustomerImportRow.import_id == job_id))
    assert rows == 20_000  # no row previewed twice
    assert customers_of(organization_id) == 0
