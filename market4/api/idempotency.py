"""``Idempotency-Key`` on the partner API's POSTs: a retried request gets the first answer,
not a second vendor.

The rules (key format, per-user keys, the request fingerprint, only 2xx stored, replay,
reuse and race refusals) are :mod:`market4.idempotency`'s, shared with the web pages;
this module words its refusals as problem+json and documents the header in the OpenAPI
description.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app

from market4 import idempotency
from market4.api.auth import current_user
from market4.api.errors import ApiProblem
from market4.errors import FieldError
from market4.idempotency import HEADER, KEY_MAX, REPLAYED_HEADER

__all__ = ["HEADER", "HEADER_DOC", "REPLAYED_HEADER", "idempotent"]

HEADER_DOC = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Retry-safe key (e.g. a UUID); a retry with the same key and body replays the "
    f"first successful answer instead of registering twice. Answers are kept "
    f"{idempotency.KEEP.days} days.",
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": "^[!-~]+$"},
}


def _problem(refused: idempotency.KeyRefused) -> ApiProblem:
    if refused.code == idempotency.INVALID_KEY:
        return ApiProblem(
            422,
            refused.code,
            f"{HEADER} must be 1–{KEY_MAX} printable ASCII characters without spaces.",
            errors=[FieldError(HEADER, "1–255 printable ASCII characters.", "invalid")],
        )
    if refused.code == idempotency.KEY_REUSED:
        return ApiProblem(
            422,
            refused.code,
            "This Idempotency-Key was used with a different request.",
            errors=[FieldError(HEADER, "Key already used for another request.", refused.code)],
        )
    if refused.code == idempotency.KEY_IN_USE:
        return ApiProblem(
            409,
            refused.code,
            "Another request with this Idempotency-Key is being processed; retry.",
        )
    return ApiProblem(409, refused.code, "A concurrent request changed the same data; retry.")


def idempotent(view: Callable) -> Callable:
    """Wrap a POST view (already wrapped by smorest's ``response``)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        try:
            return idempotency.answer_once(
                current_user().id, lambda: current_app.make_response(view(*args, **kwargs))
            )
        except idempotency.KeyRefused as refused:
            raise _problem(refused) from None

    return wrapped
