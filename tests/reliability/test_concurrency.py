"""Concurrent saves against a real multi-worker gunicorn server on the test database.

SPEC: 20 threads × 5 saves each on one customer's aliases, two different settings rows, an address and a
contact — 0 lost updates (the final state holds exactly the successful saves), 0 responses ≥ 500, every save
either applied or answered 409/412/422. Two unique-key races: one alias saved into two customers at once, and
one debtor ident created twenty times at once through the JSON API.
"""
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer
from tests.conftest import TEST_PASSWORD
from tests.reliability.conftest import organization_with_token
from tests.reliability.formclient import (
    PortalClient,
    SignInFailed,
    classes,
    element_texts,
    has_element,
    page_text,
)

pytestmark = pytest.mark.concurrency

THREADS = 20
ROUNDS = 5
RUN_SECONDS = 45  # every thread stops starting saves after this
JOIN_SECONDS = 90  # a thread still running then is a failure
REFUSED = {409, 412, 422}
ALLOWED = {200} | REFUSED
SEED_ALIAS = "seed-alias"
INITIAL = {"standingPoNumber": "po-initial", "customerGracePeriod": "7", "line2": "line2-initial",
           "phone": "+49 000"}


def norm(value):
    """Compare form text and stored/audited values alike: None is an empty field, 7 is "7"."""
    return "" if value is None else str(value).strip()


def alias_lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Kind:
    """One kind of save: which form, which control, and the new value a thread and round put in it."""

    name: str
    path: str  # the edit URL, formatted with c (customer), a (address), k (contact)
    control: str

    def new_value(self, shown, thread, round_):
        if self.name == "aliases":  # keep the lines the form showed, add one; a browser sends CRLF
            return "\r\n".join(alias_lines(shown) + [f"t{thread}-{round_}"])
        return {"standingPoNumber": f"po-{thread}-{round_}",
                "customerGracePeriod": str(100 + thread * ROUNDS + round_),
                "line2": f"line2-{thread}-{round_}",
                "phone": f"+49 {thread} {round_}"}[self.name]


KINDS = [
    Kind("aliases", "/customers/{c}/sections/technical/edit", "aliases"),
    Kind("standingPoNumber", "/customers/{c}/settings/standingPoNumber/edit", "standingPoNumber"),
    Kind("customerGracePeriod", "/customers/{c}/settings/customerGracePeriod/edit", "customerGracePeriod"),
    Kind("line2", "/customers/{c}/addresses/{a}/edit", "line2"),
    Kind("phone", "/customers/{c}/contacts/{k}/edit", "phone"),
]


@dataclass
class Save:
    thread: int
    round: int
    kind: str
    edit_status: int | None = None
    shown: str | None = None  # the changed control's value as the form showed it
    posted: str | None = None
    status: int | None = None
    body: str = ""  # kept for anything but 200
    error: str | None = None


# --- helpers ---------------------------------------------------------------------------------------------

def run_threads(count, target):
    """Run target(i) in `count` threads; return the tracebacks of those that raised, and those still alive."""
    failures = []

    def guarded(index):
        try:
            target(index)
        except Exception:  # noqa: BLE001  (reported by the test)
            failures.append(f"thread {index}: {traceback.format_exc(limit=4)}")

    threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return failures, [i for i, thread in enumerate(threads) if thread.is_alive()]


# Sign-ins are not what these tests measure: at most two at a time, so that twenty threads starting at once do
# not turn into a sign-in storm (on SQLite, POST /login holds the write lock while it checks the password hash).
SIGN_INS = threading.BoundedSemaphore(2)


def sign_in(base_url, email, thread, failures):
    """A client signed in on its own session, or None (the failure is recorded: a sign-in must not fail)."""
    try:
        with SIGN_INS:
            return PortalClient(base_url).login(email, TEST_PASSWORD)
    except (SignInFailed, requests.RequestException) as error:
        failures.append(f"thread {thread}: {type(error).__name__}: {error}")
        return None


def thread_problems(failures, alive, sign_in_failures=()):
    return ([f"thread failed: {f}" for f in failures] + [f"thread {i} still running" for i in alive]
            + [f"sign-in failed: {f}" for f in sign_in_failures])


def shows_conflict(body):
    """The 409 view: the conflict table (Now saved | Your input) or its notice."""
    return (has_element(body, lambda tag, a: tag == "table" and "conflict-table" in classes(a))
            or "Now saved" in page_text(body) or "Someone else saved" in page_text(body))


def field_errors(body):
    """Texts of field and form error messages (not of the inputs, which hold the user's text)."""
    return element_texts(body, lambda tag, a: tag not in ("input", "textarea", "select")
                         and ("error" in classes(a) or a.get("id", "").endswith("-error")))


def status_counts(saves):
    return dict(sorted(Counter(s.status for s in saves).items(), key=lambda item: str(item[0])))


def check_statuses(saves, problems, label):
    """Assertion 1: nothing ≥ 500, only 200/409/412/422, and a 409 shows the conflict view."""
    for save in saves:
        where = f"{label} thread {save.thread} round {save.round} {save.kind}"
        if save.error:
            problems.append(f"{where}: {save.error}")
        elif save.edit_status != 200:
            problems.append(f"{where}: the edit form answered {save.edit_status}")
        elif save.status not in ALLOWED:
            problems.append(f"{where}: the save answered {save.status}: {page_text(save.body)[:300]}")
        elif save.status == 409 and not shows_conflict(save.body):
            problems.append(f"{where}: 409 without the conflict view: {page_text(save.body)[:300]}")


def fresh_session():
    """Forget the test's session, so that what follows reads what the server committed."""
    db.session.remove()
    return db.session


# --- 20 threads × 5 saves on one customer ------------------------------------------------------------------

def test_concurrent_inline_saves_lose_no_update(make, portal_server):
    from portal.services import addresses as address_service
    from portal.services import contacts as contact_service
    from portal.services import settings_store

    org = make.org("acme")
    manager = make.user(org, "manager")
    customer = make.customer(org, name="Race GmbH", aliases=[SEED_ALIAS],
                             invoiceAddress={"line1": "Gartenweg 5", "city": "Berlin", "postalCode": "10115"})
    address, contact = customer.addresses[0], customer.contacts[0]
    address_service.update_address(address, {"line2": INITIAL["line2"]})
    contact_service.update_contact(contact, {"phone": INITIAL["phone"]})
    settings_store.update_customer_settings(customer, {"standingPoNumber": INITIAL["standingPoNumber"],
                                                       "customerGracePeriod": int(INITIAL["customerGracePeriod"])})
    db.session.commit()
    ids = {"c": customer.id, "a": address.id, "k": contact.id}
    email = manager.email
    baseline = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    fresh_session()

    server = portal_server()
    saves, lock, sign_in_failures = [], threading.Lock(), []
    start = threading.Barrier(THREADS, timeout=60)
    stop_at, signed_in = [], []

    def worker(thread):
        client = sign_in(server.url, email, thread, sign_in_failures)
        if start.wait() == 0:
            signed_in.append(time.monotonic() - began)
        if client is None:
            return
        if not stop_at:
            stop_at.append(time.monotonic() + RUN_SECONDS)
        for round_ in range(ROUNDS):
            kind = KINDS[(thread + round_) % len(KINDS)]
            save = Save(thread, round_, kind.name)
            with lock:
                saves.append(save)
            if time.monotonic() > stop_at[0]:
                save.error = f"not started: the run exceeded {RUN_SECONDS} s"
                continue
            try:
                response, form = client.edit_form(kind.path.format(**ids), kind.control)
                save.edit_status = response.status_code
                if form is None:
                    save.body = response.text
                    continue
                save.shown = form.value(kind.control)
                save.posted = kind.new_value(save.shown, thread, round_)
                form.set(kind.control, save.posted)
                reply = client.submit(response, form)
                save.status = reply.status_code
                save.body = "" if reply.status_code == 200 else reply.text
            except (requests.RequestException, AssertionError) as error:
                save.error = f"{type(error).__name__}: {error}"

    began = time.monotonic()
    failures, alive = run_threads(THREADS, worker)
    elapsed = time.monotonic() - began

    by_kind = {kind.name: [s for s in saves if s.kind == kind.name] for kind in KINDS}
    signed_in_after = signed_in[0] if signed_in else float("nan")
    print(f"\n[concurrency] server up in {server.startup_seconds:.1f} s; signed in by {signed_in_after:.1f} s; "
          f"{len(saves)} inline saves done by {elapsed:.1f} s, statuses {status_counts(saves)}; "
          + "; ".join(f"{name} {status_counts(group)}" for name, group in by_kind.items())
          + f"; failed sign-ins {len(sign_in_failures)}")

    problems = thread_problems(failures, alive, sign_in_failures)
    expected_saves = (THREADS - len(sign_in_failures)) * ROUNDS
    if len(saves) != expected_saves:
        problems.append(f"{len(saves)} saves recorded, expected {expected_saves}")
    check_statuses(saves, problems, "inline")  # 1.

    session = fresh_session()
    stored = session.get(Customer, ids["c"])
    final = {"standingPoNumber": settings_store.customer_layer(stored).get("standingPoNumber"),
             "customerGracePeriod": settings_store.customer_layer(stored).get("customerGracePeriod"),
             "line2": next(a for a in stored.addresses if a.id == ids["a"]).line2,
             "phone": next(k for k in stored.contacts if k.id == ids["k"]).phone}

    # 2. aliases: exactly the seed plus every alias whose save answered 200
    saved_aliases = {f"t{s.thread}-{s.round}" for s in by_kind["aliases"] if s.status == 200}
    final_aliases = set(stored.alias_values)
    expected_aliases = {SEED_ALIAS} | saved_aliases
    lost, extra = expected_aliases - final_aliases, final_aliases - expected_aliases
    if lost or extra:
        problems.append(f"aliases: {len(saved_aliases)} saves answered 200; lost {sorted(lost)}, "
                        f"present without a 200 {sorted(extra)}")

    # 3. scalar fields: the audit trail is one chain and holds exactly the 200 saves, each on what it read
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.customer_id == ids["c"],
                                                         AuditEvent.id > baseline).order_by(AuditEvent.id)).all()
    touching = {
        "standingPoNumber": lambda e: e.entity == "settings",
        "customerGracePeriod": lambda e: e.entity == "settings",
        "line2": lambda e: e.entity == "address" and str(e.entity_id) == str(ids["a"]),
        "phone": lambda e: e.entity == "contact" and str(e.entity_id) == str(ids["k"]),
    }
    chain_summary = []
    for name, belongs in touching.items():
        chain = [(norm(e.changes[name][0]), norm(e.changes[name][1])) for e in events
                 if belongs(e) and name in (e.changes or {})]
        ok = [s for s in by_kind[name] if s.status == 200]
        changed = [s for s in ok if norm(s.posted) != norm(s.shown)]
        chain_summary.append(f"{name} {len(chain)} events/{len(ok)} saves")
        previous = INITIAL[name]
        for index, (old, new) in enumerate(chain):
            if old != previous:
                problems.append(f"{name}: event {index} changed {old!r}→{new!r} but the value was {previous!r} "
                                f"(an update was lost or applied on a stale read)")
            previous = new
        if norm(final[name]) != previous:
            problems.append(f"{name}: stored {final[name]!r}, the last audited value is {previous!r}")
        if len(chain) != len(changed):
            problems.append(f"{name}: {len(chain)} audit events for {len(changed)} saves that answered 200")
        for save in ok:
            if (norm(save.shown), norm(save.posted)) not in chain:
                hits = [pair for pair in chain if pair[1] == norm(save.posted)]
                problems.append(f"{name}: thread {save.thread} round {save.round} answered 200 for "
                                f"{save.shown!r}→{save.posted!r}, audited as {hits or 'nothing'}")
    print("[concurrency] audit chains: " + "; ".join(chain_summary)
          + f"; aliases {len(final_aliases - {SEED_ALIAS})} stored/{len(saved_aliases)} saves")

    # 4. every kind of save can succeed at all
    for name, group in by_kind.items():
        if not any(s.status == 200 for s in group):
            problems.append(f"{name}: no save answered 200")

    if sign_in_failures or any(s.status and s.status >= 500 for s in saves):
        problems.append("server log:\n" + server.log_tail())
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


# --- unique keys under a race -------------------------------------------------------------------------------

def test_one_alias_saved_into_two_customers_at_once(make, portal_server):
    org = make.org("acme")
    manager = make.user(org, "manager")
    customers = [make.customer(org, name="Left GmbH"), make.customer(org, name="Right GmbH")]
    customer_ids, email = [c.id for c in customers], manager.email
    fresh_session()

    server = portal_server()
    per_customer = THREADS // 2
    saves, lock, sign_in_failures = [], threading.Lock(), []
    go = threading.Barrier(THREADS, timeout=60)

    def worker(thread):
        customer_id = customer_ids[thread // per_customer]
        save = Save(thread, 0, f"customer {customer_id}")
        client, form = sign_in(server.url, email, thread, sign_in_failures), None
        if client is not None:
            with lock:
                saves.append(save)
            try:
                response, form = client.edit_form(f"/customers/{customer_id}/sections/technical/edit", "aliases")
                save.edit_status = response.status_code
                if form is not None:
                    save.shown = form.value("aliases")
                    # each thread's save is its own (a unique alias besides the shared one): a server may answer
                    # 200 to a stale save whose content is already stored, but never to two different ones
                    save.posted = "\r\n".join(alias_lines(save.shown) + [f"own-{thread}", "shared-alias"])
                    form.set("aliases", save.posted)
            except (requests.RequestException, AssertionError) as error:
                save.error, form = f"{type(error).__name__}: {error}", None
        go.wait()
        if form is None:
            return
        try:
            reply = client.submit(response, form)
            save.status = reply.status_code
            save.body = "" if reply.status_code == 200 else reply.text
        except requests.RequestException as error:
            save.error = f"{type(error).__name__}: {error}"

    failures, alive = run_threads(THREADS, worker)
    print(f"\n[concurrency] shared alias into 2 customers × {per_customer} threads: statuses {status_counts(saves)}; "
          + "; ".join(f"customer {i} {status_counts([s for s in saves if s.kind == f'customer {i}'])}"
                      for i in customer_ids) + f"; failed sign-ins {len(sign_in_failures)}")

    problems = thread_problems(failures, alive, sign_in_failures)
    check_statuses(saves, problems, "alias race")
    for save in saves:
        if save.status in ALLOWED and save.status not in (200, 409, 422):
            problems.append(f"thread {save.thread}: answered {save.status}, expected 200, 409 or 422")
    winners = [s for s in saves if s.status == 200]
    if len(winners) != 1:
        problems.append(f"{len(winners)} saves answered 200, expected exactly 1")
    for save in saves:
        if save.status == 422 and not any("shared-alias" in text for text in field_errors(save.body)):
            problems.append(f"thread {save.thread}: 422 without a field error naming the alias: "
                            f"{field_errors(save.body) or page_text(save.body)[:300]}")
    holders = fresh_session().scalars(sa.select(Customer).where(Customer.id.in_(customer_ids))).all()
    holding = [c.id for c in holders if "shared-alias" in c.alias_values]
    if len(holding) != 1 or (len(winners) == 1 and f"customer {holding[0]}" != winners[0].kind):
        problems.append(f"customers holding the alias: {holding}; the 200 went to "
                        f"{[w.kind for w in winners]}")
    stored_own = {alias for c in holders for alias in c.alias_values if alias.startswith("own-")}
    if stored_own != {f"own-{w.thread}" for w in winners}:
        problems.append(f"stored per-thread aliases {sorted(stored_own)}, but the 200s were threads "
                        f"{[w.thread for w in winners]}")
    if sign_in_failures or any(s.status and s.status >= 500 for s in saves):
        problems.append("server log:\n" + server.log_tail())
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_one_debtor_ident_created_twenty_times_at_once(make, portal_server):
    organization_id, secret = organization_with_token(make, "race")

    server = portal_server()
    body = {"name": "Race", "customerType": "B2B", "language": "de", "country": "DE", "currency": "EUR",
            "debtorIdent": "RACE-1", "primaryContact": {"firstName": "A", "lastName": "B", "email": "a@example.com"}}
    replies, lock = [], threading.Lock()
    go = threading.Barrier(THREADS, timeout=60)

    def worker(thread):
        http = requests.Session()
        go.wait()
        try:
            reply = http.post(server.url + "/api/v1/customers", json=body, timeout=(5, 30),
                              headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"})
            outcome = (thread, reply.status_code, reply.headers.get("Content-Type", ""), reply.text)
        except requests.RequestException as error:
            outcome = (thread, None, "", f"{type(error).__name__}: {error}")
        with lock:
            replies.append(outcome)

    failures, alive = run_threads(THREADS, worker)
    statuses = Counter(status for _t, status, _type, _text in replies)
    print(f"\n[concurrency] {THREADS} API creates of one debtorIdent: statuses "
          f"{dict(sorted(statuses.items(), key=lambda item: str(item[0])))}")

    problems = thread_problems(failures, alive)
    if len(replies) != THREADS:
        problems.append(f"{len(replies)} replies, expected {THREADS}")
    if statuses[201] != 1:
        problems.append(f"{statuses[201]} creates answered 201, expected exactly 1")
    for thread, status, content_type, text in replies:
        if status == 422:
            if not content_type.startswith("application/problem+json") or "debtorIdent" not in text:
                problems.append(f"thread {thread}: 422 is not problem+json naming debtorIdent: "
                                f"{content_type} {text[:300]}")
        elif status not in (201, 409):
            problems.append(f"thread {thread}: answered {status}: {page_text(text)[:300]}")
    stored = fresh_session().scalar(sa.select(sa.func.count()).select_from(Customer).where(
        Customer.organization_id == organization_id, Customer.debtor_ident == "RACE-1"))
    if stored != 1:
        problems.append(f"{stored} customers stored with debtorIdent RACE-1")
    if any(status is None or status >= 500 for _t, status, _type, _text in replies):
        problems.append("server log:\n" + server.log_tail())
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
