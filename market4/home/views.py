"""The public home page and the health check."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from market4 import unit_of_work
from market4.extensions import db

bp = Blueprint("home", __name__)

# The brand blue of static/css/market4.css (--brand): the phone's title bar.
THEME_COLOR = "#0b5cad"


@bp.get("/")
def index():
    return render_template("home/index.html")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        unit_of_work.discard()
        # The reason goes to the operator's log only: the endpoint is public.
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        current_app.logger.error("healthz: database unavailable: %s", reason)
        return {"status": "error", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/manifest.webmanifest")
def manifest():
    """What a phone needs to put market4 on its home screen as an app (installable)."""
    icons = [
        {
            "src": url_for("static", filename=f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in (192, 512)
    ]
    body = {
        "name": _("market4 — Chợ 4.0"),
        "short_name": "market4",
        "description": _(
            "Đăng ký tiểu thương, in bảng mã VietQR và theo dõi chương trình chợ 4.0."
        ),
        "lang": "vi",
        "start_url": url_for("home.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            *icons,
            {
                "src": url_for("static", filename="icons/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            },
        ],
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The offline walk's service worker (docs/offline.md), served from the site's root so
    its scope is the whole site; the file itself is static/js/service-worker.js."""
    script = Path(current_app.static_folder or "static") / "js" / "service-worker.js"
    return Response(script.read_bytes(), mimetype="text/javascript")


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for it at the root whatever the page says. 4 KB: read, not streamed.
    icon = Path(current_app.static_folder or "static") / "icons" / "favicon.ico"
    return Response(icon.read_bytes(), mimetype="image/x-icon")
