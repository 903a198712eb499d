"""``Idempotency-Key`` on POST: a retried request gets the first answer, not a second record.

Shared by the partner API (``api.idempotency``, a bearer token's user) and the web pages
whose requests a phone may send again on its own (the offline walk's visits,
``markets.visits``, a signed-in user; docs/offline.md). Each caller words the refusals
for its readers; the rules are these, and only here:

- The key is 1–255 printable ASCII characters, chosen by the client (a UUID is ideal),
  and belongs to the *user*: two users may use the same key.
- The request's fingerprint is SHA-256 of method, path, query and the body — JSON
  canonicalised (key order and spacing do not matter), a form by its fields and file
  contents (a multipart boundary differs on every retry). A caller may leave fields out
  of it (a page's CSRF token changes with every session, the request does not).
- Only successful (2xx) answers are stored. A refused request (4xx) changed nothing, so
  retrying it simply runs it again — against the current state, which may have changed
  (a stall freed up, a typo fixed). This is what Stripe does for validation errors.
- Same key + same fingerprint: the stored status and body are replayed with
  ``Idempotent-Replayed: true``. Same key + another fingerprint: 422
  ``idempotency_key_reused``. Two concurrent first requests with one key: the loser's
  whole transaction is rolled back and it answers 409 ``idempotency_key_in_use``.
- Answers are kept :data:`KEEP` (30 days) and then forgotten by ``market4 users prune``
  (:func:`prune`): a phone holds a queued visit at most 8 days, and an API client
  retries within hours; a key sent again after that is a new request.
- The view flushes; :func:`answer_once` adds the stored answer in the same transaction
  (the unit of work commits it), so neither can exist without the other. A page's own
  form post, which can send no header, carries its key in a field and stores the JSON
  answer it would have given (:func:`stored_answer`, :func:`remember`), so a later retry
  of it as JSON is a replay.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, request, session
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from market4.db import now_utc
from market4.extensions import db

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX = 255
#: How long a stored answer is replayed for its key.
KEEP = timedelta(days=30)

INVALID_KEY = "invalid_idempotency_key"
KEY_REUSED = "idempotency_key_reused"
KEY_IN_USE = "idempotency_key_in_use"
CONCURRENT_CHANGE = "concurrent_change"


class IdempotencyRecord(db.Model):
    """The first response to a POST with a given key, replayed for retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class KeyRefused(Exception):
    """Why a request's key cannot be used: ``code`` (one of the constants above) and the
    HTTP ``status`` to answer with. The caller words it for its reader."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.code, self.status = code, status


def request_key() -> str | None:
    """The request's key, None without one; raises :class:`KeyRefused` (422) when malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not is_valid_key(key):
        raise KeyRefused(INVALID_KEY, 422)
    return key


def is_valid_key(key: str) -> bool:
    return 1 <= len(key) <= KEY_MAX and all("!" <= char <= "~" for char in key)


def fingerprint(*, leave_out: Collection[str] = ()) -> str:
    digest = hashlib.sha256()
    digest.update(
        f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode()
    )
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name in sorted(set(request.form) - set(leave_out)):
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


def _replay(record: IdempotencyRecord) -> Response:
    response = current_app.response_class(
        json.dumps(record.response_body), status=record.status_code, mimetype="application/json"
    )
    response.headers[REPLAYED_HEADER] = "true"
    return response


def stored_answer(user_id: int, key: str, seen: str) -> IdempotencyRecord | None:
    """The answer stored for this user's ``key``, None for a new key; raises
    :class:`KeyRefused` (422) when the key came with another request (fingerprint)."""
    record = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if record is not None and record.request_fingerprint != seen:
        raise KeyRefused(KEY_REUSED, 422)
    return record


def remember(user_id: int, key: str | None, seen: str, status: int, body: Any) -> None:
    """Store a successful answer (``body``: JSON; None stores nothing) for retries of this
    user's ``key``, in the request's transaction, and flush now: a concurrent request that
    won the race (same key, or the same row written) shows as an IntegrityError here,
    raised as :class:`KeyRefused` (409), and the unit of work rolls this request back."""
    if key is not None and body is not None and 200 <= status < 300:
        db.session.add(
            IdempotencyRecord(
                user_id=user_id,
                key=key,
                request_fingerprint=seen,
                status_code=status,
                response_body=body,
            )
        )
    try:
        db.session.flush()
    except IntegrityError:
        raise KeyRefused(KEY_IN_USE if key is not None else CONCURRENT_CHANGE, 409) from None


def answer_once(
    user_id: int, answer: Callable[[], Any], *, leave_out: Collection[str] = ()
) -> Response:
    """``answer()``'s response, or the stored one when this user sent this key before.

    Raises :class:`KeyRefused`; whatever ``answer`` raises goes through unchanged (and
    nothing is stored). ``leave_out`` names form fields the fingerprint ignores.
    """
    key = request_key()
    seen = fingerprint(leave_out=leave_out) if key is not None else ""
    if key is not None:
        record = stored_answer(user_id, key, seen)
        if record is not None:
            return _replay(record)
    response = current_app.make_response(answer())
    body = response.get_json() if response.is_json else None
    remember(user_id, key, seen, response.status_code, body)
    return response


def prune(now: datetime) -> int:
    """Forget the answers stored more than :data:`KEEP` before ``now``."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP)
    )
    return result.rowcount or 0


# --- a page's own form post (a form sends no headers) ---------------------------------

#: The field a page's form carries its key in (``static/js/offline.js`` adds it; the
#: queue's retry of the same post sends it in ``Idempotency-Key`` as well).
PAGE_KEY_FIELD = "idempotency_key"
#: Fields the fingerprint of a page's post ignores: a retry carries a fresh CSRF token,
#: and the key.
PAGE_LEAVE_OUT = ("csrf_token", PAGE_KEY_FIELD)
#: Keys that a page's own post recorded, for the next page to tell the phone's queue.
_RECORDED = "market4_offline_recorded"


def page_key(user_id: int) -> tuple[str | None, str, IdempotencyRecord | None]:
    """The key a page's post carries, the post's fingerprint, and the answer already
    stored under the key (the phone's queued copy arrived first). A missing or malformed
    key, or one that came with another request, is no key: the post is itself."""
    key = request.form.get(PAGE_KEY_FIELD)
    if not key or not is_valid_key(key):
        return None, "", None
    seen = fingerprint(leave_out=PAGE_LEAVE_OUT)
    try:
        stored = stored_answer(user_id, key, seen)
    except KeyRefused:
        return None, "", None
    return key, seen, stored


def note_recorded(key: str | None) -> None:
    """Tell the next page rendered in this session that ``key``'s post was recorded."""
    if key is not None:
        session[_RECORDED] = [*session.get(_RECORDED, []), key][-20:]


def recorded_keys() -> list[str]:
    """The keys noted since the last page (and forget them: each is said once)."""
    return session.pop(_RECORDED, [])
