"""The partner JSON API under ``/api/v1``: flask-smorest on the plain Flask app.

``init_app(app)`` wires it up: the ``Api`` (which serves ``/api/v1/openapi.json`` built
from the same marshmallow schemas that validate requests), one blueprint per resource
with token auth and problem+json errors, CSRF exemption (partners send no cookies), and
the docs page at ``/api/v1/docs`` from vendored assets. flask-smorest's own ReDoc/Swagger
pages are never configured: they would load scripts from a CDN.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint

from market4.problem_json import API_PREFIX

DESCRIPTION = """\
The market4 partner API: find markets and stalls, register vendors with the account their
VietQR placard pays into, fetch placards, import files, report each account's monthly QR
payments, and read the acceptance figures.

**Authentication**: `Authorization: Bearer <token>`; create tokens on the "Khóa API" page
or with `market4 tokens create`. Bank-partner tokens see and write only their bank's
accounts; staff tokens read the figures of their area. Objects outside your scope answer 404.

**Errors** are `application/problem+json` (RFC 9457) with a machine-readable `errors` list of
`{field, code, message}`: 401 bad or missing token, 403 wrong role, 404 unknown or not yours,
409 duplicate or conflicting state, 422 invalid input, 429 too many requests (see `Retry-After`).

**Retries**: send `Idempotency-Key` on POST; a retry with the same key and body replays the first
successful answer (header `Idempotent-Replayed: true`); the same key with another body is a 422.

**Rate limit**: `API_RATE_LIMIT_PER_MINUTE` requests per token and minute (default 600) in each
server process.
"""

CONFIG: dict[str, Any] = {
    "API_TITLE": "market4 partner API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": API_PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    # No flask-smorest UI pages: they load from a CDN. /api/v1/docs serves vendored assets.
    "OPENAPI_REDOC_PATH": None,
    "OPENAPI_SWAGGER_UI_PATH": None,
    "OPENAPI_RAPIDOC_PATH": None,
    "API_SPEC_OPTIONS": {
        "info": {"description": DESCRIPTION},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    },
}


class PartnerApi(Api):
    """flask-smorest's Api with problem+json errors, documented as such."""

    DEFAULT_RESPONSE_CONTENT_TYPE = "application/json"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from market4.api.schemas import ProblemSchema

        self.ERROR_SCHEMA = ProblemSchema
        super().__init__(*args, **kwargs)

    def _register_responses(self) -> None:
        # Same components as flask-smorest, but errors are application/problem+json.
        import http

        from flask_smorest.utils import prepare_response

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, "application/problem+json")
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def _register_error_handlers(self) -> None:
        from market4.api import errors

        errors.init_app(self._app)


def new_blueprint(name: str, description: str) -> Blueprint:
    """A resource blueprint: token required, problem+json errors, no CSRF.

    Its views take their arguments as schema instances (``blp.arguments(StatsArgs())``):
    given a class, webargs builds a new schema, copying every field, on each request.
    """
    from market4.api import auth, errors
    from market4.extensions import csrf

    blueprint = Blueprint(f"api_{name}", __name__, url_prefix=API_PREFIX, description=description)
    blueprint.before_request(auth.require_token)
    blueprint.after_request(auth.remember_response)
    errors.register(blueprint)
    csrf.exempt(blueprint)
    return blueprint


def init_app(app: Flask) -> None:
    """Register the API, its resources and its docs page on ``app``."""
    from market4.api import accounts, activity, docs, imports, markets, stats, vendors

    for key, value in CONFIG.items():
        app.config.setdefault(key, value)
    api = PartnerApi(app)
    for module in (markets, vendors, accounts, imports, stats, activity):
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.bp)
    app.extensions["market4-api"] = api
