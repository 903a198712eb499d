"""Errors of the partner API as RFC 9457 problem details (``application/problem+json``).

Every error the API answers with has the same body::

    {"type": "https://market4.vn/problems/validation_failed", "title": "Unprocessable Content",
     "status": 422, "detail": "…", "errors": [{"field": "phone", "code": "invalid_phone",
     "message": "…"}]}

``type`` ends in a stable machine code (the domain error's ``code`` or the HTTP status
name), ``errors`` is always a list (empty when no field is to blame). Domain errors keep
their extra details (``object_ids``, ``stall_id``…) as extension members.

Handlers are registered on each API blueprint (Notify's ``register_errors(bp)``); unknown
URLs and wrong methods under ``/api/v1`` never reach a blueprint, so ``init_app`` also
answers those two for API paths and leaves every other path to the site's pages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from market4.errors import DomainError, FieldError, Problems, ValidationFailed
from market4.problem_json import (
    is_api_path,
    problem,
)

logger = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An API-only refusal (bad token, rate limit, idempotency clash) with its headers."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Iterable[FieldError] = (),
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = dict(headers or {})
        self.errors = list(errors)


def from_domain_error(error: DomainError) -> Response:
    # No rollback here: every 4xx/5xx answer is rolled back by market4.unit_of_work.
    errors = error.errors if isinstance(error, ValidationFailed | Problems) else []
    extensions = {
        key: value
        for key, value in error.details.items()
        if key not in {"type", "title", "status", "detail", "errors", "warnings"}
    }
    if not errors and "field" in extensions:
        errors = [FieldError(str(extensions["field"]), error.message, error.code)]
    if error.warnings:  # what a success would have said too (a phone seen elsewhere…)
        extensions["warnings"] = [warning.as_dict() for warning in error.warnings]
    return problem(error.status, error.code, error.message, errors=errors, **extensions)


def _webargs_errors(messages: Any) -> list[FieldError]:
    """Flatten webargs' ``{"json": {"phone": ["…"], "stall": {"code": ["…"]}}}`` into field errors."""
    found: list[FieldError] = []

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(inner, path + [str(key)])
        elif isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            for message in value:
                found.append(FieldError(".".join(path) or "_schema", message, _code_for(message)))
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                walk(inner, path + [str(index)])
        else:
            found.append(FieldError(".".join(path) or "_schema", str(value), "invalid"))

    # The top level is the request location ("json", "query", "files"…): not a field.
    for location_errors in (messages or {}).values():
        walk(location_errors, [])
    return found or [FieldError("_schema", "Invalid input.", "invalid")]


def _code_for(message: str) -> str:
    lowered = message.lower()
    if "missing data" in lowered or "required" in lowered:
        return "required"
    if "unknown field" in lowered:
        return "unknown_field"
    return "invalid"


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 422 and "messages" in data:
        return problem(
            422,
            "validation_failed",
            "The request has invalid fields.",
            errors=_webargs_errors(data["messages"]),
            headers=headers,
        )
    if status == 400 and "messages" in data:  # webargs: the body is not valid JSON
        return problem(
            400,
            "invalid_json",
            "The request body is not valid JSON.",
            errors=_webargs_errors(data["messages"]),
            headers=headers,
        )
    detail = data.get("message") or error.description
    return problem(status, detail=detail, headers=headers)


def from_api_problem(error: ApiProblem) -> Response:
    return problem(
        error.status, error.code, error.detail, errors=error.errors, headers=error.headers
    )


def unexpected(error: Exception) -> Response:
    """Last resort: a logged 500 that still speaks problem+json (never a stack trace)."""
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    if current_app.testing and current_app.config.get("PROPAGATE_EXCEPTIONS", True):
        raise error
    return problem(500, "internal_error", "Unexpected error; it has been logged.")


def register(blueprint: Blueprint) -> None:
    """Answer every error raised inside ``blueprint``'s views with problem+json."""
    blueprint.register_error_handler(DomainError, from_domain_error)
    blueprint.register_error_handler(ApiProblem, from_api_problem)
    blueprint.register_error_handler(HTTPException, from_http_exception)
    blueprint.register_error_handler(Exception, unexpected)


def init_app(app: Flask) -> None:
    """Unknown URLs and wrong methods under /api/v1: problem+json; elsewhere: the site's page.

    Flask cannot route these to a blueprint (no rule matched), so they are handled at
    app level by status code, which takes precedence over the site's HTTPException
    handler; other paths are passed on to that handler.
    """

    def routing_error(error: HTTPException):
        if is_api_path():
            return from_http_exception(error)
        site_handler = app.error_handler_spec[None][None].get(HTTPException)
        if site_handler is None:
            return error
        return site_handler(error)

    app.register_error_handler(NotFound, routing_error)
    app.register_error_handler(MethodNotAllowed, routing_error)
