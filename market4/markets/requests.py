"""Stall requests: a bank asks the market board to change who trades at a stall.

Occupancy is the market board's to record (``auth.policy``): a bank partner who finds a
new person at a stall registered to someone else does not evict anyone, it files a
request, which the stall page shows to the market's managers until one of them settles
it (after assigning the new vendor, or recording that the old one left).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market4.audit import services as audit
from market4.auth.models import Organisation
from market4.db import now_utc
from market4.errors import Conflict, FieldError, ValidationFailed
from market4.extensions import db
from market4.registry import policy
from market4.registry.markets import Stall, StallRequest
from market4.registry.policy import Action
from market4.registry.stalls import stall_name
from market4.registry.validation import clean_text
from market4.vocabulary import StallRequestStatus

__all__ = ["MESSAGE_MAX", "open_requests", "request_stall_change", "resolve_stall_request"]

MESSAGE_MAX = 500


def request_stall_change(
    stall: Stall,
    message: Any,
    *,
    actor: Any,
    organisation: Organisation | None = None,
    channel: str = "web",
) -> StallRequest:
    """File a request about ``stall`` (what changed, who trades there now)."""
    policy.check(Action.REQUEST, actor, organisation=organisation, stall=stall)
    text = clean_text(message)
    if not text:
        raise ValidationFailed(
            [
                FieldError(
                    "message",
                    _l("Cần ghi nội dung đề nghị (ai đang kinh doanh tại sạp)."),
                    "required",
                )
            ]
        )
    if len(text) > MESSAGE_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "message",
                    _l("Nội dung dài tối đa %(limit)s ký tự.", limit=MESSAGE_MAX),
                    "invalid_length",
                )
            ]
        )
    if stall.closed_on is not None:
        raise Conflict(_l("%(stall)s đã đóng.", stall=stall_name(stall.code)), code="stall_closed")
    request = StallRequest(
        stall_id=stall.id,
        message=text,
        requested_by_id=getattr(actor, "id", None),
        organisation_id=getattr(organisation or getattr(actor, "organisation", None), "id", None),
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "request",
        request,
        actor=actor,
        channel=channel,
        after={"stall_id": stall.id, "message": text},
    )
    return request


def resolve_stall_request(
    request: StallRequest, *, status: str, actor: Any, channel: str = "web"
) -> StallRequest:
    """Close a request as "done" (the stall's occupancy was updated) or "dismissed"."""
    policy.check(Action.OCCUPANCY, actor, stalls=[request.stall])
    if status not in ("done", "dismissed"):
        raise ValidationFailed(
            [FieldError("status", _l("Trạng thái đề nghị không hợp lệ."), "invalid_status")]
        )
    if request.status != StallRequestStatus.OPEN:
        raise Conflict(_l("Đề nghị này đã được xử lý."), code="request_closed")
    request.status = status
    request.resolved_by_id = getattr(actor, "id", None)
    request.resolved_at = now_utc()
    db.session.flush()
    audit.record(
        "resolve",
        request,
        actor=actor,
        channel=channel,
        before={"status": "open"},
        after={"status": status},
    )
    return request


def open_requests(stall_ids: list[int]) -> list[StallRequest]:
    """Open requests about these stalls, oldest first."""
    if not stall_ids:
        return []
    return list(
        db.session.scalars(
            select(StallRequest)
            .where(
                StallRequest.stall_id.in_(stall_ids), StallRequest.status == StallRequestStatus.OPEN
            )
            .order_by(StallRequest.created_at, StallRequest.id)
        )
    )
