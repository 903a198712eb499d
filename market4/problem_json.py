"""problem+json (RFC 9457), the answer of every API refusal, where the API lives, and
whether a request asks for JSON.

A base module rather than part of ``api/``: the request's unit of work and the input
guard answer API requests in this format too, without depending on the API package.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, current_app, json, request

from market4.errors import FieldError

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://market4.vn/problems/"
API_PREFIX = "/api/v1"

# HTTP statuses whose machine code is more telling than the status name.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def problem(
    status: int,
    code: str | None = None,
    detail: str | None = None,
    *,
    errors: Iterable[FieldError | Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem+json response; ``extensions`` become extra top-level members."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    code = code or STATUS_CODES.get(status, phrase.lower().replace(" ", "_"))
    body = {
        **extensions,
        "type": PROBLEM_BASE + code,
        "title": phrase,
        "status": status,
        "detail": detail or phrase,
        "errors": [e.as_dict() if isinstance(e, FieldError) else dict(e) for e in errors],
    }
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_api_path() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def wants_json() -> bool:
    """Whether the client asks for JSON rather than a page: the API, or an ``Accept``
    preferring JSON (a page's script, e.g. the offline walk's queue)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )
