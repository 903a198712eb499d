"""Merging person records that were registered twice for the same vendor.

Until partners could register an account for the vendor already at a stall, they had to
"replace" them, which created a second ``Vendor`` row for the same person: same phone,
same folded name. An admin reviews the candidates (:func:`duplicate_groups`), looks at
what a merge would do (:func:`merge_preview`) and merges (:func:`merge_vendors`).

Candidate rule (active vendors that were not merged already):

- **likely** (``same_phone_same_name``): the same E.164 phone and the same bank-style
  (folded, upper-case ASCII) name — the shape the forced "replace" left behind.
- **possible** (``same_phone``): the same phone but different folded names. Relatives
  share phones, so the admin must look; a typo in the name also lands here.
- **possible** (``same_name_no_phone``): the same folded name, at least one of them
  without a phone and no two different phones among them, who traded (now or before)
  at the same market. Without a phone, a common name alone ("NGUYEN THI LAN") says too
  little nationwide; the market narrows it to the one place a replacement happened.

A merge moves everything of the duplicate to the kept record and keeps the duplicate
row (inactive, ``merged_into_id`` set) so old references and the audit trail still
resolve. Like every service: explicit arguments, refusals raised before anything
changes, one flush, never a commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import joinedload

from market4.audit import services as audit
from market4.db import today
from market4.domain.vietqr import VietQRError
from market4.errors import Conflict, FieldError, ValidationFailed
from market4.extensions import db
from market4.placards import services as placards
from market4.registry import policy
from market4.registry.imports import ImportRow
from market4.registry.markets import Stall
from market4.registry.ordering import sorted_stalls
from market4.registry.placards import LIVE_STATUSES, Placard
from market4.registry.policy import Action
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors.duplicates import matching_any
from market4.vendors.services import account_snapshot
from market4.vocabulary import AccountStatus, StatusReason

__all__ = [
    "SAME_NAME_NO_PHONE",
    "SAME_PHONE",
    "SAME_PHONE_SAME_NAME",
    "Candidate",
    "DuplicateGroup",
    "MergePreview",
    "MergeResult",
    "duplicate_groups",
    "merge_preview",
    "merge_vendors",
]

SAME_PHONE_SAME_NAME = "same_phone_same_name"
SAME_PHONE = "same_phone"
SAME_NAME_NO_PHONE = "same_name_no_phone"
_RULE_ORDER = {SAME_PHONE_SAME_NAME: 0, SAME_PHONE: 1, SAME_NAME_NO_PHONE: 2}


# --- finding candidates ---------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One vendor of a group, with what matters when choosing the record to keep."""

    vendor: Vendor
    # Stalls the vendor trades at now (open occupancies), each with its market loaded.
    stalls: tuple[Stall, ...] = ()
    has_placard_account: bool = False
    # Their on-placard account is on a live (issued or posted) placard somewhere.
    has_live_placard: bool = False


@dataclass(frozen=True)
class DuplicateGroup:
    """Vendors that look like one person; ``members[0]`` is the suggested record to keep.

    The suggestion avoids reprints: the record whose placard account is on a live placard
    first, then one trading at a stall now, then the oldest.
    """

    rule: str  # SAME_PHONE_SAME_NAME, SAME_PHONE or SAME_NAME_NO_PHONE
    key: str  # the shared phone (E.164) or the shared bank-style name
    members: tuple[Candidate, ...]

    @property
    def likely(self) -> bool:
        return self.rule == SAME_PHONE_SAME_NAME

    @property
    def keep(self) -> Candidate:
        return self.members[0]

    @property
    def duplicates(self) -> tuple[Candidate, ...]:
        return self.members[1:]


def _mergeable() -> tuple[Any, ...]:
    return (Vendor.is_active.is_(True), Vendor.merged_into_id.is_(None))


def duplicate_groups() -> list[DuplicateGroup]:
    """Every group of active, not merged vendors that may be one person (see the module
    docstring for the rule): likely groups first, then the newest registrations first.

    Two GROUP BY queries find the groups; a few more load their members and what the
    page shows about them, whatever the number of vendors.
    """
    phone_groups = db.session.execute(
        select(Vendor.phone_e164, func.count(Vendor.bank_style_name.distinct()))
        .where(*_mergeable(), Vendor.phone_e164.is_not(None))
        .group_by(Vendor.phone_e164)
        .having(func.count(Vendor.id) > 1)
    ).all()
    phoneless_id = case((Vendor.phone_e164.is_(None), Vendor.id))
    name_groups = db.session.execute(
        select(Vendor.bank_style_name, Stall.market_id)
        .join(Occupancy, Occupancy.vendor_id == Vendor.id)
        .join(Stall, Stall.id == Occupancy.stall_id)
        .where(*_mergeable())
        .group_by(Vendor.bank_style_name, Stall.market_id)
        .having(
            func.count(Vendor.id.distinct()) > 1,
            func.count(phoneless_id.distinct()) > 0,
            func.count(Vendor.phone_e164.distinct()) <= 1,
        )
    ).all()
    if not phone_groups and not name_groups:
        return []

    by_phone: dict[str, list[Vendor]] = {}
    for condition in matching_any(Vendor.phone_e164, [phone for phone, _ in phone_groups]):
        for vendor in db.session.scalars(select(Vendor).where(condition, *_mergeable())):
            by_phone.setdefault(vendor.phone_e164 or "", []).append(vendor)
    wanted = set(name_groups)
    by_name: dict[tuple[str, int], dict[int, Vendor]] = {}
    for condition in matching_any(Vendor.bank_style_name, {name for name, _ in name_groups}):
        rows = db.session.execute(
            select(Vendor, Stall.market_id)
            .join(Occupancy, Occupancy.vendor_id == Vendor.id)
            .join(Stall, Stall.id == Occupancy.stall_id)
            .where(condition, *_mergeable())
        )
        for vendor, market_id in rows:
            if (vendor.bank_style_name, market_id) in wanted:
                by_name.setdefault((vendor.bank_style_name, market_id), {})[vendor.id] = vendor

    raw: list[tuple[str, str, list[Vendor]]] = []
    names_per_phone = dict(phone_groups)
    for phone, vendors in by_phone.items():
        if len(vendors) > 1:
            rule = SAME_PHONE_SAME_NAME if names_per_phone.get(phone) == 1 else SAME_PHONE
            raw.append((rule, phone, vendors))
    seen_name_groups: set[frozenset[int]] = set()
    for (name, _market_id), members in by_name.items():
        ids = frozenset(members)
        if len(ids) > 1 and ids not in seen_name_groups:
            seen_name_groups.add(ids)
            raw.append((SAME_NAME_NO_PHONE, name, list(members.values())))

    details = _candidates(
        {vendor.id: vendor for _, _, vendors in raw for vendor in vendors}.values()
    )
    groups = [
        DuplicateGroup(
            rule=rule,
            key=key,
            members=tuple(sorted((details[vendor.id] for vendor in vendors), key=_keep_rank)),
        )
        for rule, key, vendors in raw
    ]
    groups.sort(
        key=lambda group: (_RULE_ORDER[group.rule], -max(c.vendor.id for c in group.members))
    )
    return groups


def _keep_rank(candidate: Candidate) -> tuple[bool, bool, bool, int]:
    return (
        not candidate.has_live_placard,
        not candidate.stalls,
        not candidate.has_placard_account,
        candidate.vendor.id,
    )


def _candidates(vendors: Iterable[Vendor]) -> dict[int, Candidate]:
    """Current stalls and placard facts for ``vendors``, in two queries."""
    vendors = list(vendors)
    ids = [vendor.id for vendor in vendors]
    stalls: dict[int, list[Stall]] = {}
    placard_accounts: dict[int, bool] = {}
    for condition in matching_any(Occupancy.vendor_id, ids):
        rows = db.session.execute(
            select(Occupancy.vendor_id, Stall)
            .join(Stall, Stall.id == Occupancy.stall_id)
            .options(joinedload(Stall.market))
            .where(condition, Occupancy.ended_on.is_(None))
        )
        for vendor_id, stall in rows:
            stalls.setdefault(vendor_id, []).append(stall)
    for condition in matching_any(PaymentAccount.vendor_id, ids):
        rows = db.session.execute(
            select(PaymentAccount.vendor_id, func.count(Placard.id))
            .outerjoin(
                Placard,
                and_(
                    Placard.payment_account_id == PaymentAccount.id,
                    Placard.status.in_(LIVE_STATUSES),
                ),
            )
            .where(
                condition,
                PaymentAccount.is_on_placard.is_(True),
                PaymentAccount.status == AccountStatus.ACTIVE,
            )
            .group_by(PaymentAccount.vendor_id)
        )
        placard_accounts.update((vendor_id, bool(live)) for vendor_id, live in rows)
    return {
        vendor.id: Candidate(
            vendor=vendor,
            stalls=tuple(sorted_stalls(stalls.get(vendor.id, []))),
            has_placard_account=vendor.id in placard_accounts,
            has_live_placard=placard_accounts.get(vendor.id, False),
        )
        for vendor in vendors
    }


# --- preview and merge ---------------------------------------------------------------------


@dataclass(frozen=True)
class MergePreview:
    """What :func:`merge_vendors` would do; nothing is changed by computing it."""

    keep: Vendor
    duplicate: Vendor
    # Every account of the duplicate (active and closed): all move to ``keep``.
    accounts: tuple[PaymentAccount, ...]
    # Every occupancy of the duplicate, current and past: all move to ``keep``.
    occupancies: tuple[Occupancy, ...]
    # Import rows that recorded the duplicate: they will point to ``keep``.
    import_row_ids: tuple[int, ...]
    # The merged vendor's active on-placard account afterwards (keep's wins), or None.
    placard_account: PaymentAccount | None
    # The duplicate's on-placard account that becomes a normal account, or None.
    demoted_account: PaymentAccount | None
    # Live placards of ``demoted_account``: the merge supersedes them.
    superseded_placards: tuple[Placard, ...]
    # Open stalls of the merged vendor without a current placard for ``placard_account``
    # afterwards: they are on the reprint list (``placards.services.needs_reprint``).
    stalls_to_print: tuple[Stall, ...]
    # What ``keep`` takes over from the duplicate: {"phone": "+84…", "consent_at": datetime}.
    filled: dict[str, Any] = field(default_factory=dict)
    # Non-blocking findings for the admin: names or phones that differ, reprints…
    warnings: tuple[FieldError, ...] = ()

    @property
    def needs_reprint(self) -> bool:
        return bool(self.superseded_placards or self.stalls_to_print)


@dataclass(frozen=True)
class MergeResult:
    preview: MergePreview
    superseded: tuple[Placard, ...] = ()

    @property
    def keep(self) -> Vendor:
        return self.preview.keep

    @property
    def duplicate(self) -> Vendor:
        return self.preview.duplicate


def _label(vendor: Vendor) -> str:
    return f"#{vendor.id} ({vendor.display_name})"


def _ensure_mergeable(keep: Vendor, duplicate: Vendor) -> None:
    """Refusals, in the order an admin would want to hear them."""
    if keep.id == duplicate.id:
        raise ValidationFailed(
            [
                FieldError(
                    "duplicate_id",
                    _l("Không thể gộp một hồ sơ tiểu thương vào chính nó."),
                    "same_vendor",
                )
            ],
            message=_l("Không thể gộp một hồ sơ tiểu thương vào chính nó."),
        )
    for vendor in (keep, duplicate):
        if vendor.merged_into_id is not None:
            raise Conflict(
                _l(
                    "Hồ sơ %(vendor)s đã được gộp vào hồ sơ #%(merged_into_id)s.",
                    vendor=_label(vendor),
                    merged_into_id=vendor.merged_into_id,
                ),
                code="already_merged",
                details={"vendor_id": vendor.id, "merged_into_id": vendor.merged_into_id},
            )
        if not vendor.is_active:
            raise Conflict(
                _l("Hồ sơ %(vendor)s đã ngừng hoạt động, không gộp được.", vendor=_label(vendor)),
                code="vendor_inactive",
                details={"vendor_id": vendor.id},
            )
    same_phone = keep.phone_e164 is not None and keep.phone_e164 == duplicate.phone_e164
    if not same_phone and keep.bank_style_name != duplicate.bank_style_name:
        message = _l(
            "Hai hồ sơ không trùng số điện thoại, cũng không trùng tên không dấu — không gộp được."
        )
        raise ValidationFailed(
            [FieldError("duplicate_id", message, "not_duplicates")], message=message
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def merge_preview(keep: Vendor, duplicate: Vendor) -> MergePreview:
    """What merging ``duplicate`` into ``keep`` would move and reprint.

    Raises the same refusals as :func:`merge_vendors` (ValidationFailed "same_vendor" or
    "not_duplicates", Conflict "already_merged" or "vendor_inactive").
    """
    _ensure_mergeable(keep, duplicate)
    accounts = tuple(
        db.session.scalars(
            select(PaymentAccount)
            .where(PaymentAccount.vendor_id == duplicate.id)
            .order_by(PaymentAccount.id)
        )
    )
    occupancies = tuple(
        db.session.scalars(
            select(Occupancy)
            .where(Occupancy.vendor_id == duplicate.id)
            .order_by(Occupancy.started_on, Occupancy.id)
        )
    )
    import_row_ids = tuple(
        db.session.scalars(
            select(ImportRow.id).where(ImportRow.vendor_id == duplicate.id).order_by(ImportRow.id)
        )
    )

    kept_placard = db.session.scalar(_placard_account_query(keep))
    duplicate_placard = db.session.scalar(_placard_account_query(duplicate))
    placard_account = kept_placard or duplicate_placard
    demoted = duplicate_placard if kept_placard is not None else None
    superseded = tuple(placards.live_placards(account=demoted)) if demoted is not None else ()

    day = today()
    current = db.session.scalars(
        select(Stall)
        .join(Occupancy, Occupancy.stall_id == Stall.id)
        .where(Occupancy.vendor_id.in_((keep.id, duplicate.id)), Occupancy.ended_on.is_(None))
    )
    open_stalls = {stall.id: stall for stall in current if stall.is_open_on(day)}
    stalls_to_print: list[Stall] = []
    if placard_account is not None and open_stalls:
        try:
            payload = placards.payload_for(placard_account)
        except VietQRError:
            payload = None
        printed = set(
            db.session.scalars(
                select(Placard.stall_id).where(
                    Placard.payment_account_id == placard_account.id,
                    Placard.status.in_(LIVE_STATUSES),
                    Placard.payload == payload,
                    Placard.stall_id.in_(open_stalls),
                )
            )
        )
        stalls_to_print = [
            stall for stall_id, stall in open_stalls.items() if stall_id not in printed
        ]

    filled: dict[str, Any] = {}
    if keep.phone_e164 is None and duplicate.phone_e164 is not None:
        filled["phone"] = duplicate.phone_e164
    if duplicate.consent_at is not None and (
        keep.consent_at is None or duplicate.consent_at < keep.consent_at
    ):
        filled["consent_at"] = duplicate.consent_at

    warnings: list[FieldError] = []
    if keep.bank_style_name != duplicate.bank_style_name:
        warnings.append(
            FieldError(
                "bank_style_name",
                _l(
                    "Tên khác nhau: “%(kept)s” và “%(duplicate)s” — kiểm tra chắc chắn là "
                    "cùng một người. Hồ sơ sau khi gộp mang tên “%(kept)s”.",
                    kept=keep.display_name,
                    duplicate=duplicate.display_name,
                ),
                "names_differ",
            )
        )
    elif keep.display_name != duplicate.display_name:
        warnings.append(
            FieldError(
                "display_name",
                _l(
                    "Tên viết khác nhau: “%(kept)s” và “%(duplicate)s”. "
                    "Hồ sơ sau khi gộp mang tên “%(kept)s”.",
                    kept=keep.display_name,
                    duplicate=duplicate.display_name,
                ),
                "display_names_differ",
            )
        )
    if keep.phone_e164 and duplicate.phone_e164 and keep.phone_e164 != duplicate.phone_e164:
        warnings.append(
            FieldError(
                "phone",
                _l(
                    "Hai hồ sơ có số điện thoại khác nhau; hồ sơ sau khi gộp giữ số của hồ sơ "
                    "được giữ lại."
                ),
                "phones_differ",
            )
        )
    if demoted is not None:
        codes = ", ".join(
            stall.code
            for stall in sorted_stalls({p.stall_id: p.stall for p in superseded}.values())
        )
        message = _l(
            "Tài khoản …%(demoted)s của hồ sơ trùng sẽ thành tài khoản thường (không in trên "
            "bảng mã); bảng mã của tài khoản …%(kept)s được giữ lại.",
            demoted=demoted.last4,
            kept=kept_placard.last4,
        )
        if codes:
            message = _l(
                "Tài khoản …%(demoted)s của hồ sơ trùng sẽ thành tài khoản thường (không in "
                "trên bảng mã); bảng mã của tài khoản …%(kept)s được giữ lại. Bảng mã đang dùng "
                "tại sạp %(stalls)s sẽ hết hiệu lực và cần in lại.",
                demoted=demoted.last4,
                kept=kept_placard.last4,
                stalls=codes,
            )
        warnings.append(
            FieldError(
                "placard", message, "reprint_needed" if superseded else "placard_account_demoted"
            )
        )
    if placard_account is None and open_stalls:
        warnings.append(
            FieldError(
                "placard",
                _l("Hồ sơ sau khi gộp chưa có tài khoản đang dùng để in lên bảng mã."),
                "no_placard_account",
            )
        )

    return MergePreview(
        keep=keep,
        duplicate=duplicate,
        accounts=accounts,
        occupancies=occupancies,
        import_row_ids=import_row_ids,
        placard_account=placard_account,
        demoted_account=demoted,
        superseded_placards=superseded,
        stalls_to_print=tuple(sorted_stalls(stalls_to_print)),
        filled=filled,
        warnings=tuple(warnings),
    )


def _placard_account_query(vendor: Vendor) -> Any:
    return select(PaymentAccount).where(
        PaymentAccount.vendor_id == vendor.id,
        PaymentAccount.is_on_placard.is_(True),
        PaymentAccount.status == AccountStatus.ACTIVE,
    )


def merge_vendors(
    keep: Vendor, duplicate: Vendor, *, actor: Any, channel: str = "web"
) -> MergeResult:
    """Merge ``duplicate`` into ``keep``: one person, one record.

    Moves the duplicate's accounts, occupancies (current and past) and import-row
    references to ``keep``. At most one active on-placard account remains: ``keep``'s
    wins; the duplicate's becomes a normal account and its live placards are superseded
    (their stalls go on the reprint list and stop counting as accepting unless another
    posted placard backs them). When ``keep`` has none, the duplicate's stays on the
    placard and nothing needs reprinting. ``keep`` takes the duplicate's phone if it
    has none and the earlier consent. The duplicate becomes inactive with
    ``merged_into_id``. One audit event "merge" on ``keep`` (account numbers masked),
    plus the placard lifecycle's own "supersede" events.

    Raises, before changing anything, what :func:`merge_preview` raises.
    """
    policy.check(Action.MERGE, actor)
    preview = merge_preview(keep, duplicate)
    demoted = preview.demoted_account
    before: dict[str, Any] = {}
    after_filled: dict[str, Any] = {}

    moved_accounts = []
    for account in preview.accounts:
        snapshot = {
            "id": account.id,
            **account_snapshot(account),
            "is_on_placard": account.is_on_placard,
        }
        if account is demoted:
            # Same UPDATE as the vendor change: the one-placard-account index never sees two.
            account.is_on_placard = False
            snapshot["is_on_placard_after"] = False
        account.vendor = keep
        moved_accounts.append(snapshot)
    for occupancy in preview.occupancies:
        occupancy.vendor = keep
    if preview.import_row_ids:
        db.session.execute(
            update(ImportRow)
            .where(ImportRow.vendor_id == duplicate.id)
            .values(vendor_id=keep.id)
            .execution_options(synchronize_session="fetch")
        )
    if "phone" in preview.filled:
        before["phone"], keep.phone_e164 = keep.phone_e164, preview.filled["phone"]
        after_filled["phone"] = keep.phone_e164
    if "consent_at" in preview.filled:
        before["consent_at"], keep.consent_at = _iso(keep.consent_at), preview.filled["consent_at"]
        after_filled["consent_at"] = _iso(keep.consent_at)
    duplicate.is_active = False
    duplicate.merged_into_id = keep.id
    db.session.flush()
    # Reload the collections in their declared order (the moved rows were appended).
    db.session.expire(keep, ["accounts", "occupancies"])

    superseded: tuple[Placard, ...] = ()
    if demoted is not None:
        superseded = tuple(
            placards.supersede_placards(
                account=demoted,
                reason=f"vendor #{duplicate.id} merged into #{keep.id}",
                actor=actor,
                channel=channel,
                stall_status_reason=StatusReason.PLACARD_SUPERSEDED,
            )
        )
    audit.record(
        "merge",
        keep,
        actor=actor,
        channel=channel,
        before=before or None,
        after={
            "merged_vendor_id": duplicate.id,
            "merged_vendor": {
                "display_name": duplicate.display_name,
                "bank_style_name": duplicate.bank_style_name,
                "phone": duplicate.phone_e164,
            },
            "accounts": moved_accounts,
            "occupancy_ids": [occupancy.id for occupancy in preview.occupancies],
            "import_row_ids": list(preview.import_row_ids),
            "placard_account_id": preview.placard_account.id if preview.placard_account else None,
            "demoted_account_id": demoted.id if demoted is not None else None,
            "superseded": [placard.serial for placard in superseded],
            "filled": after_filled,
        },
    )
    db.session.flush()
    return MergeResult(preview=preview, superseded=superseded)
