"""Security headers on every response, and ``no-store`` on everything that is not a file
from ``static/`` (pages, exports, PDFs and API answers show account numbers, and an
office computer is shared).

The app serves all its own scripts and styles (no CDN, no inline code, not even a
``style`` attribute), so the policy is ``'self'`` throughout, with no exception:
``tests/browser/test_content_security_policy.py`` walks every role's pages (the Swagger
UI of the API documentation included) and fails on any violation.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: for QR previews drawn as data URLs; nothing else is embedded.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

# Camera stays available to the app itself: the stall check will scan posted codes.
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": Flask-WTF's CSRF check over HTTPS requires a same-origin Referer.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def init_app(app: Flask) -> None:
    hsts_seconds = int(app.config.get("HSTS_SECONDS", 0) or 0)
    hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds > 0 else None

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        if request.endpoint != "static":
            # Overrides any weaker choice made by a view ("private, max-age=…").
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
            response.headers["Pragma"] = "no-cache"
        return response
