"""Rate limits across a real 2-worker gunicorn server: shared through a real Redis, and not with the memory store.

Figures (`pytest -s` prints them): 20 or more wrong passwords for one account, spread over both workers, with a
limit of 5 per minute — Redis: 5 answered, the rest 429; memory store: each worker lets its own 5 through.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import TEST_PASSWORD
from tests.reliability.conftest import CONFIG_FILE, GunicornServer
from tests.reliability.formclient import post_form_with

pytestmark = pytest.mark.concurrency

REDIS_PORTS = range(6390, 6400)  # the range this machine sets aside for throwaway Redis servers
ATTEMPTS = 20  # at least; more in batches of PARALLEL until both workers answered some (at most MAX_ATTEMPTS)
MAX_ATTEMPTS = 80
PARALLEL = 10
REQUEST_TIMEOUT = 15


def _free_port():
    for port in REDIS_PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {REDIS_PORTS}")


@pytest.fixture(scope="module")
def redis_url():
    """A throwaway redis-server on loopback (no persistence), stopped at the end; CI must have one."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs it)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="redis-")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
        for _attempt in range(50):  # 5 s at most
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError("redis-server did not answer PING within 5 s")
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def server(migrated, tmp_path):
    """`start(**env)`: the production configuration with 2 workers and the given environment, stopped after."""
    started = []

    def start(**env):
        running = GunicornServer(migrated, tmp_path / f"gunicorn-{len(started)}.log", workers=2,
                                 config_file=CONFIG_FILE, env=env)
        started.append(running)
        return running.start()

    yield start
    for running in started:
        running.stop()


def sign_in(url, email, password):
    """One person's attempt on a fresh connection: open the sign-in page, submit it; the status of the submit."""
    with requests.Session() as browser:
        page = browser.get(url + "/login", timeout=REQUEST_TIMEOUT)
        form = post_form_with(page.text, "email")
        data = dict(form.pairs)
        data.update(email=email, password=password)
        return browser.post(url + "/login", data=data, headers={"Connection": "close"}, allow_redirects=False,
                            timeout=REQUEST_TIMEOUT).status_code


def attempts(server, email_for, password="wrong"):
    """Wrong-password attempts in parallel, each on its own connections, until both workers answered some.

    Linux tends to hand new connections to the worker that waited last, so one worker may take a whole batch.
    Returns the statuses and how many attempts each worker answered.
    """
    statuses = Counter()
    with ThreadPoolExecutor(PARALLEL) as pool:
        while sum(statuses.values()) < MAX_ATTEMPTS:
            sent = sum(statuses.values())
            statuses.update(pool.map(lambda n: sign_in(server.url, email_for(n), password),
                                     range(sent, sent + PARALLEL)))
            workers = posts_per_worker(server, sum(statuses.values()))
            if sum(statuses.values()) >= ATTEMPTS and len(workers) == 2:
                break
    return statuses, workers


def posts_per_worker(server, sent, wait=5.0):
    """How many POST /login each worker answered, from the access log (the last field is the worker's pid).

    A worker writes its access-log line after the response has gone out, so the log may lag the last answers
    by a moment: read it until it accounts for all `sent` attempts (or `wait` seconds passed).
    """
    deadline = time.monotonic() + wait
    while True:
        text = open(server.log_path, errors="replace").read()
        workers = Counter(re.findall(r'"POST /login[^"]*" \d+ .* <(\d+)>$', text, flags=re.MULTILINE))
        if workers.total() >= sent or time.monotonic() > deadline:
            return workers
        time.sleep(0.05)


def test_the_account_limit_holds_across_workers_with_redis(app, make, org, redis_url, server):
    colleague = make.user(org, "viewer")
    running = server(RATELIMIT_STORAGE_URI=redis_url, PORTAL_LOGIN_RATE_LIMIT="5 per minute",
                     PORTAL_LOGIN_ADDRESS_RATE_LIMIT="1000 per minute")
    statuses, workers = attempts(running, lambda n: "Target@acme.test" if n % 2 else "target@ACME.test")
    locked_right_password = sign_in(running.url, "target@acme.test", TEST_PASSWORD)
    colleague_signs_in = sign_in(running.url, colleague.email, TEST_PASSWORD)
    print(f"\nper account, Redis: {dict(statuses)} over workers {dict(workers)}")
    assert len(workers) == 2, f"both workers should have answered some attempts: {workers}"
    assert statuses[422] == 5 and statuses[429] == statuses.total() - 5
    assert locked_right_password == 429
    assert colleague_signs_in == 302  # the same address, another account: not locked out
    assert "RATELIMIT_STORAGE_URI is the in-memory store" not in running.log_tail(400)


def test_the_address_limit_holds_across_workers_with_redis(app, redis_url, server):
    running = server(RATELIMIT_STORAGE_URI=redis_url, PORTAL_LOGIN_RATE_LIMIT="1000 per minute",
                     PORTAL_LOGIN_ADDRESS_RATE_LIMIT="8 per minute")
    statuses, workers = attempts(running, lambda n: f"person{n}@acme.test")
    print(f"\nper address, Redis: {dict(statuses)} over workers {dict(workers)}")
    assert len(workers) == 2, f"both workers should have answered some attempts: {workers}"
    assert statuses[422] == 8 and statuses[429] == statuses.total() - 8


def test_the_memory_store_counts_per_worker_and_says_so_at_start(app, server):
    running = server(RATELIMIT_STORAGE_URI="memory://", PORTAL_LOGIN_RATE_LIMIT="5 per minute",
                     PORTAL_LOGIN_ADDRESS_RATE_LIMIT="1000 per minute")
    statuses, workers = attempts(running, lambda n: "target@acme.test")
    print(f"\nper account, memory store: {dict(statuses)} over workers {dict(workers)}")
    assert "RATELIMIT_STORAGE_URI is the in-memory store, but 2 workers serve" in running.log_tail(400)
    # each worker lets its own 5 through: the limit does not hold
    assert len(workers) == 2, f"both workers should have answered some attempts: {workers}"
    assert statuses[422] == sum(min(count, 5) for count in workers.values()) > 5
