"""Security headers (CSP without inline script or eval) and the current tenant."""
from flask import request

CSP = (
    "default-src 'self'; script-src 'self' {htmx_origin}; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
)


def _origin(url):
    parts = url.split("/")
    return "/".join(parts[:3]) if url.startswith("http") else ""


def init_app(app):
    """Send the security headers of SPEC §10 with every response."""
    csp = CSP.format(htmx_origin=_origin(app.config["PORTAL_HTMX_URL"])).replace("  ", " ")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.headers.get("HX-Request") or response.mimetype == "text/html":
            response.vary.add("HX-Request")
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
