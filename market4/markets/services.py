"""Changing markets, stalls, who trades where, and their acceptance status.

Services take explicit arguments, flush and never commit; they raise domain errors
(``market4.errors``) and write an audit event for every change. Anything that changes
what a printed placard shows (the stall code, the vendor at the stall) supersedes the
stall's live placards, so ``placards.services.needs_reprint`` lists it.

The status primitives live in ``markets.status`` and stall ordering in
``markets.ordering``; both are re-exported here. Who may do what is ``auth.policy``:
each public function asks it first (occupancy and stalls are the market board's).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from market4.audit import services as audit
from market4.db import VIETNAM_TZ, now_utc, today
from market4.domain.text import bank_style_name as fold_to_bank_style
from market4.errors import Conflict, FieldError, Text, ValidationFailed
from market4.extensions import db
from market4.placards import observations
from market4.placards import services as placards
from market4.registry import policy
from market4.registry.markets import (
    ACCEPTING,
    NOT_ACCEPTING,
    VISIT_OUTCOMES,
    Market,
    Stall,
    VerificationVisit,
)
from market4.registry.ordering import natural_key, sorted_stalls, stall_sort_key
from market4.registry.policy import Action
from market4.registry.stalls import (
    current_occupancy,
    current_occupant,
    current_status,
    find_stall,
    set_stall_status,
    stall_code_key,
    stall_name,
    stalls_in_order,
)
from market4.registry.validation import (
    CONSENT_REQUIRED,
    clean_display_name,
    clean_goods_category,
    clean_phone,
    clean_stall_code,
    clean_text,
)
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import StatusReason, VisitOutcome

__all__ = [
    "UNCHANGED",
    "add_new_vendor",
    "assign_vendor",
    "close_stall",
    "create_stall",
    "current_occupancy",
    "current_occupant",
    "current_status",
    "end_occupancy",
    "ensure_can_assign",
    "find_stall",
    "move_vendor",
    "natural_key",
    "occupy_vacant_stall",
    "record_visit",
    "set_goods_category",
    "set_stall_status",
    "sorted_stalls",
    "stall_code_key",
    "stall_sort_key",
    "stalls_in_order",
    "update_stall",
]

ZONE_MAX, ROW_MAX = 60, 40


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: Default of :func:`update_stall` arguments: "leave as is" (None means "clear"); of
#: :func:`record_visit`'s ``seen_placard_id``: "not said" (None means "none shown").
UNCHANGED: Any = _Unchanged()


# --- stalls ------------------------------------------------------------------------------


def _clean_place(value: Any, field_name: str, limit: int, label: Text) -> str | None:
    text = clean_text(value)
    if len(text) > limit:
        message = _l("%(label)s dài tối đa %(limit)s ký tự.", label=label, limit=limit)
        raise ValidationFailed([FieldError(field_name, message, "invalid_length")])
    return text or None


def _clean_stall_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate the given stall fields together, so every error is reported at once."""
    rules = {
        "code": lambda v: clean_stall_code(v, field_name="code"),
        "zone": lambda v: _clean_place(v, "zone", ZONE_MAX, _l("Khu")),
        "row": lambda v: _clean_place(v, "row", ROW_MAX, _l("Dãy")),
        "goods_category": clean_goods_category,
    }
    cleaned, errors = {}, []
    for name, value in changes.items():
        try:
            cleaned[name] = rules[name](value)
        except ValidationFailed as failure:
            errors.extend(failure.errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _ensure_code_free(market: Market, code: str, *, exclude: Stall | None = None) -> None:
    clash = find_stall(market, code)
    if clash is not None and clash is not exclude:
        raise Conflict(
            _l("Chợ đã có sạp mã “%(code)s”.", code=clash.code),
            code="duplicate_stall_code",
            details={"stall_id": clash.id},
        )


def create_stall(
    market: Market,
    code: str,
    zone: str | None = None,
    row: str | None = None,
    goods_category: str | None = None,
    *,
    actor: Any,
    opened_on: date | None = None,
    channel: str = "web",
) -> Stall:
    """Add a stall; Conflict when the market already has the code (case/NFC-insensitive)."""
    policy.check(Action.STALLS, actor, market=market)
    fields = _clean_stall_fields(
        {"code": code, "zone": zone, "row": row, "goods_category": goods_category}
    )
    _ensure_code_free(market, fields["code"])
    stall = Stall(market=market, opened_on=opened_on or today(), **fields)
    db.session.add(stall)
    db.session.flush()
    audit.record(
        "create",
        stall,
        actor=actor,
        channel=channel,
        after={"market_id": market.id, **fields, "opened_on": stall.opened_on.isoformat()},
    )
    return stall


def update_stall(
    stall: Stall,
    *,
    code: Any = UNCHANGED,
    zone: Any = UNCHANGED,
    row: Any = UNCHANGED,
    goods_category: Any = UNCHANGED,
    actor: Any,
    channel: str = "web",
) -> Stall:
    """Rename or re-place a stall. A new code supersedes its placards (they print the code)."""
    policy.check(Action.STALLS, actor, market=stall.market)
    given = {
        name: value
        for name, value in {
            "code": code,
            "zone": zone,
            "row": row,
            "goods_category": goods_category,
        }.items()
        if value is not UNCHANGED
    }
    fields = _clean_stall_fields(given)
    changed = {name: value for name, value in fields.items() if getattr(stall, name) != value}
    if not changed:
        return stall
    if "code" in changed:
        _ensure_code_free(stall.market, changed["code"], exclude=stall)
    before = {name: getattr(stall, name) for name in changed}
    for name, value in changed.items():
        setattr(stall, name, value)
    db.session.flush()
    if "code" in changed:
        placards.supersede_placards(
            stall,
            reason="stall renamed",
            actor=actor,
            channel=channel,
            stall_status_reason=StatusReason.PLACARD_SUPERSEDED,
        )
    audit.record("update", stall, actor=actor, channel=channel, before=before, after=changed)
    return stall


def set_goods_category(stall: Stall, category: str, *, actor: Any, channel: str = "web") -> None:
    """Record what a stall sells, as a registration or import states it (already cleaned).

    No policy check of its own: it is part of registering a vendor, which the caller
    has checked, and changes nothing printed or counted.
    """
    if stall.goods_category == category:
        return
    before = {"goods_category": stall.goods_category}
    stall.goods_category = category
    db.session.flush()
    audit.record(
        "update",
        stall,
        actor=actor,
        channel=channel,
        before=before,
        after={"goods_category": category},
    )


def close_stall(stall: Stall, *, on: date | None = None, actor: Any, channel: str = "web") -> Stall:
    """Close a stall from ``on``: it leaves the counts, its vendor leaves, its placards end."""
    policy.check(Action.STALLS, actor, market=stall.market)
    day = on or today()
    if stall.closed_on is not None:
        raise Conflict(_l("%(stall)s đã đóng.", stall=stall_name(stall.code)), code="stall_closed")
    if day < stall.opened_on:
        raise ValidationFailed(
            [FieldError("on", _l("Ngày đóng sạp trước ngày mở sạp."), "invalid_date")]
        )
    occupancy = current_occupancy(stall)
    if occupancy is not None:
        _finish(occupancy, day, actor=actor, channel=channel)
    placards.supersede_placards(stall, reason="stall closed", actor=actor, channel=channel)
    stall.closed_on = day
    set_stall_status(stall, NOT_ACCEPTING, reason=StatusReason.STALL_CLOSED, on=day, actor=actor)
    audit.record("close", stall, actor=actor, channel=channel, after={"closed_on": day.isoformat()})
    db.session.flush()
    return stall


# --- occupancy ---------------------------------------------------------------------------


def ensure_can_assign(
    stall: Stall,
    vendor: Vendor | None = None,
    *,
    on: date | None = None,
    replace_occupant: bool = False,
) -> None:
    """Raise Conflict unless ``vendor`` (None: a vendor not yet created) may start at ``stall``.

    Registration calls this before creating anything, so a refusal leaves no trace.
    """
    day = on or today()
    if not stall.is_open_on(day):
        raise Conflict(_l("%(stall)s đã đóng.", stall=stall_name(stall.code)), code="stall_closed")
    if vendor is not None and not vendor.is_active:
        raise Conflict(_l("Tiểu thương đã ngừng hoạt động."), code="vendor_inactive")
    occupant = current_occupant(stall)
    if occupant is None or (vendor is not None and occupant.id == vendor.id):
        return
    if occupant.is_active and not replace_occupant:
        raise Conflict(
            _l(
                "%(stall)s đang có tiểu thương %(display_name)s.",
                stall=stall_name(stall.code),
                display_name=occupant.display_name,
            ),
            code="stall_occupied",
            details={"stall_id": stall.id, "vendor_id": occupant.id},
        )


def assign_vendor(
    stall: Stall,
    vendor: Vendor,
    *,
    actor: Any,
    on: date | None = None,
    replace_occupant: bool = False,
    channel: str = "web",
) -> Occupancy:
    """``vendor`` trades at ``stall`` from ``on``; idempotent if already there.

    An active occupant is a Conflict unless ``replace_occupant``: then their occupancy
    ends, the stall's placards are superseded and an accepting stall stops accepting
    until the new vendor's placard is posted.
    """
    policy.check(Action.OCCUPANCY, actor, stalls=[stall])
    return _assign(
        stall,
        vendor,
        actor=actor,
        on=on or today(),
        replace_occupant=replace_occupant,
        channel=channel,
    )


def add_new_vendor(
    stall: Stall,
    *,
    display_name: Any,
    phone: Any,
    consent_given: bool,
    actor: Any,
    on: date | None = None,
    replace_occupant: bool = False,
    channel: str = "web",
) -> Occupancy:
    """A person not yet in the registry starts trading at ``stall``, without an account:
    the market board records who trades where, their bank adds the account (for the
    stall's occupant) afterwards.

    Raises PermissionDenied, ValidationFailed (every bad field at once: name, phone,
    consent) or Conflict (closed stall; an occupant unless ``replace_occupant``) before
    anything is written.
    """
    policy.check(Action.OCCUPANCY, actor, stalls=[stall])
    errors: list[FieldError] = []
    fields: dict[str, Any] = {}
    for name, rule, value in (
        ("display_name", clean_display_name, display_name),
        ("phone", clean_phone, phone),
    ):
        try:
            fields[name] = rule(value)
        except ValidationFailed as failure:
            errors.extend(failure.errors)
    if not consent_given:
        errors.append(CONSENT_REQUIRED)
    if errors:
        raise ValidationFailed(errors)
    day = on or today()
    ensure_can_assign(stall, on=day, replace_occupant=replace_occupant)
    vendor = Vendor(
        display_name=fields["display_name"],
        bank_style_name=fold_to_bank_style(fields["display_name"]),
        phone_e164=fields["phone"],
        consent_at=now_utc(),
        registered_by_org_id=getattr(getattr(actor, "organisation", None), "id", None),
    )
    db.session.add(vendor)
    db.session.flush()
    audit.record(
        "register",
        vendor,
        actor=actor,
        channel=channel,
        after={
            "display_name": vendor.display_name,
            "phone": vendor.phone_e164,
            "stall_id": stall.id,
            "consent": True,
            "account": None,
        },
    )
    return _assign(
        stall, vendor, actor=actor, on=day, replace_occupant=replace_occupant, channel=channel
    )


def occupy_vacant_stall(
    stall: Stall, vendor: Vendor, *, actor: Any, on: date | None = None, channel: str = "web"
) -> Occupancy:
    """A newly registered ``vendor`` starts at a vacant ``stall`` (Conflict if it is not).

    No policy check of its own: registering on a vacant stall is checked by
    ``vendors.services.register_vendor``, and nobody leaves the stall.
    """
    return _assign(
        stall, vendor, actor=actor, on=on or today(), replace_occupant=False, channel=channel
    )


def _assign(
    stall: Stall, vendor: Vendor, *, actor: Any, on: date, replace_occupant: bool, channel: str
) -> Occupancy:
    day = on
    ensure_can_assign(stall, vendor, on=day, replace_occupant=replace_occupant)
    occupancy = current_occupancy(stall)
    if occupancy is not None and occupancy.vendor_id == vendor.id:
        return occupancy
    if occupancy is not None:
        _finish(occupancy, day, actor=actor, channel=channel)
    # Whatever is still on a vacant stall belongs to someone who left.
    placards.supersede_placards(stall, reason="vendor changed", actor=actor, channel=channel)
    if current_status(stall, on=day) == ACCEPTING:
        set_stall_status(stall, NOT_ACCEPTING, reason=StatusReason.VENDOR_LEFT, on=day, actor=actor)
    occupancy = Occupancy(stall_id=stall.id, vendor=vendor, started_on=day)
    db.session.add(occupancy)
    db.session.flush()
    audit.record(
        "assign",
        occupancy,
        actor=actor,
        channel=channel,
        after={"stall_id": stall.id, "vendor_id": vendor.id, "started_on": day.isoformat()},
    )
    return occupancy


def end_occupancy(
    stall: Stall,
    *,
    actor: Any,
    on: date | None = None,
    status_reason: str = "vendor_left",
    channel: str = "web",
) -> Occupancy | None:
    """The current vendor leaves ``stall`` on ``on``: placards superseded, stall not accepting.

    Returns the ended occupancy, or None when the stall was already vacant (the status
    is still set, since someone reported the stall as not accepting).
    """
    policy.check(Action.OCCUPANCY, actor, stalls=[stall])
    day = on or today()
    occupancy = current_occupancy(stall)
    if occupancy is not None:
        if day < occupancy.started_on:
            raise ValidationFailed(
                [FieldError("on", _l("Ngày rời sạp trước ngày bắt đầu."), "invalid_date")]
            )
        _finish(occupancy, day, actor=actor, channel=channel)
    placards.supersede_placards(stall, reason="vendor left", actor=actor, channel=channel)
    set_stall_status(stall, NOT_ACCEPTING, reason=status_reason, on=day, actor=actor)
    db.session.flush()
    return occupancy


def move_vendor(
    vendor: Vendor,
    from_stall: Stall,
    to_stall: Stall,
    *,
    actor: Any,
    on: date | None = None,
    replace_occupant: bool = False,
    channel: str = "web",
) -> Occupancy:
    """Move ``vendor`` between stalls; both stalls' placards need reprinting (new code)."""
    policy.check(Action.OCCUPANCY, actor, stalls=[from_stall, to_stall])
    day = on or today()
    occupancy = current_occupancy(from_stall)
    if occupancy is None or occupancy.vendor_id != vendor.id:
        raise Conflict(
            _l("Tiểu thương không ở sạp %(code)s.", code=from_stall.code),
            code="vendor_not_at_stall",
        )
    if to_stall.id == from_stall.id:
        return occupancy
    ensure_can_assign(to_stall, vendor, on=day, replace_occupant=replace_occupant)
    end_occupancy(from_stall, actor=actor, on=day, channel=channel)
    return _assign(
        to_stall, vendor, actor=actor, on=day, replace_occupant=replace_occupant, channel=channel
    )


def _finish(occupancy: Occupancy, day: date, *, actor: Any, channel: str) -> None:
    occupancy.ended_on = max(day, occupancy.started_on)
    # Flush now: the partial unique index allows one open occupancy per stall, and the
    # next one may be inserted in the same flush.
    db.session.flush()
    audit.record(
        "end",
        occupancy,
        actor=actor,
        channel=channel,
        after={"ended_on": occupancy.ended_on.isoformat()},
    )


# --- verification visits -----------------------------------------------------------------

# The status each outcome leads to; placard_missing/swapped go through revoke_placard.
_VISIT_STATUS = {
    "placard_posted": (ACCEPTING, "placard_posted"),
    "test_payment_ok": (ACCEPTING, "test_payment_ok"),
    "declined": (NOT_ACCEPTING, "declined"),
    "vendor_left": (NOT_ACCEPTING, "vendor_left"),
    "placard_missing": (NOT_ACCEPTING, "placard_revoked"),
    "placard_swapped": (NOT_ACCEPTING, "placard_revoked"),
}


def record_visit(
    stall: Stall,
    outcome: str,
    *,
    actor: Any,
    on: date | None = None,
    note: str | None = None,
    channel: str = "web",
    observed_at: datetime | None = None,
    seen_placard_id: int | None = UNCHANGED,
) -> VerificationVisit:
    """Record what a market manager saw at ``stall`` and move its acceptance status.

    A visit sent later from a phone (docs/offline.md) says when it was ``observed_at``
    (kept as the visit's ``recorded_at``; the day defaults to that day in Vietnam) and
    which live placard the page showed (``seen_placard_id``, None for none): both are
    checked by ``placards.observations`` first, so a stall closed or a placard
    superseded or revoked since refuses the visit instead of recording it on a stall
    that has changed. UNCHANGED (the default) skips the placard check.

    - placard_posted: the stall's live placard for the vendor's current account becomes
      "posted" and the stall accepting; refused (Conflict) without a vendor, an active
      placard account, or a live placard printed for it.
    - test_payment_ok: accepting; needs a vendor with an active placard account.
    - declined: not accepting.
    - vendor_left: the occupancy ends (placards superseded), not accepting.
    - placard_missing / placard_swapped: every live placard of the stall is revoked
      (a swapped one must never be trusted again), not accepting.
    """
    policy.check(Action.VISIT, actor, stall=stall)
    if outcome not in VISIT_OUTCOMES:
        raise ValidationFailed(
            [
                FieldError(
                    "outcome",
                    _l("Kết quả kiểm tra không hợp lệ: %(outcome)s", outcome=outcome),
                    "invalid_outcome",
                )
            ]
        )
    day = on or (observed_at.astimezone(VIETNAM_TZ).date() if observed_at else today())
    if observed_at is not None:
        observations.check_observed_at(observed_at, day)
    if not stall.is_open_on(day):
        raise Conflict(_l("%(stall)s đã đóng.", stall=stall_name(stall.code)), code="stall_closed")
    if seen_placard_id is not UNCHANGED:
        observations.check_placard_seen(stall, seen_placard_id)
    note = clean_text(note)[:255] or None
    status, reason = _VISIT_STATUS[outcome]
    placard = None
    if status == ACCEPTING:
        account = _placard_account_at(stall)
        placard = placards.current_placard(stall, account)
        if outcome == VisitOutcome.PLACARD_POSTED:
            if placard is None:
                raise Conflict(
                    _l(
                        "Chưa in bảng mã cho tài khoản hiện tại của sạp này — hãy in bảng mã trước."
                    ),
                    code="no_live_placard",
                )
            placards.mark_posted(placard, actor=actor, on=day, channel=channel, note=note)
        else:
            set_stall_status(stall, status, reason=reason, on=day, actor=actor, note=note)
    else:
        # Status first, so the visit's note lands on the status row; the calls below
        # would set the same status again and so add nothing.
        set_stall_status(stall, status, reason=reason, on=day, actor=actor, note=note)
        if outcome == VisitOutcome.VENDOR_LEFT:
            end_occupancy(stall, actor=actor, on=day, channel=channel)
        elif outcome in (VisitOutcome.PLACARD_MISSING, VisitOutcome.PLACARD_SWAPPED):
            revoked = placards.live_placards(stall)
            for live in revoked:
                placards.revoke_placard(live, reason=outcome, actor=actor, channel=channel, on=day)
            placard = revoked[0] if revoked else None
    visit = VerificationVisit(
        stall_id=stall.id,
        placard_id=placard.id if placard else None,
        outcome=outcome,
        visited_on=day,
        note=note,
        recorded_by_id=getattr(actor, "id", None),
        recorded_at=observed_at or now_utc(),
    )
    db.session.add(visit)
    db.session.flush()
    after = {"stall_id": stall.id, "outcome": outcome, "visited_on": day.isoformat()}
    if observed_at is not None:  # the event's own time is when the server received it
        after["observed_at"] = observed_at.isoformat()
    audit.record("visit", visit, actor=actor, channel=channel, after=after)
    return visit


def _placard_account_at(stall: Stall) -> PaymentAccount:
    vendor = current_occupant(stall)
    if vendor is None:
        raise Conflict(
            _l("%(stall)s chưa có tiểu thương.", stall=stall_name(stall.code)), code="stall_vacant"
        )
    account = vendor.placard_account
    if account is None:
        raise Conflict(
            _l("Tiểu thương chưa có tài khoản đang hoạt động để in lên bảng mã."),
            code="no_placard_account",
        )
    return account
