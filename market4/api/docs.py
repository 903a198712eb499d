"""``/api/v1/docs``: the OpenAPI document rendered by the vendored Swagger UI.

Public like ``openapi.json`` (a partner reads it before having a token). The page loads
only ``static/vendor/swagger-ui/`` (see ``scripts/vendor_assets.sh``) and our own
``openapi.json``; Swagger UI's online validator is switched off, so nothing leaves the
server.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from market4.api.auth import DEFAULT_RATE_LIMIT_PER_MINUTE

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@bp.get("/docs")
def index():
    limit = current_app.config.get("API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE)
    tokens_url = url_for("tokens.index") if "tokens.index" in current_app.view_functions else None
    return render_template("api/docs.html", rate_limit=limit, tokens_url=tokens_url)
