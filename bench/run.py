"""SPEC §11 benchmark: the portal, a bare Flask page (the ceiling) and a peer (Flask-Admin's list view over the same
database), each under gunicorn (2 gthread workers) on loopback, with 1,000 and 100,000 customers per organization.

    make bench                                   SQLite
    BENCH_DATABASE=postgresql make bench         a throwaway PostgreSQL server (as .ci/run starts one)
    DATABASE_URL=postgresql+psycopg://… make bench   a PostgreSQL server of yours (databases bench_<size> are made)
    BENCH_SIZES=1000,1000000 make bench          other sizes;  BENCH_REQUESTS=60  timed requests per page
    BENCH_DIR=/some/dir make bench               keep the seeded SQLite databases there and reuse them

Prints the tables and writes bench/results-<database>.json."""
import html
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.request import HTTPCookieProcessor, Request, build_opener

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "60"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(",")]
PEER_VENV = ROOT / ".venv-peer"
PEER_PACKAGES = ["flask-admin>=2.2", "flask-sqlalchemy>=3.1", "gunicorn>=23", "psycopg[binary]>=3.2"]
# The rows of the table: what SPEC §11 bars (with the peer where it has the same page) and what it reports.
BARRED = ["overview", "search", "filtered_deep_page", "deep_page_by_name", "detail", "inline_save", "api_settings",
          "group_filter", "group_filter_deep_page", "group_settings"]
PEER_PAGES = {"overview": "/admin/customer/", "search": "/admin/customer/?search=nord",
              "deep_page_by_name": "/admin/customer/?sort=0&page={deep}"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app, env, python_bin=BIN, cwd=ROOT):
    """gunicorn with the production configuration (gthread), two workers, no access log; yields (base URL, pid)."""
    port = free_port()
    process = subprocess.Popen([str(python_bin / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-w", "2",
                                "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "/dev/null",
                                app], cwd=cwd, env={**os.environ, **env})
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{app} did not start")
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait()


def workers_peak_rss_mb(master_pid):
    """The largest peak resident set (VmHWM) among a gunicorn master's workers, in MB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return round(max(peaks), 1)


def timed(call, n=REQUESTS):
    """Median and p95 in milliseconds over n calls after two warm-up calls, and the response's bytes."""
    body = call()
    call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(0.95 * (n - 1))], 2),
            "bytes": len(body) if isinstance(body, bytes) else None}


def throughput(url, opener, seconds=5, clients=4):
    """Requests per second with `clients` concurrent clients."""
    count, stop = [0], time.perf_counter() + seconds
    lock = threading.Lock()

    def client():
        while time.perf_counter() < stop:
            opener.open(url).read()
            with lock:
                count[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(count[0] / seconds, 1)


def flask(database_url, *args, **kwargs):
    env = {**os.environ, "DATABASE_URL": database_url, "PORTAL_ENV": "development", "FLASK_APP": "portal"}
    return subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, **kwargs).stdout


def peer_python():
    """The peer's environment: made on first use, with Flask-Admin and what it needs."""
    if not (PEER_VENV / "bin" / "gunicorn").exists():
        print("making the peer's environment (.venv-peer: Flask-Admin) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", *PEER_PACKAGES], check=True)
    return PEER_VENV / "bin"


def _postgresql(url, *statements):
    """Run statements outside a transaction (CREATE DATABASE, VACUUM) on the server of a SQLAlchemy URL."""
    import psycopg  # the portal's PostgreSQL driver, needed only here

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


class Databases:
    """Where the seeded databases live: SQLite files, or PostgreSQL (yours, or a throwaway server)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.kind = "postgresql" if os.environ.get("BENCH_DATABASE") == "postgresql" or \
            os.environ.get("DATABASE_URL", "").startswith("postgresql") else "sqlite"
        self.server = None
        self.admin_url = None
        if self.kind == "postgresql":
            self.admin_url = os.environ.get("DATABASE_URL") or self._throwaway_server()

    def _throwaway_server(self):
        pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
        data = Path(tempfile.mkdtemp(prefix="bench-pg-"))  # its own, so that the server's user may enter it
        run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if run_as:
            shutil.chown(data, "postgres", "postgres")
        port = free_port()
        subprocess.run([*run_as, str(pgbin / "initdb"), "-D", str(data / "data"), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        subprocess.run([*run_as, str(pgbin / "pg_ctl"), "-D", str(data / "data"), "-l", str(data / "log"), "-w", "-o",
                        f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c shared_buffers=256MB",
                        "start"], check=True, capture_output=True)
        self.server = (run_as, pgbin, data)
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def url(self, customers):
        """A fresh (or, with BENCH_DIR, a kept) database seeded with this many customers per organization."""
        if self.kind == "sqlite":
            keep = os.environ.get("BENCH_DIR")
            path = Path(keep or self.workdir) / f"bench-{customers}.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)  # BENCH_DIR may name a folder not made yet
            url = f"sqlite:///{path}"
            if keep and path.exists():
                flask(url, "db", "upgrade")
                return url, None
            path.unlink(missing_ok=True)
        else:
            name = f"bench_{customers}"
            _postgresql(self.admin_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
            url = self.admin_url.rsplit("/", 1)[0] + "/" + name
        started = time.perf_counter()
        flask(url, "db", "upgrade")
        flask(url, "seed-demo", "--customers", str(customers))
        if self.kind == "postgresql":
            _postgresql(url, "VACUUM ANALYZE")  # statistics and the visibility map, as a server that has run a while
        return url, round(time.perf_counter() - started, 1)

    def close(self):
        if self.server:
            run_as, pgbin, data = self.server
            subprocess.run([*run_as, str(pgbin / "pg_ctl"), "-D", str(data / "data"), "-m", "fast", "stop"],
                           capture_output=True)
            shutil.rmtree(data, ignore_errors=True)


def signed_in(base, email="manager@acme.example"):
    opener = build_opener(HTTPCookieProcessor(CookieJar()))
    login = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    opener.open(f"{base}/login", urllib.parse.urlencode({
        "email": email, "password": "demo-password", "csrf_token": token}).encode()).read()
    return opener


def deep_page(customers):
    """The page number of "deep in the list": half-way through the active customers sorted by name."""
    return max(1, customers // 100)


def measure_portal(customers, database_url):
    # The production configuration, as deployed; cookies without Secure because the bench speaks plain HTTP.
    env = {"DATABASE_URL": database_url, "PORTAL_ENV": "production", "SECRET_KEY": "bench-" + "x" * 40,
           "PORTAL_INSECURE_COOKIES": "1",
           "PORTAL_LOGIN_RATE_LIMIT": "1000 per minute", "PORTAL_LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute",
           "PORTAL_API_RATE_LIMIT": "10000000 per minute"}
    api_token = flask(database_url, "create-api-token", "--org", "acme", "--name", "bench").strip()
    with serve("wsgi:app", env) as (base, pid):
        opener = signed_in(base)
        overview = opener.open(f"{base}/customers").read().decode()
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', overview).group(1)
        customer_id = re.search(r'href="/customers/(\d+)"', overview).group(1)
        # the demo's customer group ("Enterprise": every tenth customer), from the overview's group filter
        group_id = re.search(r'<option value="(\d+)"[^>]*>Enterprise</option>', overview).group(1)
        admin = signed_in(base, "admin@acme.example")
        deep = deep_page(customers)
        api = {"Authorization": f"Bearer {api_token}"}

        def get(path, headers=None):
            return lambda: opener.open(Request(f"{base}{path}", headers=headers or {})).read()

        def fragment(path, target):
            return get(path, {"HX-Request": "true", "HX-Target": target})

        rates = itertools.cycle(["19.00", "20.00"])  # each save changes the rate

        def inline_save():
            """Open the Tax section's form, change the rate, save: what one inline edit costs."""
            page = opener.open(Request(f"{base}/customers/{customer_id}/sections/tax/edit",
                                       headers={"HX-Request": "true"})).read().decode()
            fields = {name: html.unescape(value) for name, value in
                      re.findall(r'<input[^>]*name="(\w+)" type="(?:hidden|text)" value="([^"]*)"', page)}
            fields.update(read_state=html.unescape(re.search(r'name="read_state" type="hidden" value="([^"]*)"',
                                                             page).group(1)), tax_rate=next(rates))
            response = opener.open(Request(f"{base}/customers/{customer_id}/sections/tax",
                                           urllib.parse.urlencode(fields).encode(),
                                           {"HX-Request": "true", "X-CSRFToken": csrf})).read()
            assert b'aria-invalid="true"' not in response, response[:300]  # saved, not refused
            return response

        results = {
            "overview": timed(get("/customers")),
            "search": timed(fragment("/customers?q=nord", "results")),
            "filtered_deep_page": timed(get(f"/customers?country=DE&page={max(1, deep // 5)}")),
            "deep_page_by_name": timed(get(f"/customers?sort=name&page={deep}")),
            "next_page_from_deep": timed(get(_next_link(opener, base, f"/customers?sort=name&page={deep}"))),
            "group_filter": timed(fragment(f"/customers?group={group_id}", "results")),
            "group_filter_deep_page": timed(get(f"/customers?group={group_id}&page={max(1, deep // 10)}")),
            "group_settings": timed(lambda: admin.open(f"{base}/organization/groups/{group_id}/settings").read()),
            "organization_settings": timed(lambda: admin.open(f"{base}/organization/settings").read()),
            "detail": timed(get(f"/customers/{customer_id}")),
            "inline_save": timed(inline_save, max(10, REQUESTS // 3)),
            "api_settings": timed(get(f"/api/v1/customers/{customer_id}/settings", api)),
            "api_customers": timed(get("/api/v1/customers?limit=50", api)),
            "api_customers_search": timed(get("/api/v1/customers?limit=50&q=nord", api)),
            "dunning_timeline": timed(fragment(
                f"/customers/{customer_id}/dunning-timeline?invoice_date=2026-01-15&amount=12.00", "timeline")),
        }
        for tab in ("overview", "addresses", "contacts", "properties", "technical", "tax", "payment-methods",
                    "settings", "activity"):
            results[f"tab:{tab}"] = timed(fragment(f"/customers/{customer_id}/{tab}", "tabs"))
        results["overview_rps_4_clients"] = throughput(f"{base}/customers", opener)
        rss_before_export = workers_peak_rss_mb(pid)
        results["csv_export"] = export(opener, f"{base}/customers/export.csv")
        results["worker_peak_rss_mb"] = workers_peak_rss_mb(pid)
        results["csv_export"]["worker_peak_rss_before_mb"] = rss_before_export
    return results


IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))


def import_file(rows):
    """A CSV file of `rows` new customers, in the export's columns."""
    lines = ["Debtor ID,Name,Customer type,Country,Billing currency,Primary contact email,Tax rate,Language"]
    stamp = int(time.time())  # new debtor IDs on every run, also on a database kept between runs (BENCH_DIR)
    lines += [f"IMP-{stamp}-{i:06d},Imported Customer {i},Business (B2B),DE,EUR,imported{i}@example.com,19.00,German"
              for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _multipart(fields, name, filename, data):
    boundary = "bench" + "x" * 20
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def measure_import(database_url):
    """A 50,000-row CSV import through the portal: preview and apply times, and the overview's latency while each
    runs against its idle latency (SPEC §11: within 2×)."""
    env = {"DATABASE_URL": database_url, "PORTAL_ENV": "production", "SECRET_KEY": "bench-" + "x" * 40,
           "PORTAL_INSECURE_COOKIES": "1", "PORTAL_LOGIN_RATE_LIMIT": "1000 per minute",
           "PORTAL_LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute"}
    with serve("wsgi:app", env) as (base, _pid):
        opener = signed_in(base)
        overview = opener.open(f"{base}/customers").read().decode()
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', overview).group(1)
        idle = timed(lambda: opener.open(f"{base}/customers").read())
        body, content_type = _multipart({"csrf_token": csrf}, "file", "bench.csv", import_file(IMPORT_ROWS))
        started = time.perf_counter()
        response = opener.open(Request(f"{base}/customers/import", body, {"Content-Type": content_type}))
        job_url = response.geturl()
        assert "/customers/import/" in job_url, job_url
        uploaded = time.perf_counter() - started
        latency = {"preview": [], "apply": []}

        def run_until_done(phase):
            """Overview requests one after another until the job's progress says it has finished."""
            last_poll = 0
            while True:
                start = time.perf_counter()
                opener.open(f"{base}/customers").read()
                latency[phase].append((time.perf_counter() - start) * 1000)
                if time.perf_counter() - last_poll > 0.5:
                    last_poll = time.perf_counter()
                    poll = opener.open(Request(job_url + "/progress", headers={"HX-Request": "true"}))
                    if poll.headers.get("HX-Refresh"):
                        return

        run_until_done("preview")
        previewed = time.perf_counter() - started
        page = opener.open(job_url).read().decode()
        assert f"Apply {IMPORT_ROWS:,} valid rows" in page, page[-2000:]
        started = time.perf_counter()
        opener.open(Request(job_url + "/apply", urllib.parse.urlencode({"csrf_token": csrf}).encode()))
        run_until_done("apply")
        applied = time.perf_counter() - started
        assert "Applied" in opener.open(job_url).read().decode()

    def median(samples):
        return round(statistics.median(samples), 2) if samples else None

    during = {phase: median(samples) for phase, samples in latency.items()}
    return {"rows": IMPORT_ROWS, "upload_s": round(uploaded, 2), "preview_s": round(previewed, 2),
            "apply_s": round(applied, 2), "overview_idle_median_ms": idle["median_ms"],
            "overview_during_preview_median_ms": during["preview"], "overview_during_apply_median_ms": during["apply"],
            "overview_requests_during": {phase: len(samples) for phase, samples in latency.items()},
            "within_2x_idle": all(v is not None and v <= 2 * idle["median_ms"] for v in during.values())}


def _next_link(opener, base, path):
    page = opener.open(f"{base}{path}").read().decode()
    return re.search(r'href="([^"]+)" hx-get="[^"]+" hx-target="#results" hx-push-url="true" rel="next"',
                     page).group(1).replace("&amp;", "&")


def export(opener, url):
    """The CSV export of every active customer: time to first byte, total time, size."""
    start = time.perf_counter()
    response = opener.open(url)
    first = response.read(1)
    first_byte = time.perf_counter() - start
    size = len(first)
    while chunk := response.read(1 << 16):
        size += len(chunk)
    return {"first_byte_ms": round(first_byte * 1000, 1), "total_s": round(time.perf_counter() - start, 2),
            "bytes": size}


def measure_peer(customers, database_url):
    python = peer_python()
    with serve("peer:app", {"DATABASE_URL": database_url}, python_bin=python, cwd=ROOT / "bench") as (base, pid):
        opener = build_opener()
        results = {name: timed(lambda p=path: opener.open(base + p.format(deep=deep_page(customers))).read())
                   for name, path in PEER_PAGES.items()}
        results["overview_rps_4_clients"] = throughput(base + PEER_PAGES["overview"], opener)
        results["worker_peak_rss_mb"] = workers_peak_rss_mb(pid)
    return results


def measure_bare():
    with serve("bench.bare:app", {}) as (base, _pid):
        opener = build_opener()
        return {"page": timed(lambda: opener.open(base).read()), "overview_rps_4_clients": throughput(base, opener)}


def ms(cell):
    return f"{cell['median_ms']:6.1f} /{cell['p95_ms']:6.1f}" if cell else " " * 14


def report(kind, bare, runs):
    """The table: per size the portal's and the peer's median / p95, then the ratios SPEC §11 bars."""
    ceiling = bare["page"]["median_ms"]
    small, large = runs[0], runs[-1]
    head = f"{'page (median / p95 ms)':26}" + "".join(
        f"{'portal ' + format(r['customers'], ','):>16}{'peer':>16}" for r in runs)
    print(f"\n{kind}: gunicorn, 2 gthread workers, loopback; bare Flask page {ms(bare['page'])} ms")
    print(head + f"{'÷ bare':>8}{'÷ peer':>8}{'large ÷ small':>15}{'bytes':>9}")
    verdict = {}
    names = [name for name in small["portal"] if isinstance(small["portal"][name], dict) and
             "median_ms" in small["portal"][name]]
    for name in names:
        cells = "".join(f"{ms(r['portal'][name]):>16}{ms(r['peer'].get(name)):>16}" for r in runs)
        mine = large["portal"][name]["median_ms"]
        peer = large["peer"].get(name)
        growth = mine / small["portal"][name]["median_ms"]
        print(f"{name:26}{cells}{mine / ceiling:8.2f}{(mine / peer['median_ms']) if peer else 0:8.2f}"
              f"{growth:15.2f}{large['portal'][name]['bytes'] or 0:9,}".replace(" 0.00", "    –"))
        if name in BARRED:
            verdict[name] = {"within_3x_bare": mine <= 3 * ceiling, "times_bare": round(mine / ceiling, 2),
                             "large_vs_small": round(growth, 2), "within_1.5x_of_smallest": growth <= 1.5}
            if peer:
                verdict[name]["faster_than_peer"] = mine < peer["median_ms"]
    print(f"{'overview req/s, 4 clients':26}" + "".join(
        f"{r['portal']['overview_rps_4_clients']:>16}{r['peer']['overview_rps_4_clients']:>16}" for r in runs)
        + f"   bare {bare['overview_rps_4_clients']}")
    print(f"{'worker peak RSS (MB)':26}" + "".join(
        f"{r['portal']['worker_peak_rss_mb']:>16}{r['peer']['worker_peak_rss_mb']:>16}" for r in runs))
    for r in runs:
        e = r["portal"]["csv_export"]
        print(f"CSV export, {r['customers']:,} customers: first byte {e['first_byte_ms']} ms, all "
              f"{e['total_s']} s, {e['bytes']:,} bytes; worker peak RSS {e['worker_peak_rss_before_mb']} → "
              f"{r['portal']['worker_peak_rss_mb']} MB")
        print(f"seeding {r['customers']:,} customers per organization: {r['seed_seconds']} s")
    for name, bars in verdict.items():
        print(f"{name:26}" + "  ".join(f"{bar} {'yes' if value is True else 'NO' if value is False else value}"
                                       for bar, value in bars.items()))
    i = runs[0].get("import")
    if i:
        print(f"CSV import of {i['rows']:,} rows (into {runs[0]['customers']:,}): upload {i['upload_s']} s, preview "
              f"{i['preview_s']} s, apply {i['apply_s']} s; overview median idle {i['overview_idle_median_ms']} ms, "
              f"during the preview {i['overview_during_preview_median_ms']} ms, during the apply "
              f"{i['overview_during_apply_median_ms']} ms ({i['overview_requests_during']['preview']} and "
              f"{i['overview_requests_during']['apply']} requests)")
        verdict["import"] = {"within_2x_idle": i["within_2x_idle"]}
        print(f"{'import':26}within_2x_idle {'yes' if i['within_2x_idle'] else 'NO'}")
    return verdict


def main():
    with tempfile.TemporaryDirectory() as workdir:
        databases = Databases(workdir)
        try:
            bare = measure_bare()
            runs = []
            for customers in SIZES:
                url, seeded = databases.url(customers)
                print(f"measuring {customers:,} customers ({databases.kind}) …", flush=True)
                runs.append({"customers": customers, "seed_seconds": seeded,
                             "portal": measure_portal(customers, url), "peer": measure_peer(customers, url)})
                if len(runs) == 1 and IMPORT_ROWS:  # last on this database: the import adds its customers
                    print(f"importing {IMPORT_ROWS:,} rows …", flush=True)
                    runs[0]["import"] = measure_import(url)
        finally:
            databases.close()
    verdict = report(databases.kind, bare, runs)
    out = ROOT / "bench" / f"results-{databases.kind}.json"
    out.write_text(json.dumps({"database": databases.kind, "cpus": os.cpu_count(), "bare": bare, "runs": runs,
                               "verdict": verdict}, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
