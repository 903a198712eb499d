"""``Idempotency-Key`` on POST: a retried request gets the first answer, not a second vendor.

Rules (documented in the OpenAPI description too):

- The key is 1–255 printable ASCII characters, chosen by the client (a UUID is ideal),
  and belongs to the token's *user*: two users may use the same key.
- The request's fingerprint is SHA-256 of method, path, query and the body — JSON
  canonicalised (key order and spacing do not matter), multipart by its fields and file
  contents (the boundary differs on every retry).
- Only successful (2xx) answers are stored. A refused request (4xx) changed nothing, so
  retrying it simply runs it again — against the current state, which may have changed
  (a stall freed up, a typo fixed). This is what Stripe does for validation errors.
- Same key + same fingerprint: the stored status and body are replayed with
  ``Idempotent-Replayed: true``. Same key + another fingerprint: 422
  ``idempotency_key_reused``. Two concurrent first requests with one key: the loser's
  whole transaction is rolled back and it answers 409 ``idempotency_key_in_use``.
- The view flushes; this decorator commits once, with the stored answer in the same
  transaction as the registration, so neither can exist without the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market4.api.auth import current_user
from market4.api.errors import ApiProblem
from market4.api.models import IdempotencyRecord
from market4.errors import FieldError
from market4.extensions import db

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX = 255

HEADER_DOC = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Retry-safe key (e.g. a UUID); a retry with the same key and body replays the "
    "first successful answer instead of registering twice.",
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": "^[!-~]+$"},
}


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not (1 <= len(key) <= KEY_MAX) or not all("!" <= char <= "~" for char in key):
        raise ApiProblem(
            422,
            "invalid_idempotency_key",
            f"{HEADER} must be 1–{KEY_MAX} printable ASCII characters without spaces.",
            errors=[FieldError(HEADER, "1–255 printable ASCII characters.", "invalid")],
        )
    return key


def fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(
        f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode()
    )
    if request.mimetype == "multipart/form-data":
        for name in sorted(request.form):
            digest.update(json.dumps([name, request.form.getlist(name)]).encode())
        for name in sorted(request.files):
            for upload in request.files.getlist(name):
                digest.update(f"file {name} {upload.filename}\n".encode("utf-8", "replace"))
                digest.update(upload.stream.read())
                upload.stream.seek(0)
    else:
        raw = request.get_data(cache=True)
        try:
            canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, UnicodeDecodeError):
            canonical = raw
        digest.update(canonical)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord):
    response = current_app.response_class(
        json.dumps(record.response_body), status=record.status_code, mimetype="application/json"
    )
    response.headers[REPLAYED_HEADER] = "true"
    return response


def idempotent(view: Callable) -> Callable:
    """Wrap a POST view (already wrapped by smorest's ``response``) and commit once."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        key = _key()
        user = current_user()
        if key is not None:
            seen = fingerprint()
            record = db.session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == key
                )
            )
            if record is not None:
                if record.request_fingerprint != seen:
                    raise ApiProblem(
                        422,
                        "idempotency_key_reused",
                        "This Idempotency-Key was used with a different request.",
                        errors=[
                            FieldError(
                                HEADER,
                                "Key already used for another request.",
                                "idempotency_key_reused",
                            )
                        ],
                    )
                return _replay(record)
        response = current_app.make_response(view(*args, **kwargs))
        if key is not None and 200 <= response.status_code < 300 and response.is_json:
            db.session.add(
                IdempotencyRecord(
                    user_id=user.id,
                    key=key,
                    request_fingerprint=seen,
                    status_code=response.status_code,
                    response_body=response.get_json(),
                )
            )
        # Flushed here, not committed (the unit of work commits after the view): a
        # concurrent request that won the race (same key, or the same account registered)
        # shows as an IntegrityError now, and the unit of work rolls this request back.
        try:
            db.session.flush()
        except IntegrityError:
            if key is not None:
                raise ApiProblem(
                    409,
                    "idempotency_key_in_use",
                    "Another request with this Idempotency-Key is being processed; retry.",
                ) from None
            raise ApiProblem(
                409, "concurrent_change", "A concurrent request changed the same data; retry."
            ) from None
        return response

    return wrapped
