"""The "known device" cookie: a browser that signed in to an account before.

A long-lived, signed, HttpOnly cookie names the account (its e-mail) and a random device
id. A sign-in to that account from that browser is counted against the device alone
(see market4.auth.throttle), so guesses from elsewhere never keep the owner out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "market4_device"
LIFETIME = timedelta(days=180)
_SALT = "market4.known-device"


@dataclass(frozen=True)
class KnownDevice:
    email: str
    device_id: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def read(request: Request) -> KnownDevice | None:
    value = request.cookies.get(COOKIE_NAME)
    if not value or len(value) > 1000:
        return None
    try:
        data = _serializer().loads(value, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    email, device_id = data.get("e"), data.get("d")
    if not isinstance(email, str) or not isinstance(device_id, str):
        return None
    return KnownDevice(email, device_id)


def device_for(known: KnownDevice | None, email: str) -> str | None:
    """The device id if this browser is known to ``email``'s account."""
    return known.device_id if known is not None and known.email == email else None


def remember(response: Response, email: str, known: KnownDevice | None) -> None:
    """Mark this browser as known to ``email`` (keeping its id when it already was)."""
    device_id = device_for(known, email) or secrets.token_urlsafe(16)
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps({"e": email, "d": device_id}),
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", True),
        samesite="Lax",
        path="/",
    )
