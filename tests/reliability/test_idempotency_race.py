"""One Idempotency-Key sent by 20 threads at once to a multi-worker gunicorn: one create, the rest replay or wait."""
import json
import threading
from collections import Counter

import requests
import sqlalchemy as sa

from portal.models import Customer
from tests.reliability.conftest import organization_with_token
from tests.reliability.test_concurrency import (
    fresh_session,
    run_threads,
    thread_problems,
)

THREADS = 20
ROUNDS = 5


def test_one_idempotency_key_sent_twenty_times_at_once(make, portal_server):
    organization_id, secret = organization_with_token(make, "race")
    server = portal_server()
    totals, problems = Counter(), []

    for round_ in range(ROUNDS):
        body = {"name": f"Race {round_}", "customerType": "B2B", "language": "de", "country": "DE", "currency": "EUR",
                "primaryContact": {"firstName": "A", "lastName": "B", "email": f"a{round_}@example.com"}}
        replies, lock = [], threading.Lock()
        go = threading.Barrier(THREADS, timeout=60)

        def worker(thread, body=body, replies=replies, lock=lock, go=go, round_=round_):
            http = requests.Session()
            go.wait()
            try:
                reply = http.post(server.url + "/api/v1/customers", data=json.dumps(body), timeout=(5, 30),
                                  headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json",
                                           "Idempotency-Key": f"race-{round_}"})
                outcome = (reply.status_code, dict(reply.headers), reply.text)
            except requests.RequestException as error:
                outcome = (None, {}, f"{type(error).__name__}: {error}")
            with lock:
                replies.append(outcome)

        failures, alive = run_threads(THREADS, worker)
        problems += thread_problems(failures, alive)
        created = [r for r in replies if r[0] == 201 and "Idempotent-Replayed" not in r[1]]
        replayed = [r for r in replies if r[0] == 201 and "Idempotent-Replayed" in r[1]]
        waiting = [r for r in replies if r[0] == 409]
        totals.update(created=len(created), replayed=len(replayed), in_flight=len(waiting),
                      other=len(replies) - len(created) - len(replayed) - len(waiting))
        if len(created) != 1:
            problems.append(f"round {round_}: {len(created)} first 201s, expected 1")
        for status, headers, text in replayed:
            if created and json.loads(text) != json.loads(created[0][2]):
                problems.append(f"round {round_}: a replay differs from the first response")
        for status, headers, text in waiting:
            if "Retry-After" not in headers or "still in flight" not in text:
                problems.append(f"round {round_}: 409 without Retry-After/'still in flight': {text[:200]}")
        for status, headers, text in replies:
            if status not in (201, 409):
                problems.append(f"round {round_}: answered {status}: {text[:300]}")
        stored = fresh_session().scalar(sa.select(sa.func.count()).select_from(Customer).where(
            Customer.organization_id == organization_id, Customer.name == f"Race {round_}"))
        if stored != 1:
            problems.append(f"round {round_}: {stored} customers stored")

    print(f"\n[idempotency] {THREADS} threads x {ROUNDS} rounds, one key per round: {dict(totals)}")
    if problems:
        problems.append("server log:\n" + server.log_tail())
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
