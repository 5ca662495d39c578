"""SPEC §11 benchmark: the portal under gunicorn on loopback with 1,000 and 100,000 customers (SQLite), against a
bare Flask page. Prints a table and writes bench/results.json.  `make bench`  (BENCH_SIZES=1000,100000 by default)"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.request import HTTPCookieProcessor, Request, build_opener

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "60"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(",")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app, env):
    port = free_port()
    # the production configuration (gthread), two workers, without the per-request access log
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-w", "2",
                                "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "/dev/null",
                                app], cwd=ROOT, env={**os.environ, **env})
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{app} did not start")


def timed(call, n=REQUESTS):
    """Median and p95 in milliseconds over n calls (after two warm-up calls)."""
    call(), call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(0.95 * (n - 1))], 2)}


def throughput(url, opener, seconds=5, threads=4):
    count, stop = [0], time.perf_counter() + seconds
    lock = threading.Lock()

    def worker():
        while time.perf_counter() < stop:
            opener.open(url).read()
            with lock:
                count[0] += 1

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return round(count[0] / seconds, 1)


def seed(database_url, customers):
    env = {**os.environ, "DATABASE_URL": database_url, "PORTAL_ENV": "development", "FLASK_APP": "portal"}
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([str(BIN / "flask"), "seed-demo", "--customers", str(customers)], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def measure_portal(customers, workdir):
    database_url = f"sqlite:///{workdir}/bench-{customers}.sqlite3"
    started = time.perf_counter()
    seed(database_url, customers)
    seeded = round(time.perf_counter() - started, 1)
    server, base = serve("wsgi:app", {"DATABASE_URL": database_url, "PORTAL_ENV": "development",
                                      "SECRET_KEY": "bench", "PORTAL_LOGIN_RATE_LIMIT": "1000 per minute",
                                      "PORTAL_LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute",
                                      "PORTAL_API_RATE_LIMIT": "1000000 per minute"})
    try:
        opener = build_opener(HTTPCookieProcessor(CookieJar()))
        login = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        opener.open(f"{base}/login", urllib.parse.urlencode({
            "email": "manager@acme.example", "password": "demo-password", "csrf_token": token}).encode()).read()
        overview = opener.open(f"{base}/customers").read().decode()
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', overview).group(1)
        customer_id = re.search(r'href="/customers/(\d+)"', overview).group(1)
        api_token = subprocess.run([str(BIN / "flask"), "create-api-token", "--org", "acme", "--name", "bench"],
                                   cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "portal",
                                                  "PORTAL_ENV": "development"},
                                   check=True, capture_output=True, text=True).stdout.strip()
        deep_page = max(1, customers // 2 // 50 // 4)

        def get(path, headers=None):
            return lambda: opener.open(Request(f"{base}{path}", headers=headers or {})).read()

        def inline_save():
            page = opener.open(f"{base}/customers/{customer_id}/sections/tax/edit").read().decode()
            version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
            body = urllib.parse.urlencode({"vat_id": "", "tax_country": "", "tax_id": "", "tax_rate": "19",
                                           "version": version}).encode()
            opener.open(Request(f"{base}/customers/{customer_id}/sections/tax", body,
                                {"HX-Request": "true", "X-CSRFToken": csrf})).read()

        results = {
            "customers": customers, "seed_seconds": seeded,
            "overview_bytes": len(overview.encode()),
            "overview": timed(get("/customers")),
            "search": timed(get("/customers?q=nord", {"HX-Request": "true", "HX-Target": "results"})),
            "filtered_deep_page": timed(get(f"/customers?country=DE&page={deep_page}")),
            "detail": timed(get(f"/customers/{customer_id}")),
            "inline_save (edit + save)": timed(inline_save, max(10, REQUESTS // 3)),
            "api_settings": timed(get(f"/api/v1/customers/{customer_id}/settings",
                                      {"Authorization": f"Bearer {api_token}"})),
            "overview_rps": throughput(f"{base}/customers", opener),
        }
    finally:
        server.terminate()
        server.wait()
    return results


def main():
    with tempfile.TemporaryDirectory() as workdir:
        server, base = serve("bench.bare:app", {})
        try:
            opener = build_opener()
            bare = {"page": timed(lambda: opener.open(base).read()), "rps": throughput(base, opener)}
        finally:
            server.terminate()
            server.wait()
        runs = [measure_portal(n, workdir) for n in SIZES]
    pages = ["overview", "search", "filtered_deep_page", "detail", "inline_save (edit + save)", "api_settings"]
    print(f"{'':38}" + "".join(f"{r['customers']:>22,}" for r in runs) + f"{'bare Flask':>16}")
    for name in pages:
        cells = "".join(f"{r[name]['median_ms']:>10.1f} / {r[name]['p95_ms']:>7.1f} ms" for r in runs)
        print(f"{name + ' (median/p95)':38}{cells}{bare['page']['median_ms']:>13.1f} ms")
    print(f"{'overview req/s':38}" + "".join(f"{r['overview_rps']:>22}" for r in runs) + f"{bare['rps']:>16}")
    print(f"{'overview HTML bytes':38}" + "".join(f"{r['overview_bytes']:>22,}" for r in runs))
    ceiling = bare["page"]["median_ms"]
    verdict = {name: {"within_3x_bare": all(r[name]["median_ms"] <= 3 * ceiling for r in runs)} for name in pages}
    if len(runs) > 1:
        for name in pages:
            verdict[name]["largest_vs_smallest"] = round(runs[-1][name]["median_ms"] / runs[0][name]["median_ms"], 2)
    print(json.dumps(verdict, indent=1))
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps({"bare": bare, "runs": runs, "verdict": verdict}, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
