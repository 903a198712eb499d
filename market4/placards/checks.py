"""Checking the code posted at a stall against the registry: the defence against
stuck-on fake QRs and swapped placards.

An inspector (market board, bank staff) stands at a stall and scans or pastes what is
posted there. The answer is about *this* stall:

- ``matches``: the code pays the account this stall's vendor registered — a live
  market4 placard of this stall, or the vendor's own bank-issued stand with the same
  BIN and account number;
- ``other_stall``: a genuine code of another stall (a placard or another vendor's
  account): swapped;
- ``outdated``: an old placard of this stall (superseded or revoked) or a closed account
  of this vendor, still posted;
- ``unregistered``: an account nobody registered: a stuck-on fake;
- ``invalid``: not a VietQR transfer code at all (nothing is recorded: scan again).

Every answer but ``invalid`` is recorded as a verification visit with what was scanned.
``other_stall`` and ``unregistered`` take the stall out of acceptance ("wrong_code_found")
until a later check matches; a match puts it back (and confirms an issued placard as
posted). The result carries registry objects; what a viewer may read of them is the
view's business (a bank never sees another bank's numbers or holder names).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market4.audit import services as audit
from market4.db import VIETNAM_TZ, now_utc, today
from market4.domain.vietqr import DecodedPayload, VietQRError, VietQRWarning, decode
from market4.errors import Conflict
from market4.extensions import db
from market4.placards import observations
from market4.placards import services as placards
from market4.registry import policy
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Stall, VerificationVisit
from market4.registry.placards import LIVE_STATUSES, Placard
from market4.registry.policy import Action
from market4.registry.stalls import current_occupant, current_status, set_stall_status, stall_name
from market4.registry.vendors import Occupancy, PaymentAccount
from market4.vocabulary import AccountStatus, PlacardStatus, StatusReason

__all__ = [
    "MATCHES",
    "OTHER_STALL",
    "OUTDATED",
    "UNREGISTERED",
    "INVALID",
    "StallCheck",
    "check_posted_code",
]

MATCHES, OTHER_STALL, OUTDATED, UNREGISTERED, INVALID = (
    "matches",
    "other_stall",
    "outdated",
    "unregistered",
    "invalid",
)
VISIT_OUTCOME = {
    MATCHES: "code_matches",
    OTHER_STALL: "code_other_stall",
    OUTDATED: "code_outdated",
    UNREGISTERED: "code_unregistered",
}
#: Verdicts that mean shoppers' money would go to the wrong person (WRONG_CODE_OUTCOMES).
WRONG_CODE = frozenset({OTHER_STALL, UNREGISTERED})
PAYLOAD_MAX = 512


@dataclass(frozen=True)
class StallCheck:
    """The answer for one scan at one stall (see the module docstring)."""

    verdict: str
    stall: Stall
    decoded: DecodedPayload | None = None
    # The market4 placard whose exact payload was scanned (of any stall), if any.
    placard: Placard | None = None
    # The registered account the scanned code pays, if any (this vendor's or another's).
    account: PaymentAccount | None = None
    # For OTHER_STALL: the stall the code belongs to, when it is a placard of ours.
    other_stall: Stall | None = None
    # MATCHES by the vendor's own bank stand rather than a placard of ours.
    own_stand: bool = False
    visit: VerificationVisit | None = None
    detail: str | None = None
    warnings: tuple[VietQRWarning, ...] = field(default=())

    @property
    def is_wrong_code(self) -> bool:
        return self.verdict in WRONG_CODE


def _classify(stall: Stall, decoded: DecodedPayload) -> StallCheck:
    payload, transfer = decoded.payload, decoded.transfer
    occupant = current_occupant(stall)
    found = list(
        db.session.scalars(
            select(Placard).where(Placard.payload == payload).order_by(Placard.id.desc())
        )
    )
    here = [p for p in found if p.stall_id == stall.id]
    live_here = next((p for p in here if p.status in LIVE_STATUSES), None)
    if live_here is not None:
        account = live_here.payment_account
        if (
            occupant is not None
            and account.vendor_id == occupant.id
            and account.status == AccountStatus.ACTIVE
        ):
            return StallCheck(MATCHES, stall, decoded, placard=live_here, account=account)
        return StallCheck(OUTDATED, stall, decoded, placard=live_here, account=account)
    live_elsewhere = next((p for p in found if p.status in LIVE_STATUSES), None)
    if live_elsewhere is not None:
        return StallCheck(
            OTHER_STALL,
            stall,
            decoded,
            placard=live_elsewhere,
            account=live_elsewhere.payment_account,
            other_stall=live_elsewhere.stall,
        )

    # Not a live placard of ours: whose account does the code pay?
    accounts = list(
        db.session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.bank_bin == transfer.bin,
                PaymentAccount.account_number == transfer.account.upper(),
            )
        )
    )
    account = next(
        (a for a in accounts if a.status == AccountStatus.ACTIVE), accounts[0] if accounts else None
    )
    old_here = here[0] if here else None
    if account is not None and occupant is not None and account.vendor_id == occupant.id:
        if account.status == AccountStatus.ACTIVE and old_here is None:
            return StallCheck(MATCHES, stall, decoded, account=account, own_stand=True)
        return StallCheck(OUTDATED, stall, decoded, placard=old_here, account=account)
    if old_here is not None:
        return StallCheck(OUTDATED, stall, decoded, placard=old_here, account=account)
    if account is not None:
        elsewhere = found[0].stall if found else _current_stall_of(account)
        return StallCheck(
            OTHER_STALL,
            stall,
            decoded,
            placard=found[0] if found else None,
            account=account,
            other_stall=elsewhere if found else None,
        )
    return StallCheck(UNREGISTERED, stall, decoded)


def _pays_occupant(result: StallCheck) -> bool:
    """Does the scanned code still pay this stall's vendor (an old print of a live account)?"""
    occupant = current_occupant(result.stall)
    account, placard = result.account, result.placard
    return (
        account is not None
        and occupant is not None
        and account.vendor_id == occupant.id
        and account.status == AccountStatus.ACTIVE
        and (placard is None or placard.status != PlacardStatus.REVOKED)
    )


def _current_stall_of(account: PaymentAccount) -> Stall | None:
    return db.session.scalar(
        select(Stall)
        .join(Occupancy, Occupancy.stall_id == Stall.id)
        .where(Occupancy.vendor_id == account.vendor_id, Occupancy.ended_on.is_(None))
    )


def check_posted_code(
    stall: Stall,
    text: Any,
    *,
    actor: Any,
    record: bool = True,
    channel: str = "web",
    on: date | None = None,
    note: str | None = None,
    observed_at: datetime | None = None,
) -> StallCheck:
    """Check what is posted at ``stall`` and (``record``) log it as a visit.

    A scan made on a phone without a network and sent later (docs/offline.md) says when
    it was ``observed_at``: the visit keeps that moment and its day in Vietnam, and
    ``observations.check_observed_at`` refuses one too old or in the future. What it saw
    is the scanned payload itself, so it is judged against the registry as it is now.

    ``text`` is the scanned payload. Decoding is lenient like the bank apps (a code
    they read is a code shoppers pay); its departures come back as ``warnings``.
    Without ``record`` (a read-only viewer) nothing is written and no permission is
    needed beyond seeing the stall. Raises PermissionDenied (``auth.policy``) or
    Conflict (closed stall) before anything is written.
    """
    if record:
        policy.check(Action.CHECK_CODE, actor, stall=stall)
    day = on or (observed_at.astimezone(VIETNAM_TZ).date() if observed_at else today())
    if record and observed_at is not None:
        observations.check_observed_at(observed_at, day)
    if record and not stall.is_open_on(day):
        raise Conflict(_l("%(stall)s đã đóng.", stall=stall_name(stall.code)), code="stall_closed")
    # Only the ends are trimmed: spaces inside a payload (a name in 59) are part of its CRC.
    payload = str(text or "").strip()[: PAYLOAD_MAX + 1]
    try:
        if len(payload) > PAYLOAD_MAX:
            raise VietQRError(None, f"longer than {PAYLOAD_MAX} characters")
        decoded = decode(payload)
    except VietQRError as error:
        return StallCheck(INVALID, stall, detail=str(error))
    result = replace(_classify(stall, decoded), warnings=decoded.warnings)
    if not record:
        return result
    visit = _record(result, actor=actor, channel=channel, day=day, note=note, at=observed_at)
    return replace(result, visit=visit)


def _record(
    result: StallCheck,
    *,
    actor: Any,
    channel: str,
    day: date,
    note: str | None,
    at: datetime | None,
) -> VerificationVisit:
    stall = result.stall
    reason_note = note or None
    if result.verdict == MATCHES:
        if result.placard is not None and result.placard.status == PlacardStatus.ISSUED:
            placards.mark_posted(
                result.placard, actor=actor, on=day, channel=channel, note=reason_note
            )
        elif current_status(stall, on=day) != ACCEPTING:
            set_stall_status(
                stall, ACCEPTING, reason="verified", on=day, actor=actor, note=reason_note
            )
    elif result.is_wrong_code or (result.verdict == OUTDATED and not _pays_occupant(result)):
        set_stall_status(
            stall,
            NOT_ACCEPTING,
            reason=StatusReason.WRONG_CODE_FOUND,
            on=day,
            actor=actor,
            note=reason_note,
        )
    visit = VerificationVisit(
        stall_id=stall.id,
        outcome=VISIT_OUTCOME[result.verdict],
        visited_on=day,
        note=reason_note,
        recorded_by_id=getattr(actor, "id", None),
        recorded_at=at or now_utc(),
        placard_id=result.placard.id
        if result.placard is not None and result.placard.stall_id == stall.id
        else None,
        scanned_payload=result.decoded.payload if result.decoded else None,
        found_placard_id=result.placard.id if result.placard else None,
        found_account_id=result.account.id if result.account else None,
    )
    db.session.add(visit)
    db.session.flush()
    after = {
        "stall_id": stall.id,
        "verdict": result.verdict,
        "placard_id": result.placard.id if result.placard else None,
        "visited_on": day.isoformat(),
    }
    if at is not None:  # the event's own time is when the server received it
        after["observed_at"] = at.isoformat()
    audit.record("check", visit, actor=actor, channel=channel, after=after)
    return visit
