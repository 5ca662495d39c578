"""Production serving: `gunicorn -c gunicorn.conf.py wsgi:app` (read from the environment: PORT, WEB_CONCURRENCY,
GUNICORN_THREADS, RATELIMIT_STORAGE_URI)."""
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, not sync workers: a client that sends its request slowly holds one thread, not a whole worker, and
# gthread waits for a new connection's first bytes in its poller, so idle connections hold no thread at all.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = 30  # a worker whose main loop stops answering this long is restarted
graceful_timeout = 20  # requests in flight get this long to finish on restart or deploy
keepalive = 5  # seconds an idle kept-alive connection stays open (a load balancer's idle timeout is longer)
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %(p)s'

MEMORY_STORE_WARNING = ("RATELIMIT_STORAGE_URI is the in-memory store, but %d workers serve: each counts sign-in "
                        "and API limits on its own, so a limit of N lets about N × %d requests through. Set "
                        "RATELIMIT_STORAGE_URI=redis://… to share the counts.")


def when_ready(server):
    """Warn at start-up when the rate limits would be counted per worker."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    if storage.startswith("memory") and server.cfg.workers > 1:
        server.log.warning(MEMORY_STORE_WARNING, server.cfg.workers, server.cfg.workers)
