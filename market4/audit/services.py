"""Recording audit events; every service that changes data calls ``record``."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from werkzeug.local import LocalProxy

from market4.audit.models import AuditEvent
from market4.extensions import db
from market4.proxies import client_address

# Where the API leaves the caller it authenticated, so the log can name the API token.
API_CALLER_KEY = "market4.api_caller"


def record(
    action: str,
    obj: Any,
    *,
    actor: Any = None,
    channel: str = "web",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``obj`` (a model instance, flushed so it has an id).

    ``obj`` may be None with an ``object_type`` (a failed sign-in for an unknown e-mail).
    Inside a request the event also keeps the client's address and, for the partner
    API, the token that made the call.
    """
    if isinstance(obj, LocalProxy):  # current_user: record the user, not the proxy
        obj = obj._get_current_object()
    address, token_id = request_origin()
    event = AuditEvent(
        action=action,
        object_type=object_type or type(obj).__name__,
        object_id=(str(getattr(obj, "id", None) or getattr(obj, "bin", "")) or None)
        if obj is not None
        else None,
        actor_id=getattr(actor, "id", None),
        channel=channel,
        before=before,
        after=after,
        remote_addr=address,
        api_token_id=token_id,
    )
    db.session.add(event)
    return event


def request_origin() -> tuple[str | None, int | None]:
    """(client address, API token id) of the current request; (None, None) outside one."""
    if not has_request_context():
        return None, None
    caller = request.environ.get(API_CALLER_KEY)
    token = getattr(caller, "token", None)
    return client_address(), getattr(token, "id", None)
