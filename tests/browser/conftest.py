"""Browser tests: a live server, Debian's Chromium, and htmx fetched from npm and served for the CDN URL."""
import base64
import hashlib
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.config import HTMX_INTEGRITY, HTMX_URL, HTMX_VERSION

CACHE = Path(__file__).resolve().parent.parent / ".cache"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def htmx_js():
    """htmx.min.js of the pinned version, from the npm registry, checked against the page's integrity hash."""
    CACHE.mkdir(exist_ok=True)
    target = CACHE / f"htmx-{HTMX_VERSION}.min.js"
    if not target.exists():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", f"htmx.org@{HTMX_VERSION}", "--silent"], cwd=tmp, check=True,
                           capture_output=True)
            archive = next(Path(tmp).glob("htmx.org-*.tgz"))
            with tarfile.open(archive) as tar:
                target.write_bytes(tar.extractfile("package/dist/htmx.min.js").read())
    body = target.read_bytes()
    digest = "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()
    assert digest == HTMX_INTEGRITY, "htmx from npm does not match the pinned integrity hash"
    return body


@pytest.fixture(scope="session")
def live_server(migrated):
    """The portal served over real HTTP on a random loopback port, on the test database."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=migrated)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server, "viewport": {"width": 1360, "height": 900}}


@pytest.fixture(autouse=True)
def offline_htmx(context, htmx_js):
    """Fulfil the CDN URL with the npm copy; Chromium still checks it against the integrity hash."""
    context.route(HTMX_URL, lambda route: route.fulfill(
        body=htmx_js, headers={"content-type": "application/javascript", "access-control-allow-origin": "*"}))
    context.set_default_timeout(10_000)


def wait_for_htmx(page):
    """htmx is a deferred script: loaded by the load event. (wait_for_function would poll with eval,
    which the page's CSP forbids.)"""
    page.wait_for_load_state("load")
    assert page.evaluate("window.htmx !== undefined"), "htmx did not load (integrity or route failure?)"


@pytest.fixture
def sign_in(page, app):
    """Sign in through the login page and wait until htmx is loaded."""

    def sign_in(user, path="/customers"):
        return sign_in_on(page, user, path)

    return sign_in


def sign_in_on(page, user, path):
    """Sign `user` in on `page` (any browser context) and wait for htmx on the page at `path`."""
    from tests.conftest import TEST_PASSWORD

    page.goto(f"/login?next={path}")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}*")
    wait_for_htmx(page)
    return page


def settled(page):
    """Wait until htmx has finished settling its last swap: it focuses [autofocus] then, and keystrokes typed into
    another field before that land in the focused one."""
    from playwright.sync_api import expect

    expect(page.locator(".htmx-settling, .htmx-swapping")).to_have_count(0)
