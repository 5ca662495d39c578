"""Slow or stalled clients cannot starve the server that gunicorn.conf.py describes (and do starve sync workers).

Ten raw sockets each send a POST's headers (Content-Length: 1000) and then trickle a byte now and then, or
nothing; while they are held open, a normal GET /login must answer 200 within 2 s. The same test against
`--worker-class sync --workers 2` shows that it can fail: there the GET gets no answer within 2 s.
"""
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.reliability.conftest import CONFIG_FILE, GunicornServer

pytestmark = pytest.mark.concurrency

SLOW_CLIENTS = 10
BOUND = 2.0  # seconds a normal GET may take while they hang on
SETTLE = 0.5  # seconds for the workers to take the slow connections before the GET
TRICKLE_EVERY = 0.5
TRICKLE_FOR = 10.0  # the trickling stops after this, whatever happens


def open_slow_clients(url):
    """Sockets that sent a POST's headers and a few bytes of its 1000-byte body."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    clients = []
    for _ in range(SLOW_CLIENTS):
        client = socket.create_connection((host, port), timeout=5)
        clients.append(client)
        client.sendall(f"POST /login HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: "
                       "application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=".encode())
    return clients


def trickle(clients, stop):
    """Every other client sends one more byte now and then; the rest send nothing more (stalled)."""
    deadline = time.monotonic() + TRICKLE_FOR
    while not stop.wait(TRICKLE_EVERY) and time.monotonic() < deadline:
        for client in clients[::2]:
            try:
                client.sendall(b"a")
            except OSError:
                pass


@pytest.mark.parametrize("serving", ["gunicorn.conf.py", "sync workers"])
def test_a_normal_page_answers_while_slow_clients_hang_on(migrated, tmp_path, serving):
    if serving == "gunicorn.conf.py":
        server = GunicornServer(migrated, tmp_path / "gunicorn.log", workers=2, config_file=CONFIG_FILE)
    else:  # the negative case: the same file with sync workers (one thread each, else gunicorn picks gthread)
        server = GunicornServer(migrated, tmp_path / "gunicorn.log", workers=2, config_file=CONFIG_FILE,
                                worker_class="sync", threads=1)
    clients, stop = [], threading.Event()
    trickler = None
    try:
        server.start()
        clients = open_slow_clients(server.url)
        trickler = threading.Thread(target=trickle, args=(clients, stop), daemon=True)
        trickler.start()
        time.sleep(SETTLE)
        began = time.monotonic()
        try:
            status = requests.get(server.url + "/login", timeout=BOUND).status_code
        except requests.Timeout:
            status = None
        took = time.monotonic() - began
        print(f"\n{serving}: GET /login with {SLOW_CLIENTS} slow clients: {status} after {took:.2f} s")
        log = server.log_tail(400)
    finally:
        stop.set()
        if trickler is not None:
            trickler.join(5)
        for client in clients:
            client.close()
        server.stop()
    if serving == "gunicorn.conf.py":
        assert "Using worker: gthread" in log
        assert status == 200 and took < BOUND
    else:
        assert "Using worker: sync" in log
        assert status is None, f"sync workers answered in {took:.2f} s: the test would prove nothing"
