"""A visit recorded on a phone and sent later (the offline walk, docs/offline.md): when it
was observed, and whether the stall is still what the phone showed.

``markets.services.record_visit`` asks both before it changes anything, for every
channel; a form sent at once passes them trivially (observed now, the page just read).
A scan of the posted code sent later (``placards.checks.check_posted_code``) is asked
only when it was observed: what it saw is the scanned payload itself, which is judged
against the registry as it stands when the scan arrives.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from market4.db import VIETNAM_TZ, now_utc
from market4.errors import Conflict, FieldError, ValidationFailed
from market4.extensions import db
from market4.placards import services as placards
from market4.registry.markets import Stall
from market4.registry.placards import Placard
from market4.vocabulary import PlacardStatus

#: A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
#: How long a phone may hold a visit before sending it; after that the stall has most
#: likely changed, and the field team records it again.
MAX_AGE = timedelta(days=7)


def check_observed_at(observed_at: datetime, day: date) -> None:
    """Refuse (ValidationFailed on ``observed_at``) a moment without a time zone, in the
    future, older than :data:`MAX_AGE`, or before the visit's ``day`` (in Vietnam)."""
    if observed_at.tzinfo is None or observed_at.utcoffset() is None:
        raise _invalid(_l("Thời điểm ghi nhận thiếu múi giờ."), "observed_at_naive")
    now = now_utc()
    if observed_at > now + CLOCK_SKEW:
        raise _invalid(
            _l("Thời điểm ghi nhận ở tương lai: hãy kiểm tra đồng hồ của điện thoại."),
            "observed_at_future",
        )
    if observed_at < now - MAX_AGE:
        raise _invalid(
            _l(
                "Lượt kiểm tra này được ghi hơn %(days)s ngày trước nên không còn được nhận; "
                "hãy kiểm tra lại sạp.",
                days=MAX_AGE.days,
            ),
            "observed_at_too_old",
        )
    if day > observed_at.astimezone(VIETNAM_TZ).date():
        raise ValidationFailed(
            [
                FieldError(
                    "on", _l("Ngày kiểm tra sau thời điểm ghi nhận."), "visited_after_observed"
                )
            ]
        )


def _invalid(message: Any, code: str) -> ValidationFailed:
    return ValidationFailed([FieldError("observed_at", message, code)])


def check_placard_seen(stall: Stall, seen_placard_id: int | None) -> None:
    """Refuse (Conflict) when the stall's live placard is no longer the one the page showed
    (``None``: it showed none): superseded by a reprint, revoked, or a new one printed
    since. The visit was about what stood at the stall then, so it is recorded again."""
    live = placards.live_placard(stall)
    if (live.id if live else None) == seen_placard_id:
        return
    seen = db.session.get(Placard, seen_placard_id) if seen_placard_id is not None else None
    if seen is not None and seen.stall_id == stall.id:
        if seen.status == PlacardStatus.REVOKED:
            raise Conflict(
                _l(
                    "Bảng mã %(serial)s đã bị thu hồi sau lúc kiểm tra; hãy mở lại trang của "
                    "sạp và ghi lại kết quả.",
                    serial=seen.serial,
                ),
                code="placard_revoked",
            )
        raise Conflict(
            _l(
                "Bảng mã %(serial)s đã được thay bằng bảng mới sau lúc kiểm tra; hãy mở lại "
                "trang của sạp và ghi lại kết quả.",
                serial=seen.serial,
            ),
            code="placard_superseded",
        )
    raise Conflict(
        _l(
            "Bảng mã của sạp đã thay đổi sau lúc kiểm tra; hãy mở lại trang của sạp và ghi "
            "lại kết quả."
        ),
        code="placard_changed",
    )
