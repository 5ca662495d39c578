"""A real multi-worker gunicorn server on the database the session's fixtures migrated."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 40  # seconds until /login answers
STOP_TIMEOUT = 10  # seconds between terminate and kill


CONFIG_FILE = ROOT / "gunicorn.conf.py"  # the production configuration


class GunicornServer:
    """`gunicorn wsgi:app` with N workers on a loopback socket this process opened (no port race).

    Without `config_file` the server runs on command-line settings alone (sync workers by default); with it, on
    that file, overridden only by what is passed here. `env` adds to (or replaces) the server's environment.
    """

    def __init__(self, database_url, log_path, workers=4, worker_class=None, config_file=None, threads=None,
                 env=None):
        self.database_url = database_url
        self.log_path = log_path
        self.workers = workers
        self.worker_class = worker_class or (None if config_file else "sync")
        self.config_file = config_file
        self.threads = threads
        self.extra_env = env or {}
        self.process = None
        self.url = None

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        port = listener.getsockname()[1]
        env = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": self.database_url,
               "SECRET_KEY": "reliability-test-secret", "PORTAL_INSECURE_COOKIES": "1",
               # the sign-in limit counts per address, and every thread signs in from 127.0.0.1
               "PORTAL_LOGIN_RATE_LIMIT": "10000 per minute", "PORTAL_LOGIN_ADDRESS_RATE_LIMIT": "10000 per minute",
               "PORTAL_API_RATE_LIMIT": "100000 per minute", "PYTHONUNBUFFERED": "1", **self.extra_env}
        env.pop("TEST_DATABASE_URL", None)
        env.pop("GUNICORN_CMD_ARGS", None)
        config_file = self.config_file
        if config_file is None:  # an empty file: gunicorn would otherwise read ./gunicorn.conf.py of its own accord
            config_file = Path(self.log_path).with_name("no-settings.conf.py")
            config_file.write_text("")
        command = [sys.executable, "-m", "gunicorn", "--config", str(config_file),
                   "--workers", str(self.workers), "--bind", f"fd://{listener.fileno()}", "--chdir", str(ROOT),
                   "--graceful-timeout", "2"]
        if self.worker_class:
            command += ["--worker-class", self.worker_class]
        if self.threads:
            command += ["--threads", str(self.threads)]
        if not self.config_file:
            command += ["--timeout", "60", "--access-logfile", "-", "--error-logfile", "-"]
        command.append("wsgi:app")
        self._log = open(self.log_path, "wb")
        try:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, pass_fds=(listener.fileno(),))
        finally:
            listener.close()  # the server holds its own copy
        self.url = f"http://127.0.0.1:{port}"
        began = time.monotonic()
        self._wait_until_ready()
        self.startup_seconds = time.monotonic() - began
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        for _attempt in range(400):  # bounded in count and in time
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                break
            try:
                response = requests.get(self.url + "/login", timeout=5)
                if response.status_code == 200:
                    return
                last = response.status_code
            except requests.RequestException as error:
                last = error
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /login within {START_TIMEOUT} s (last: {last}):\n"
                           f"{self.log_tail()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        if getattr(self, "_log", None):
            self._log.close()

    def log_tail(self, lines=60):
        """The last lines of the server's log, without access-log lines (for failure messages)."""
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""
        kept = [line for line in text.splitlines() if '"GET ' not in line and '"POST ' not in line]
        return "\n".join(kept[-lines:])


@pytest.fixture(scope="module")
def shared_server(migrated, tmp_path_factory):
    """One server for the module, started by the first test that asks (after it seeded), stopped at the end.

    Starting four workers costs seconds on two cores; the server keeps no state between requests that the
    next test's emptied and re-seeded tables would contradict (every thread signs in afresh).
    """
    holder = {}

    def start():
        server = holder.get("server")
        if server is None:
            server = GunicornServer(migrated, tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
            try:
                server.start()
            except BaseException:
                server.stop()
                raise
            holder["server"] = server
        elif server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        return server

    yield start
    if holder:
        holder["server"].stop()


@pytest.fixture
def portal_server(app, shared_server):
    """Seed first, then `server = portal_server()`: the running server (started now if it is not yet)."""
    return shared_server


def organization_with_token(make, token_name):
    """An organization and an API token for it, committed, with the test's session let go (the server writes now);
    returns (organization id, the token's secret)."""
    from portal.extensions import db
    from portal.services.tokens import create_token
    from tests.reliability.test_concurrency import fresh_session

    organization = make.org("acme")
    _token, secret = create_token(organization.id, token_name)
    db.session.commit()
    organization_id = organization.id
    fresh_session()
    return organization_id, secret
