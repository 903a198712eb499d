"""The placard lifecycle: issued → posted → superseded | revoked, with an audit trail.

Rendering and printing live in ``placards.printing``; this module decides *what* may be
printed and keeps the registry the inspectors verify against (docs/domain.md, “Placards and the registry”).

Rules:

- A stall has at most one live (issued or posted) placard. Issuing a new one supersedes
  the others, even when the new one carries the identical payload: that is a reprint of
  a lost, torn or faded placard. The old serial stops being valid so an inspector can
  tell the current sheet from an old copy; the stall's acceptance is untouched because
  the QR still pays the same account.
- ``version`` counts the placards ever issued for a stall (1, 2, 3…), whatever account
  they carried, so "v3" on a sheet says it is the stall's third.
- Serials are ``P`` + 7 digits, one more than the highest ``P`` serial in the table;
  other prefixes (the demo's ``CD0000001``) are ignored, so the schemes never collide.
  Two transactions issuing at the same moment can pick the same serial; the unique
  constraint then fails one commit, which the caller may retry.
- Superseded and revoked placards are never made live again. Revoked means "must not be
  trusted" (lost, or a fake QR stuck over it) and takes the stall out of acceptance.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from market4.audit import services as audit
from market4.auth.models import Organisation
from market4.db import VIETNAM_TZ, now_utc, today
from market4.domain.vietqr import SERVICE_ACCOUNT, SERVICE_CARD, Transfer, VietQRError, encode
from market4.errors import Conflict, FieldError, ValidationFailed
from market4.extensions import db
from market4.registry import policy
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Market, Stall
from market4.registry.ordering import sorted_stalls
from market4.registry.placards import LIVE_STATUSES, Placard
from market4.registry.policy import Action
from market4.registry.stalls import current_occupant, current_status, set_stall_status, stall_name
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import AccountStatus, PlacardStatus, StatusReason

__all__ = [
    "SERIAL_DIGITS",
    "SERIAL_PREFIX",
    "current_placard",
    "PrintRun",
    "issue_placard",
    "live_placard",
    "live_placards",
    "mark_posted",
    "needs_reprint",
    "next_serial",
    "payload_for",
    "plan_placards",
    "record_placards",
    "revoke_placard",
    "set_account_display",
    "supersede_placards",
]

logger = logging.getLogger(__name__)

SERIAL_PREFIX = "P"
SERIAL_DIGITS = 7
LAYOUT_MAX = 10  # placards.layout column; the layouts themselves belong to placards.printing


def payload_for(account: PaymentAccount) -> str:
    """The static VietQR payload (no amount, no memo) a placard for ``account`` carries."""
    service = SERVICE_CARD if account.is_card else SERVICE_ACCOUNT
    return encode(Transfer(bin=account.bank_bin, account=account.account_number, service=service))


def next_serial() -> str:
    """The next free serial of our scheme: "P0000001", "P0000002"…"""
    pattern = SERIAL_PREFIX + "_" * SERIAL_DIGITS
    # Fixed width, so the text order of the digits is their numeric order.
    query = (
        select(Placard.serial).where(Placard.serial.like(pattern)).order_by(Placard.serial.desc())
    )
    highest = 0
    # The newest serial is almost always the first row; read a few, and all of them only
    # if those few are foreign serials that merely look like ours ("PABCDEFG").
    for candidates in (query.limit(20), query):
        found = [
            int(serial[len(SERIAL_PREFIX) :])
            for serial in db.session.scalars(candidates)
            if serial.startswith(SERIAL_PREFIX)
            and serial[len(SERIAL_PREFIX) :].isascii()
            and serial[len(SERIAL_PREFIX) :].isdigit()
        ]
        if found:
            highest = found[0]
            break
    if highest + 1 >= 10**SERIAL_DIGITS:
        raise RuntimeError("placard serials exhausted: widen SERIAL_DIGITS")
    return f"{SERIAL_PREFIX}{highest + 1:0{SERIAL_DIGITS}d}"


def live_placards(
    stall: Stall | None = None, account: PaymentAccount | None = None
) -> list[Placard]:
    """Issued or posted placards of ``stall`` and/or ``account``, newest first."""
    if stall is None and account is None:
        raise ValueError("live_placards needs a stall or an account")
    query = select(Placard).where(Placard.status.in_(LIVE_STATUSES))
    if stall is not None:
        query = query.where(Placard.stall_id == stall.id)
    if account is not None:
        query = query.where(Placard.payment_account_id == account.id)
    return list(db.session.scalars(query.order_by(Placard.version.desc(), Placard.id.desc())))


def live_placard(stall: Stall) -> Placard | None:
    """The stall's live placard (normally the only one), or None."""
    placards = live_placards(stall)
    return placards[0] if placards else None


def current_placard(stall: Stall, account: PaymentAccount) -> Placard | None:
    """The live placard of ``stall`` carrying exactly ``account``'s payload, or None."""
    payload = payload_for(account)
    return next(
        (
            p
            for p in live_placards(stall)
            if p.payment_account_id == account.id and p.payload == payload
        ),
        None,
    )


def issue_placard(
    stall: Stall,
    account: PaymentAccount,
    *,
    layout: str = "a6",
    actor: Any,
    channel: str = "web",
) -> Placard:
    """Record a new placard for ``stall`` paying into ``account`` (status "issued").

    The account must be the active on-placard account of the stall's current vendor.
    Every other live placard of the stall is superseded (see the module docstring for
    reprints). Raises Conflict or ValidationFailed; nothing is written then.
    """
    if not layout or len(layout) > LAYOUT_MAX:
        raise ValidationFailed(
            [FieldError("layout", _l("Mẫu bảng mã không hợp lệ."), "invalid_layout")]
        )
    if not stall.is_open_on(today()):
        raise Conflict(_l("Sạp đã đóng, không in bảng mã."), code="stall_closed")
    if account.status != AccountStatus.ACTIVE:
        raise Conflict(_l("Tài khoản đã đóng, không in bảng mã."), code="account_closed")
    if not account.is_on_placard:
        raise Conflict(
            _l("Tài khoản này không được chọn để in lên bảng mã."), code="account_not_on_placard"
        )
    occupant = current_occupant(stall)
    if occupant is None or occupant.id != account.vendor_id:
        raise Conflict(
            _l("Chủ tài khoản không phải tiểu thương đang kinh doanh tại sạp này."),
            code="account_not_at_stall",
        )
    try:
        payload = payload_for(account)
    except VietQRError as error:
        raise ValidationFailed(
            [
                FieldError(
                    "account_number",
                    _l("Không tạo được mã VietQR: %(rule)s", rule=error.rule),
                    "invalid_for_vietqr",
                )
            ]
        ) from error
    previous = live_placards(stall)
    latest_version = db.session.scalar(
        select(func.max(Placard.version)).where(Placard.stall_id == stall.id)
    )
    version = (latest_version or 0) + 1
    placard = Placard(
        serial=next_serial(),
        stall_id=stall.id,
        payment_account_id=account.id,
        payload=payload,
        version=version,
        layout=layout,
        status=PlacardStatus.ISSUED,
        printed_at=now_utc(),
        printed_by_id=getattr(actor, "id", None),
    )
    db.session.add(placard)
    db.session.flush()
    # A posted placard with another QR was what the stall accepted through; a reprint
    # of the same QR leaves acceptance alone.
    posted_other_qr = any(
        old.status == PlacardStatus.POSTED and old.payload != payload for old in previous
    )
    for old in previous:
        reprint = old.payload == payload and old.payment_account_id == account.id
        _end(
            old,
            "superseded",
            f"{'reprinted' if reprint else 'replaced'} by {placard.serial}",
            actor=actor,
            channel=channel,
        )
    if posted_other_qr:
        _drop_acceptance_if_unbacked(stall, "placard_superseded", on=None, actor=actor)
    audit.record(
        "issue",
        placard,
        actor=actor,
        channel=channel,
        after={
            "serial": placard.serial,
            "stall_id": stall.id,
            "payment_account_id": account.id,
            "version": version,
            "layout": layout,
        },
    )
    db.session.flush()
    logger.info("Placard %s issued for stall %s", placard.serial, stall.id)
    return placard


def supersede_placards(
    stall: Stall | None = None,
    account: PaymentAccount | None = None,
    *,
    reason: str,
    actor: Any,
    channel: str = "web",
    stall_status_reason: str | None = None,
    on: date | None = None,
) -> list[Placard]:
    """End the live placards of ``stall`` and/or ``account`` because something printed changed.

    With ``stall_status_reason`` (e.g. "placard_superseded", "account_closed"), every
    affected stall that is accepting and has no live posted placard left becomes
    not_accepting with that reason, effective ``on`` (default today).
    """
    placards = live_placards(stall, account)
    for placard in placards:
        _end(placard, "superseded", reason, actor=actor, channel=channel)
    if stall_status_reason is not None:
        for affected in _stalls_of(placards):
            _drop_acceptance_if_unbacked(affected, stall_status_reason, on=on, actor=actor)
    db.session.flush()
    return placards


def revoke_placard(
    placard: Placard, *, reason: str, actor: Any, channel: str = "web", on: date | None = None
) -> Placard:
    """Revoke a lost or swapped placard: it must never be trusted again.

    The stall becomes not_accepting ("placard_revoked") unless another live posted
    placard remains on it.
    """
    policy.check(Action.REVOKE, actor, placard=placard)
    if placard.status not in LIVE_STATUSES:
        raise Conflict(
            _l("Bảng mã %(serial)s không còn hiệu lực.", serial=placard.serial),
            code="placard_not_live",
        )
    _end(placard, "revoked", reason, actor=actor, channel=channel)
    _drop_acceptance_if_unbacked(placard.stall, "placard_revoked", on=on, actor=actor)
    db.session.flush()
    return placard


def mark_posted(
    placard: Placard,
    *,
    actor: Any,
    on: date | None = None,
    channel: str = "web",
    note: str | None = None,
) -> Placard:
    """Confirm the placard is on its stall: status "posted", and the stall accepts from ``on``.

    Only a current placard may be posted: live, on an open stall, carrying exactly the
    payload of its account, which must still be the occupant's active placard account.
    """
    day = on or today()
    if placard.status not in LIVE_STATUSES:
        raise Conflict(
            _l("Bảng mã %(serial)s không còn hiệu lực, cần in lại.", serial=placard.serial),
            code="placard_not_live",
        )
    stall = placard.stall
    account = placard.payment_account
    occupant = current_occupant(stall)
    if (
        not stall.is_open_on(day)
        or account.status != AccountStatus.ACTIVE
        or not account.is_on_placard
        or occupant is None
        or occupant.id != account.vendor_id
        or placard.payload != payload_for(account)
    ):
        raise Conflict(
            _l("Bảng mã %(serial)s không khớp với sạp/tài khoản hiện tại.", serial=placard.serial),
            code="placard_outdated",
        )
    if placard.status != PlacardStatus.POSTED:
        placard.status = "posted"
        placard.posted_at = (
            now_utc() if day == today() else datetime.combine(day, time(12), VIETNAM_TZ)
        )
        audit.record(
            "post",
            placard,
            actor=actor,
            channel=channel,
            before={"status": "issued"},
            after={"status": "posted", "posted_on": day.isoformat()},
        )
    set_stall_status(
        stall, ACCEPTING, reason=StatusReason.PLACARD_POSTED, on=day, actor=actor, note=note
    )
    db.session.flush()
    return placard


def needs_reprint(market: Market) -> list[Stall]:
    """Open stalls whose current vendor has an active on-placard account but no live
    placard carrying exactly that account's payload: never printed, outdated
    (superseded) or lost (revoked). In natural code order (``registry.ordering``)."""
    day = today()
    in_market = db.session.scalars(select(Stall).where(Stall.market_id == market.id))
    stalls = {stall.id: stall for stall in in_market if stall.is_open_on(day)}
    if not stalls:
        return []
    occupancies = db.session.execute(
        select(Occupancy.stall_id, Vendor)
        .join(Vendor, Vendor.id == Occupancy.vendor_id)
        .where(
            Occupancy.stall_id.in_(stalls), Occupancy.ended_on.is_(None), Vendor.is_active.is_(True)
        )
    ).all()
    vendor_ids = {vendor.id for _, vendor in occupancies}
    accounts = {
        account.vendor_id: account
        for account in db.session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.vendor_id.in_(vendor_ids),
                PaymentAccount.is_on_placard.is_(True),
                PaymentAccount.status == AccountStatus.ACTIVE,
            )
        )
    }
    current = {
        (placard.stall_id, placard.payment_account_id, placard.payload)
        for placard in db.session.scalars(
            select(Placard).where(Placard.stall_id.in_(stalls), Placard.status.in_(LIVE_STATUSES))
        )
    }
    missing = []
    for stall_id, vendor in occupancies:
        account = accounts.get(vendor.id)
        if account is not None and (stall_id, account.id, payload_for(account)) not in current:
            missing.append(stalls[stall_id])
    return sorted_stalls(missing)


# --- bulk issuing (printing a market or a district in one run) ------------------------


class PrintRun:
    """What the single audit event of a print run is about (it has no table of its own)."""

    id = None


def plan_placards(
    pairs: Sequence[tuple[Stall, PaymentAccount]], *, layout: str, actor: Any
) -> list[Placard]:
    """Transient placards for ``(stall, account)`` pairs, checked like :func:`issue_placard`.

    Serials and versions are allocated and payloads computed, but nothing is added to the
    session: the caller renders first (a layout can still be refused) and then calls
    :func:`record_placards`. A few queries in all, whatever the number of pairs.
    Raises Conflict or ValidationFailed naming the stall; nothing is written then.
    """
    if not layout or len(layout) > LAYOUT_MAX:
        raise ValidationFailed(
            [FieldError("layout", _l("Mẫu bảng mã không hợp lệ."), "invalid_layout")]
        )
    if not pairs:
        return []
    stall_ids = [stall.id for stall, _ in pairs]
    if len(set(stall_ids)) != len(stall_ids):
        raise ValueError("plan_placards: a stall appears twice")
    day = today()
    occupants = dict(
        db.session.execute(
            select(Occupancy.stall_id, Occupancy.vendor_id).where(
                Occupancy.stall_id.in_(stall_ids), Occupancy.ended_on.is_(None)
            )
        ).all()
    )
    versions = dict(
        db.session.execute(
            select(Placard.stall_id, func.max(Placard.version))
            .where(Placard.stall_id.in_(stall_ids))
            .group_by(Placard.stall_id)
        ).all()
    )
    first = int(next_serial()[len(SERIAL_PREFIX) :])
    if first + len(pairs) > 10**SERIAL_DIGITS:
        raise RuntimeError("placard serials exhausted: widen SERIAL_DIGITS")
    printed_at = now_utc()
    actor_id = getattr(actor, "id", None)
    planned = []
    for offset, (stall, account) in enumerate(pairs):
        if not stall.is_open_on(day):
            raise Conflict(
                _l("%(stall)s: sạp đã đóng, không in bảng mã.", stall=stall_name(stall.code)),
                code="stall_closed",
            )
        if account.status != AccountStatus.ACTIVE:
            raise Conflict(
                _l("%(stall)s: tài khoản đã đóng, không in bảng mã.", stall=stall_name(stall.code)),
                code="account_closed",
            )
        if not account.is_on_placard:
            raise Conflict(
                _l(
                    "%(stall)s: tài khoản này không được chọn để in lên bảng mã.",
                    stall=stall_name(stall.code),
                ),
                code="account_not_on_placard",
            )
        if occupants.get(stall.id) != account.vendor_id:
            raise Conflict(
                _l(
                    "%(stall)s: chủ tài khoản không phải tiểu thương đang kinh doanh tại sạp.",
                    stall=stall_name(stall.code),
                ),
                code="account_not_at_stall",
            )
        try:
            payload = payload_for(account)
        except VietQRError as error:
            raise ValidationFailed(
                [
                    FieldError(
                        "account_number",
                        _l(
                            "%(stall)s: không tạo được mã VietQR: %(rule)s",
                            stall=stall_name(stall.code),
                            rule=error.rule,
                        ),
                        "invalid_for_vietqr",
                    )
                ]
            ) from error
        placard = Placard(
            serial=f"{SERIAL_PREFIX}{first + offset:0{SERIAL_DIGITS}d}",
            stall_id=stall.id,
            payment_account_id=account.id,
            payload=payload,
            version=(versions.get(stall.id) or 0) + 1,
            layout=layout,
            status=PlacardStatus.ISSUED,
            printed_at=printed_at,
            printed_by_id=actor_id,
        )
        # Both are already loaded: the renderer reads them without a query.
        placard.stall, placard.payment_account = stall, account
        planned.append(placard)
    return planned


def record_placards(
    placards: Sequence[Placard],
    *,
    actor: Any,
    channel: str = "web",
    details: dict[str, Any] | None = None,
) -> list[str]:
    """Write planned placards and supersede every other live placard of their stalls.

    The bulk form of :func:`issue_placard`, with the same rules, in a constant number of
    statements (one batched INSERT, one UPDATE executed for all superseded rows) and ONE
    audit event "print" for the run that lists the new and the superseded serials.
    Returns the superseded serials.
    """
    if not placards:
        return []
    by_stall = {placard.stall_id: placard for placard in placards}
    # Plain rows, not ORM objects: a district reprint ends ~1,400 placards at once.
    previous = db.session.execute(
        select(
            Placard.id,
            Placard.stall_id,
            Placard.serial,
            Placard.status,
            Placard.payload,
            Placard.payment_account_id,
        )
        .where(Placard.stall_id.in_(by_stall), Placard.status.in_(LIVE_STATUSES))
        .order_by(Placard.id)
    ).all()
    db.session.add_all(placards)
    db.session.flush()
    ended_at = now_utc()
    changes = []
    unbacked: dict[int, Stall] = {}
    for old in previous:
        new = by_stall[old.stall_id]
        reprint = old.payload == new.payload and old.payment_account_id == new.payment_account_id
        if old.status == PlacardStatus.POSTED and old.payload != new.payload:
            unbacked[old.stall_id] = new.stall
        changes.append(
            {
                "id": old.id,
                "status": "superseded",
                "ended_at": ended_at,
                "end_reason": f"{'reprinted' if reprint else 'replaced'} by {new.serial}",
            }
        )
    if changes:
        db.session.execute(update(Placard), changes)
        _expire_loaded(Placard, {change["id"] for change in changes})
    for stall in unbacked.values():
        _drop_acceptance_if_unbacked(stall, "placard_superseded", on=None, actor=actor)
    superseded = [old.serial for old in previous]
    audit.record(
        "print",
        PrintRun(),
        actor=actor,
        channel=channel,
        after={
            **(details or {}),
            "placards": len(placards),
            "serials": [placard.serial for placard in placards],
            "superseded": superseded,
        },
    )
    db.session.flush()
    logger.info(
        "Print run: %d placards issued (%s…%s), %d superseded",
        len(placards),
        placards[0].serial,
        placards[-1].serial,
        len(superseded),
    )
    return superseded


def _expire_loaded(model: type, ids: set[int]) -> None:
    """Expire already loaded rows an UPDATE by primary key has changed behind the ORM's back."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and obj.id in ids:
            db.session.expire(obj)


# --- helpers ---------------------------------------------------------------------------


def _end(placard: Placard, status: str, reason: str, *, actor: Any, channel: str) -> None:
    before = placard.status
    placard.status = status
    placard.ended_at = now_utc()
    placard.end_reason = reason[:255]
    audit.record(
        "supersede" if status == PlacardStatus.SUPERSEDED else "revoke",
        placard,
        actor=actor,
        channel=channel,
        before={"status": before},
        after={"status": status, "reason": placard.end_reason},
    )


def _stalls_of(placards: Iterable[Placard]) -> list[Stall]:
    seen: dict[int, Stall] = {}
    for placard in placards:
        seen.setdefault(placard.stall_id, placard.stall)
    return list(seen.values())


def _drop_acceptance_if_unbacked(stall: Stall, reason: str, *, on: date | None, actor: Any) -> None:
    """An accepting stall with no live posted placard left stops counting as accepting."""
    day = on or today()
    if current_status(stall, on=day) != ACCEPTING:
        return
    still_posted = db.session.scalar(
        select(func.count(Placard.id)).where(
            Placard.stall_id == stall.id, Placard.status == PlacardStatus.POSTED
        )
    )
    if not still_posted:
        set_stall_status(stall, NOT_ACCEPTING, reason=reason, on=day, actor=actor)


def set_account_display(
    market: Market, *, masked: bool, actor: Any, channel: str = "web"
) -> Market:
    """Choose whether ``market``'s placards print the account number in full (the
    default) or only its last digits. Placards already printed stay valid: their QR
    pays the same account; the choice applies to the next print."""
    policy.check(Action.STALLS, actor, market=market)
    if market.mask_account_on_placards == masked:
        return market
    market.mask_account_on_placards = masked
    db.session.flush()
    audit.record(
        "update",
        market,
        actor=actor,
        channel=channel,
        before={"mask_account_on_placards": not masked},
        after={"mask_account_on_placards": masked},
    )
    return market


def choose_placard_account(
    account: PaymentAccount, *, organisation: Organisation | None, actor: Any, channel: str = "web"
) -> list[Placard]:
    """Make ``account`` the one the vendor's placard pays: the vendor's choice, recorded
    by the market board. Placards carrying the previous account are superseded (their
    stalls stop counting as accepting until the reprint is posted); returns them."""
    policy.check(Action.CHOOSE_PLACARD_ACCOUNT, actor, organisation=organisation, account=account)
    if account.status != AccountStatus.ACTIVE:
        raise Conflict(_l("Tài khoản đã đóng."), code="account_closed")
    previous = account.vendor.placard_account
    if previous is not None and previous.id == account.id:
        return []
    superseded: list[Placard] = []
    if previous is not None:
        previous.is_on_placard = False
        db.session.flush()  # one placard account per vendor: the unique index must see this first
        superseded = supersede_placards(
            account=previous,
            reason="placard account changed",
            actor=actor,
            channel=channel,
            stall_status_reason=StatusReason.PLACARD_SUPERSEDED,
        )
    account.is_on_placard = True
    audit.record(
        "choose_placard_account",
        account,
        actor=actor,
        channel=channel,
        before={"account_id": previous.id if previous else None},
        after={"account_id": account.id},
    )
    db.session.flush()
    return superseded
