"""Printing placards from the registry: ORM rows → frozen ``PlacardSpec`` → PDF/PNG bytes.

One code path serves the CLI (``market4 placards render``), the web (``/bang-ma``) and
the benchmark. A print run:

1. orders the stalls by code in natural order ("Sạp 2" before "Sạp 10", ``sorted_stalls``);
2. picks, for each stall, the active on-placard account of its current vendor — stalls
   without one are skipped with a reason the user sees;
3. plans one new placard per stall through the lifecycle service (serial, version and
   the exact payload; ``placards.services.plan_placards``);
4. checks every payload decodes to exactly the account's BIN and number (the
   money-safety check: a placard paying the wrong account is the worst possible bug),
5. renders all of them into one PDF — which may still refuse the layout (QR modules
   under 0.5 mm) — and only then
6. records the placards, superseding the stalls' earlier live ones, with ONE audit event.

Nothing is written to the database before the PDF exists, so a refused layout or a
failed check leaves the registry untouched. Functions flush and never commit.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from market4.banks.models import Bank
from market4.db import VIETNAM_TZ, now_utc, today
from market4.domain import banks as directory
from market4.domain.account_rules import DEFAULT_RULE, check_account_number
from market4.domain.placard_layout import (
    PREVIEW_MARK,
    PRINT_EC_LEVEL,
    PlacardSpec,
    check_print_ec_level,
    sheet_layout,
)
from market4.domain.placard_png import render_placard_png
from market4.domain.placard_sheets import render_placard, render_placards
from market4.domain.vietqr import SERVICE_CARD, VietQRError, decode
from market4.errors import Conflict, NotFound
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.i18n import N_
from market4.placards import services
from market4.registry import policy
from market4.registry.markets import Market, Stall
from market4.registry.ordering import sorted_stalls, stall_sort_key
from market4.registry.placards import Placard
from market4.registry.policy import Action
from market4.registry.stalls import last_visits, needs_visit, stall_name
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import SINGLE_LAYOUTS, AccountStatus, PlacardLayout, PlacardStatus

__all__ = [
    "LAYOUTS",
    "SINGLE_LAYOUTS",
    "PayloadMismatch",
    "PrintResult",
    "png_for_stall",
    "print_all",
    "print_market",
    "print_stalls",
    "spec_for",
    "verify_payload",
]

logger = logging.getLogger(__name__)

LAYOUTS = tuple(PlacardLayout)


# Why a stall is not printed; shown to the user next to the stall code.
# Marked with N_ and translated where shown.
SKIP_CLOSED = N_("Sạp đã đóng")
SKIP_VACANT = N_("Sạp chưa có tiểu thương")
SKIP_NO_ACCOUNT = N_("Tiểu thương chưa có tài khoản đang hoạt động để in lên bảng mã")


class PayloadMismatch(Conflict):
    """A payload does not pay exactly the registered account: never print it."""

    status = 500
    default_code = "payload_mismatch"


@dataclass
class PrintResult:
    """The PDF of a print run, the placards it recorded and the stalls it left out."""

    pdf: bytes
    placards: list[Placard]
    skipped: list[tuple[Stall, str]]
    superseded: list[str] = field(default_factory=list)  # serials
    pages: int = 0
    # Seconds spent per phase ("plan", "render", "record"): for the benchmark and logs.
    timings: dict[str, float] = field(default_factory=dict)


# --- ORM → spec -----------------------------------------------------------------------


def spec_for(stall: Stall, account: PaymentAccount, placard: Placard) -> PlacardSpec:
    """Everything the renderer prints for ``placard`` on ``stall``, paying ``account``."""
    bank: Bank | None = account.bank
    return PlacardSpec(
        payload=placard.payload,
        market_name=stall.market.name,
        stall_code=stall.code,
        vendor_display_name=account.vendor.display_name,
        bank_short_name=bank.short_name if bank else account.bank_bin,
        bank_brand_line=bank.name if bank else "",
        holder_name=account.holder_name,
        account_number=account.account_number,
        serial=placard.serial,
        version=placard.version,
        printed_on=placard.printed_at.astimezone(VIETNAM_TZ).date(),
        zone=stall.zone,
        row=stall.row,
        goods_category=stall.goods_category,
        mask_account=stall.market.mask_account_on_placards,
    )


def verify_payload(placard: Placard, account: PaymentAccount) -> None:
    """Raise PayloadMismatch unless ``placard.payload`` pays exactly ``account``, in our
    canonical form, to an account number its bank can have: never print anything else."""
    try:
        decoded = decode(placard.payload, strict=True)
    except VietQRError as error:
        raise PayloadMismatch(
            _l(
                "Bảng mã %(serial)s: mã VietQR không hợp lệ (%(error)s).",
                serial=placard.serial,
                error=error,
            )
        ) from error
    transfer = decoded.transfer
    if transfer.bin != account.bank_bin or transfer.account != account.account_number:
        logger.error(
            "Payload of %s pays %s/%s, registry says %s/%s",
            placard.serial,
            transfer.bin,
            transfer.account,
            account.bank_bin,
            account.account_number,
        )
        raise PayloadMismatch(
            _l(
                "Bảng mã %(serial)s: mã QR không trả vào đúng tài khoản đã đăng ký; không in.",
                serial=placard.serial,
            )
        )
    bank = directory.by_bin(transfer.bin)
    violation = check_account_number(
        transfer.account,
        bank.account_rules if bank else (DEFAULT_RULE,),
        is_card=transfer.service == SERVICE_CARD,
    )
    if violation is not None:
        logger.error(
            "Payload of %s pays %s/%s, which breaks the bank's rule %s",
            placard.serial,
            transfer.bin,
            transfer.account,
            violation.code,
        )
        raise PayloadMismatch(
            _l(
                "Bảng mã %(serial)s: số tài khoản không đúng quy tắc của ngân hàng (%(code)s); "
                "sửa tài khoản trước khi in.",
                serial=placard.serial,
                code=violation.code,
            ),
            code=violation.code,
        )


# --- choosing what to print -------------------------------------------------------------


def _placard_accounts(stalls: Sequence[Stall], keep: list[Any]) -> dict[int, PaymentAccount | None]:
    """stall id → the current vendor's active on-placard account (None: vendor, no account).

    Stalls missing from the result are vacant; the vendors are appended to ``keep``. Three queries for any number of stalls;
    the vendors, accounts and banks land in the identity map, so ``spec_for`` needs none.
    The session's identity map holds objects weakly, so they are appended to ``keep``
    for as long as the caller needs them.
    """
    ids = [stall.id for stall in stalls]
    if not ids:
        return {}
    vendors = dict(
        db.session.execute(
            select(Occupancy.stall_id, Vendor)
            .join(Vendor, Vendor.id == Occupancy.vendor_id)
            .where(
                Occupancy.stall_id.in_(ids),
                Occupancy.ended_on.is_(None),
                Vendor.is_active.is_(True),
            )
        ).all()
    )
    accounts = {
        account.vendor_id: account
        for account in db.session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.vendor_id.in_([vendor.id for vendor in vendors.values()]),
                PaymentAccount.is_on_placard.is_(True),
                PaymentAccount.status == AccountStatus.ACTIVE,
            )
        )
    }
    keep.extend(
        db.session.scalars(select(Bank))
    )  # ~70 rows: every account.bank is then a cache hit
    keep.extend(vendors.values())
    return {stall_id: accounts.get(vendor.id) for stall_id, vendor in vendors.items()}


def _load_markets(stalls: Iterable[Stall]) -> list[Market]:
    ids = {stall.market_id for stall in stalls}
    return list(db.session.scalars(select(Market).where(Market.id.in_(ids))))


def _count_pages(pdf: bytes) -> int:
    # reportlab writes one "/Type /Page" dictionary entry per page and no object streams.
    return pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page ")


# --- print runs ------------------------------------------------------------------------------

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_pause_state = {"was_enabled": True}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector during one print run.

    A district run allocates many short-lived objects (ORM rows, PDF operators) in a
    process that already holds many long-lived ones (SQLAlchemy, reportlab, fonts), and
    each full collection those allocations trigger re-scans all of them: pausing saved
    ~0.2 s of a ~1.4 s district run with no change in peak memory (docs/benchmarks.md,
    "Placards"). Reference counting still frees almost everything a run drops. A counter
    keeps concurrent runs in one process from re-enabling the collector under each other,
    and it is re-enabled only if it was enabled before the first pause.
    """
    global _gc_pauses
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_pause_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_pause_state["was_enabled"]:
                gc.enable()


@dataclass
class Selection:
    """What a print run would do: the stalls it prints, those it leaves out, and how many
    placards already posted on stalls it would supersede (they stop being valid)."""

    pairs: list[tuple[Stall, PaymentAccount]]
    skipped: list[tuple[Stall, str]]
    posted_superseded: int
    keep: list[Any]  # strong references to the loaded rows (see _placard_accounts)


def select_stalls(
    stalls: Iterable[Stall], *, only_outdated: bool = True, group_by_market: bool = False
) -> Selection:
    """Choose what to print among ``stalls``, in print order, without changing anything.

    ``only_outdated`` (the default everywhere: printing must not surprise) keeps the
    stalls in ``needs_reprint`` of their market (never printed, outdated or lost).
    """
    stalls = list({stall.id: stall for stall in stalls}.values())  # each stall once
    keep: list[Any] = _load_markets(stalls)
    if only_outdated:
        wanted: set[int] = set()
        for market_id in {stall.market_id for stall in stalls}:
            wanted.update(
                stall.id for stall in services.needs_reprint(db.session.get(Market, market_id))
            )
        stalls = [stall for stall in stalls if stall.id in wanted]
    if group_by_market:
        stalls.sort(
            key=lambda s: (vietnamese_sort_key(s.market.name), s.market_id, stall_sort_key(s))
        )
    else:
        stalls.sort(key=stall_sort_key)
    accounts = _placard_accounts(stalls, keep)
    today_ = today()
    pairs: list[tuple[Stall, PaymentAccount]] = []
    skipped: list[tuple[Stall, str]] = []
    for stall in stalls:
        account = accounts.get(stall.id)
        if not stall.is_open_on(today_):
            skipped.append((stall, SKIP_CLOSED))
        elif stall.id not in accounts:
            skipped.append((stall, SKIP_VACANT))
        elif account is None:
            skipped.append((stall, SKIP_NO_ACCOUNT))
        else:
            pairs.append((stall, account))
    posted = (
        set(
            db.session.scalars(
                select(Placard.stall_id).where(
                    Placard.stall_id.in_([stall.id for stall, _ in pairs]),
                    Placard.status == PlacardStatus.POSTED,
                )
            )
        )
        if pairs
        else set()
    )
    return Selection(pairs, skipped, len(posted), keep)


def _nothing_to_print(skipped: list[tuple[Stall, str]]) -> Conflict:
    if len(skipped) != 1:
        return Conflict(_l("Không có sạp nào để in bảng mã."), code="nothing_to_print")
    stall, reason = skipped[0]
    return Conflict(
        _l(
            "Không in được bảng mã cho %(stall)s: %(reason)s.",
            stall=stall.code,
            reason=LazyString(lambda: gettext(reason).lower()),
        ),
        code="nothing_to_print",
    )


@_gc_paused()
def print_stalls(
    stalls: Iterable[Stall],
    *,
    layout: str = "a4x4",
    actor: Any,
    channel: str = "web",
    cover_page: bool = True,
    only_outdated: bool = False,
    ec_level: str = PRINT_EC_LEVEL,
    title: str | None = None,
    group_by_market: bool = False,
    confirm_superseding: int = 0,
    supersede_posted: bool = False,
) -> PrintResult:
    """Issue a new placard for each printable stall and render them all as one PDF.

    ``only_outdated`` keeps only the stalls in ``needs_reprint`` of their market (never
    printed, outdated or lost); ``group_by_market`` orders by market name first. A run
    that would supersede placards already *posted* on stalls needs
    ``confirm_superseding`` equal to their number (the caller showed it to a person):
    otherwise Conflict "confirm_superseding" with ``details["posted"]``; a print job
    whose person agreed, for every market, before it started passes ``supersede_posted``
    instead (``placards.jobs``). Raises
    PermissionDenied (``auth.policy``), PlacardLayoutError (layout or EC level refused),
    Conflict "nothing_to_print", PayloadMismatch; the database is then unchanged.
    """
    sheet_layout(layout)  # unknown layout or EC level: refuse before any query
    ec_level = check_print_ec_level(ec_level)
    started = time.perf_counter()
    stalls = list(stalls)
    policy.check(Action.PRINT, actor, stalls=stalls)
    selection = select_stalls(stalls, only_outdated=only_outdated, group_by_market=group_by_market)
    pairs, skipped = selection.pairs, selection.skipped
    if not pairs:
        raise _nothing_to_print(skipped)
    policy.check(Action.PRINT, actor, pairs=pairs)
    if (
        selection.posted_superseded
        and not supersede_posted
        and confirm_superseding != selection.posted_superseded
    ):
        raise Conflict(
            _l(
                "In lại sẽ làm %(posted_superseded)s bảng mã đang dán tại sạp hết hiệu lực; cần "
                "xác nhận trước khi in.",
                posted_superseded=selection.posted_superseded,
            ),
            code="confirm_superseding",
            details={"posted": selection.posted_superseded},
        )

    placards = services.plan_placards(pairs, layout=layout, actor=actor)
    specs = []
    for placard, (stall, account) in zip(placards, pairs, strict=True):
        verify_payload(placard, account)
        specs.append(spec_for(stall, account, placard))
    planned = time.perf_counter()

    markets = {stall.market for stall, _ in pairs}
    pdf = render_placards(
        specs, layout=layout, ec_level=ec_level, cover_page=cover_page, title=title
    )
    rendered = time.perf_counter()

    superseded = services.record_placards(
        placards,
        actor=actor,
        channel=channel,
        details={
            "layout": layout,
            "ec_level": ec_level,
            "only_outdated": only_outdated,
            "markets": sorted(market.code for market in markets),
            "skipped": len(skipped),
        },
    )
    recorded = time.perf_counter()
    timings = {
        "plan": planned - started,
        "render": rendered - planned,
        "record": recorded - rendered,
        "total": recorded - started,
    }
    logger.info(
        "Printed %d placards (%s), %d skipped, in %.2f s",
        len(placards),
        layout,
        len(skipped),
        timings["total"],
    )
    return PrintResult(
        pdf=pdf,
        placards=placards,
        skipped=skipped,
        superseded=superseded,
        pages=_count_pages(pdf),
        timings=timings,
    )


def preview_stalls(
    stalls: Iterable[Stall],
    *,
    layout: str = "a4x4",
    cover_page: bool = False,
    only_outdated: bool = True,
    ec_level: str = PRINT_EC_LEVEL,
    title: str | None = None,
) -> bytes:
    """A sample PDF of what printing would give, watermarked "MẪU" and without a payable
    QR: no serial is issued and nothing is written. Conflict "nothing_to_print" when the
    selection is empty."""
    sheet_layout(layout)
    ec_level = check_print_ec_level(ec_level)
    selection = select_stalls(stalls, only_outdated=only_outdated)
    if not selection.pairs:
        raise _nothing_to_print(selection.skipped)
    printed_at = now_utc()
    specs = [
        spec_for(
            stall,
            account,
            Placard(
                serial=PREVIEW_MARK,
                version=0,
                payload=services.payload_for(account),
                printed_at=printed_at,
            ),
        )
        for stall, account in selection.pairs
    ]
    return render_placards(
        specs, layout=layout, ec_level=ec_level, cover_page=cover_page, title=title, preview=True
    )


def print_market(market: Market, **options: Any) -> PrintResult:
    """Every stall of ``market`` (see :func:`print_stalls` for the options)."""
    stalls = db.session.scalars(select(Stall).where(Stall.market_id == market.id))
    options.setdefault("title", f"Bảng mã VietQR – {market.name}")
    return print_stalls(stalls, **options)


def stalls_with_placard_accounts() -> list[Stall]:
    """Every open stall in the database whose vendor has a placard account."""
    return list(
        db.session.scalars(
            select(Stall)
            .join(Occupancy, (Occupancy.stall_id == Stall.id) & Occupancy.ended_on.is_(None))
            .join(Vendor, (Vendor.id == Occupancy.vendor_id) & Vendor.is_active.is_(True))
            .join(
                PaymentAccount,
                (PaymentAccount.vendor_id == Vendor.id)
                & PaymentAccount.is_on_placard.is_(True)
                & (PaymentAccount.status == AccountStatus.ACTIVE),
            )
        )
    )


def print_all(**options: Any) -> PrintResult:
    """Every open stall in the database whose vendor has a placard account, by market."""
    return print_stalls(stalls_with_placard_accounts(), group_by_market=True, **options)


def png_for_stall(stall: Stall) -> bytes:
    """The stall's live placard as a phone-screen PNG; no side effects.

    Raises NotFound when the stall has no live placard.
    """
    placard = services.live_placard(stall)
    if placard is None:
        raise NotFound(
            _l("%(stall)s chưa có bảng mã còn hiệu lực.", stall=stall_name(stall.code)),
            code="no_live_placard",
        )
    account = placard.payment_account
    verify_payload(placard, account)
    return render_placard_png(spec_for(stall, account, placard))


def current_pdf_for_stall(
    stall: Stall, account: PaymentAccount, *, layout: str = "a6"
) -> bytes | None:
    """The stall's live placard for ``account`` as a PDF, without issuing anything; None
    when no live placard carries exactly that account's payload (then print one)."""
    placard = services.current_placard(stall, account)
    if placard is None:
        return None
    verify_payload(placard, account)
    return render_placard(spec_for(stall, account, placard), layout=layout)


# --- reading the registry: overview, reprint reasons, inspector ---------------------------

# Marked with N_; pages show them through _().
REASON_NEVER = N_("Chưa in bảng mã")
REASON_OUTDATED = N_("Thông tin đã thay đổi, cần in lại")
REASON_REVOKED = N_("Bảng mã bị thu hồi (mất hoặc bị dán đè)")


@dataclass(frozen=True)
class StallRow:
    """One line of a market's placard overview."""

    stall: Stall
    vendor: Vendor | None
    account: PaymentAccount | None
    live: Placard | None
    reprint_reason: str | None
    needs_visit: bool = False


def market_overview(market: Market) -> list[StallRow]:
    """Every stall of ``market`` in print order, with its live placard and whether it
    needs a (re)print and why. A handful of queries whatever the market's size."""
    stalls = list(db.session.scalars(select(Stall).where(Stall.market_id == market.id)))
    keep: list[Any] = []
    accounts = _placard_accounts(stalls, keep)
    vendors = {
        account.vendor_id: account.vendor for account in accounts.values() if account is not None
    }
    vendors.update((vendor.id, vendor) for vendor in keep if isinstance(vendor, Vendor))
    occupant = dict(
        db.session.execute(
            select(Occupancy.stall_id, Occupancy.vendor_id).where(
                Occupancy.stall_id.in_([s.id for s in stalls]), Occupancy.ended_on.is_(None)
            )
        ).all()
    )
    placards = list(
        db.session.scalars(
            select(Placard)
            .where(Placard.stall_id.in_([s.id for s in stalls]))
            .order_by(Placard.version, Placard.id)
        )
    )
    live: dict[int, Placard] = {}
    last: dict[int, Placard] = {}
    for placard in placards:
        last[placard.stall_id] = placard
        if placard.status in (PlacardStatus.ISSUED, PlacardStatus.POSTED):
            live[placard.stall_id] = placard
    needing = {stall.id for stall in services.needs_reprint(market)}
    visited = last_visits(list(live))  # only a live placard can need a visit
    today_ = today()
    rows = []
    for stall in sorted_stalls(stalls):
        reason = None
        if stall.id in needing:
            previous = last.get(stall.id)
            reason = (
                REASON_NEVER
                if previous is None
                else REASON_REVOKED
                if previous.status == PlacardStatus.REVOKED
                else REASON_OUTDATED
            )
        rows.append(
            StallRow(
                stall,
                vendors.get(occupant.get(stall.id, -1)),
                accounts.get(stall.id),
                live.get(stall.id),
                reason,
                needs_visit(stall.id in live, visited.get(stall.id), today_),
            )
        )
    return rows


@dataclass(frozen=True)
class Inspection:
    """What the registry says about a scanned payload.

    ``verdict``: "match" (a live placard carries exactly this payload and it pays the
    registered account), "revoked", "superseded", "unknown" (no placard ever carried
    it) or "invalid" (not a valid VietQR payload).
    """

    verdict: str
    placard: Placard | None = None
    detail: str | None = None

    @property
    def is_match(self) -> bool:
        return self.verdict == "match"


def inspect_payload(text: str) -> Inspection:
    """Decode ``text`` as bank apps would and look for the placard carrying it exactly.

    This check does not know where the code is posted: a match names the stall the
    placard belongs to, and the inspector compares. The stall-aware check, which also
    recognises a vendor's own bank stand and records the visit, is ``placards.checks``.
    """
    payload = (text or "").strip()
    try:
        decode(payload)
    except VietQRError as error:
        return Inspection("invalid", detail=str(error))
    found = list(
        db.session.scalars(
            select(Placard)
            .where(Placard.payload == payload)
            .order_by(Placard.printed_at.desc(), Placard.id.desc())
        )
    )
    live = next(
        (p for p in found if p.status in (PlacardStatus.ISSUED, PlacardStatus.POSTED)), None
    )
    if live is not None:
        try:
            verify_payload(live, live.payment_account)
        except PayloadMismatch as error:
            return Inspection("unknown", detail=error.message)
        return Inspection("match", live)
    if not found:
        return Inspection("unknown")
    return Inspection(
        "revoked" if found[0].status == PlacardStatus.REVOKED else "superseded", found[0]
    )
