"""Security headers on every response, and ``no-store`` on everything that is not a file
from ``static/`` (pages, exports, PDFs and API answers show account numbers, and an
office computer is shared).

The app serves all its own scripts and styles (no CDN, no inline code, not even a
``style`` attribute), so the policy is ``'self'`` throughout, with one addition on the
pages that scan a posted code with the camera: ``'wasm-unsafe-eval'``, which lets them
compile the vendored QR reader (WebAssembly, served from ``static/vendor/``) and allows
no JavaScript ``eval``. ``tests/browser/test_content_security_policy.py`` walks every
role's pages (the Swagger UI of the API documentation included) and fails on any
violation.
"""

from __future__ import annotations

from flask import Flask, Response, request


def _content_security_policy(script_src: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {script_src}",
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


CONTENT_SECURITY_POLICY = _content_security_policy("'self'")
# Where static/js/scan.js may run the camera scanner: its fallback decoder (where the
# browser has no BarcodeDetector) is WebAssembly, which a CSP without this keyword
# refuses to compile.
SCANNING_CONTENT_SECURITY_POLICY = _content_security_policy("'self' 'wasm-unsafe-eval'")
SCANNING_ENDPOINTS = frozenset({"placards.check_stall", "markets.walk_stall"})

# Camera stays available to the app itself: the stall check and walk mode scan posted codes.
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
        response.headers.setdefault(
            "Content-Security-Policy",
            SCANNING_CONTENT_SECURITY_POLICY
            if request.endpoint in SCANNING_ENDPOINTS
            else CONTENT_SECURITY_POLICY,
        )
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        if request.endpoint != "static":
            # Overrides any weaker choice made by a view ("private, max-age=…").
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
            response.headers["Pragma"] = "no-cache"
        return response
