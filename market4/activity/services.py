"""Checking and writing the banks' monthly QR payment reports: one code for the API,
the CSV upload and the CLI.

A report names an account as the API and the registry do (bank BIN + account number), a
month, whether the account received QR payments that month and how many (a band of
:class:`~market4.vocabulary.QrCountBand`). There is no field for an amount, anywhere.

The rules, for every channel:

- **Who**: the write policy (``Action.REPORT_ACTIVITY``): admins, and a bank partner for
  its own bank only; market managers and area staff are refused before any row is read.
- **Which accounts**: those the reporter may see (``scope.accounts_query``). A row at
  another bank's BIN is refused with the policy's reason; an account the reporter cannot
  see reads "not in your scope", the same whether it exists at another bank or nowhere.
- **Months**: ``YYYY-MM`` (a file may also write ``10/2026``), from
  :data:`~market4.registry.activity.FIRST_MONTH` to the current month, never later.
- **Received and band agree**: "no" is band ``0``; "yes" needs a band above it.
- **One row per account and month** in a request: a repeat is refused.
- **All or nothing**: :func:`report_activity` checks every row and raises one
  ``ValidationFailed`` listing every problem, by row and field; nothing is written.
- **Latest wins**: a report on an account and month already reported replaces it, and
  the audit log keeps the values before; the same values again change nothing, so a
  retried request or a re-uploaded file is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market4 import bulk
from market4.audit import services as audit
from market4.auth.models import User
from market4.db import now_utc, today
from market4.domain import banks as directory
from market4.errors import FieldError, PermissionDenied, ValidationFailed
from market4.extensions import db
from market4.formatting import vn_month
from market4.registry import policy, scope
from market4.registry.activity import (
    FIRST_MONTH,
    PaymentActivity,
    first_of_month,
    mark_accounts_reported,
    month_text,
)
from market4.registry.policy import Action
from market4.registry.validation import clean_account_number
from market4.registry.vendors import PaymentAccount
from market4.vocabulary import ActivitySource, QrCountBand

__all__ = [
    "CheckedReport",
    "ReportInput",
    "ReportSummary",
    "check_reports",
    "report_activity",
    "write_reports",
]

MAX_API_ROWS = 1000
# Account numbers looked up per query (SQLite's parameter limit is far above).
_CHUNK = 500

CREATED, REPLACED, UNCHANGED = "created", "replaced", "unchanged"

_YES = {"1", "x", "co", "có", "yes", "y", "true", "da nhan", "đã nhận", "nhan", "nhận"}
_NO = {"0", "khong", "không", "no", "n", "false", "chua", "chưa", "chua nhan", "chưa nhận"}
_MONTH_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_MONTH_VN = re.compile(r"^(?:(\d{1,2})/)?(\d{1,2})/(\d{4})$")
BANDS = ", ".join(band.value for band in QrCountBand)


@dataclass(frozen=True)
class ReportInput:
    """One row as it came in (an API item, a file row): untrusted values."""

    account_number: Any
    month: Any
    received: Any = None
    count_band: Any = None
    bank: Any = None


@dataclass
class CheckedReport:
    """A row after the checks: what to write, or why not (``errors``, by field)."""

    position: int
    values: dict[str, Any]
    account_id: int | None = None
    month: date | None = None
    received: bool | None = None
    count_band: str | None = None
    errors: list[FieldError] = field(default_factory=list)

    def refuse(self, field_name: str, message: Any, code: str) -> None:
        self.errors.append(FieldError(field_name, message, code))

    def for_field(self, name: str) -> list[FieldError]:
        return [error for error in self.errors if error.field == name]

    @property
    def key(self) -> tuple[int, date] | None:
        if self.account_id is None or self.month is None:
            return None
        return (self.account_id, self.month)


@dataclass
class ReportSummary:
    """What a write did: each row's outcome, in the order given, and the counts."""

    outcomes: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return self.outcomes.count(outcome)

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": len(self.outcomes),
            CREATED: self.count(CREATED),
            REPLACED: self.count(REPLACED),
            UNCHANGED: self.count(UNCHANGED),
        }


# --- reading one value ---------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def parse_month(value: Any, *, on: date) -> date:
    """The first day of the month ``value`` names; ValueError with the reason otherwise.

    ``2026-10`` (the API's form), ``10/2026`` and a date such as ``01/10/2026`` (what
    a spreadsheet's date cell becomes) are read; the month must lie from
    ``FIRST_MONTH`` to the month of ``on``.
    """
    text = _text(value)
    iso, vietnamese = _MONTH_ISO.match(text), _MONTH_VN.match(text)
    if iso:
        year, month, day = iso.group(1), iso.group(2), iso.group(3)
    elif vietnamese:
        year, month, day = vietnamese.group(3), vietnamese.group(2), vietnamese.group(1)
    else:
        raise ValueError("format")
    try:
        found = date(int(year), int(month), int(day or 1)).replace(day=1)
    except ValueError:  # month 13, 31 April…
        raise ValueError("format") from None
    if found > first_of_month(on):
        raise ValueError("future")
    if found < FIRST_MONTH:
        raise ValueError("too_early")
    return found


def parse_received(value: Any) -> bool | None:
    """True/False from a JSON boolean or the words a file uses; None when blank."""
    if isinstance(value, bool):
        return value
    text = _text(value).casefold()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(text)


def parse_band(value: Any) -> QrCountBand | None:
    """A band from its code; spaces, en dashes and "≥200" are forgiven. None when blank."""
    text = _text(value).replace(" ", "").replace("–", "-").replace("—", "-")
    if not text:
        return None
    if text in ("≥200", ">=200", ">200"):
        text = QrCountBand.FROM_200.value
    try:
        return QrCountBand(text)
    except ValueError:
        raise ValueError(text) from None


# --- checking ------------------------------------------------------------------------------


def check_reports(
    rows: Sequence[ReportInput], *, actor: User, positions: Sequence[int] | None = None
) -> list[CheckedReport]:
    """Every row checked against the rules (module docstring); nothing is written.

    ``positions`` number the rows as the caller's reader knows them (the API's index,
    the file's row number); by default 0, 1, 2… Raises ``PermissionDenied`` when the
    actor may not report at all.
    """
    policy.check(Action.REPORT_ACTIVITY, actor)
    numbers = list(positions) if positions is not None else list(range(len(rows)))
    on = today()
    checked = [
        _check_values(row, position, actor, on) for row, position in zip(rows, numbers, strict=True)
    ]
    _find_accounts(checked, actor)
    _refuse_repeats(checked)
    return checked


def _check_values(row: ReportInput, position: int, actor: User, on: date) -> CheckedReport:
    own_bin = scope.user_bank_bin(actor)
    report = CheckedReport(
        position=position,
        values={
            "bank": _text(row.bank),
            "account_number": _text(row.account_number),
            "month": _text(row.month),
            "received": row.received if isinstance(row.received, bool) else _text(row.received),
            "count_band": _text(row.count_band),
        },
    )
    bank_bin = _bank_bin(report, _text(row.bank), own_bin)
    report.values["bank_bin"] = bank_bin
    try:
        report.values["account_number"] = clean_account_number(row.account_number).number
    except ValidationFailed as refused:
        report.errors.extend(refused.errors)
    try:
        report.month = parse_month(row.month, on=on)
        report.values["month"] = month_text(report.month)
    except ValueError as reason:
        report.refuse("month", _month_message(str(reason), on), f"month_{reason}")
    _check_received(report, row)
    if bank_bin:
        try:
            policy.check(Action.REPORT_ACTIVITY, actor, bank_bin=bank_bin)
        except PermissionDenied as refused:
            report.refuse("bank_bin", refused.message, refused.code)
    return report


def _bank_bin(report: CheckedReport, text: str, own_bin: str | None) -> str | None:
    if not text:
        if own_bin is None:
            report.refuse("bank_bin", _l("Cần mã BIN của ngân hàng."), "required")
        return own_bin
    try:
        return directory.resolve(text).bin
    except directory.BankLookupError:
        report.refuse(
            "bank_bin",
            _l(
                "Không nhận ra ngân hàng “%(bank)s” — ghi mã BIN (6 số), mã NAPAS hoặc tên "
                "ngân hàng.",
                bank=text,
            ),
            "unknown_bank",
        )
        return None


def _month_message(reason: str, on: date) -> Any:
    if reason == "future":
        return _l(
            "Tháng báo cáo chưa tới: chỉ báo cáo được đến tháng %(month)s.", month=vn_month(on)
        )
    if reason == "too_early":
        return _l("Tháng báo cáo phải từ %(month)s trở đi.", month=vn_month(FIRST_MONTH))
    return _l("Tháng ghi dạng năm-tháng (ví dụ 2026-10) hoặc tháng/năm (10/2026).")


def _check_received(report: CheckedReport, row: ReportInput) -> None:
    try:
        received = parse_received(row.received)
    except ValueError:
        report.refuse(
            "received",
            _l("Cột nhận tiền qua QR ghi “có” hoặc “không” (true/false)."),
            "invalid_received",
        )
        return
    try:
        band = parse_band(row.count_band)
    except ValueError:
        report.refuse(
            "count_band",
            _l("Số giao dịch ghi theo khoảng: %(bands)s.", bands=BANDS),
            "invalid_count_band",
        )
        return
    if received is None and band is None:
        report.refuse(
            "received", _l("Cần ghi tài khoản có nhận tiền qua QR trong tháng không."), "required"
        )
        return
    if band is None:
        if received:
            report.refuse(
                "count_band",
                _l(
                    "Đã nhận tiền qua QR thì cần ghi khoảng số giao dịch: %(bands)s.",
                    bands=", ".join(b.value for b in QrCountBand if b != QrCountBand.NONE),
                ),
                "required",
            )
            return
        band = QrCountBand.NONE
    if received is None:
        received = band != QrCountBand.NONE
    if received != (band != QrCountBand.NONE):
        report.refuse(
            "count_band",
            _l(
                "Khoảng số giao dịch “%(band)s” không khớp với việc có nhận tiền qua QR.",
                band=band.value,
            ),
            "band_mismatch",
        )
        return
    report.received, report.count_band = received, band.value
    report.values["received"], report.values["count_band"] = received, band.value


def _find_accounts(checked: list[CheckedReport], actor: User) -> None:
    """The account each row names, among those the actor may see."""
    wanted: dict[str, set[str]] = {}
    for report in checked:
        bank_bin = report.values.get("bank_bin")
        if bank_bin and not report.for_field("bank_bin") and not report.for_field("account_number"):
            wanted.setdefault(bank_bin, set()).add(report.values["account_number"])
    found: dict[tuple[str, str], int] = {}
    visible = scope.accounts_query(actor)
    for bank_bin, numbers in wanted.items():
        ordered = sorted(numbers)
        for start in range(0, len(ordered), _CHUNK):
            rows = db.session.execute(
                visible.with_only_columns(
                    PaymentAccount.id, PaymentAccount.bank_bin, PaymentAccount.account_number
                ).where(
                    PaymentAccount.bank_bin == bank_bin,
                    PaymentAccount.account_number.in_(ordered[start : start + _CHUNK]),
                )
            )
            found.update({(row.bank_bin, row.account_number): row.id for row in rows})
    for report in checked:
        bank_bin = report.values.get("bank_bin")
        if not bank_bin or report.for_field("bank_bin") or report.for_field("account_number"):
            continue
        report.account_id = found.get((bank_bin, report.values["account_number"]))
        if report.account_id is None:
            report.refuse(
                "account_number",
                _l("Không có tài khoản này trong phạm vi của bạn."),
                "account_not_found",
            )


def _refuse_repeats(checked: list[CheckedReport]) -> None:
    seen: set[tuple[int, date]] = set()
    for report in checked:
        key = report.key
        if key is None:
            continue
        if key in seen:
            report.refuse(
                "month",
                _l("Tài khoản này đã có một dòng khác cho cùng tháng."),
                "duplicate_row",
            )
        seen.add(key)


# --- writing -------------------------------------------------------------------------------


def write_reports(
    checked: Iterable[CheckedReport],
    *,
    actor: User,
    source: ActivitySource,
    channel: str,
    upload_id: int | None = None,
) -> ReportSummary:
    """Write rows that passed :func:`check_reports` (ValueError if one did not).

    New account-months are inserted in bulk; a month already reported with other values
    is replaced (one audit event each, with the values before); identical ones are left
    alone. One audit event names the whole report. Flushes, never commits.
    """
    reports = list(checked)
    if any(report.errors or report.key is None for report in reports):
        raise ValueError("write_reports takes only rows without errors")
    existing = _existing([report.key for report in reports])
    summary = ReportSummary()
    now = now_utc()
    organisation_id = actor.organisation_id
    new_rows: list[dict[str, Any]] = []
    for report in reports:
        before = existing.get(report.key)
        if before is None:
            summary.outcomes.append(CREATED)
            new_rows.append(
                {
                    "payment_account_id": report.account_id,
                    "month": report.month,
                    "received": report.received,
                    "count_band": report.count_band,
                    "source": str(source),
                    "organisation_id": organisation_id,
                    "reported_by_id": actor.id,
                    "reported_at": now,
                }
            )
        elif (before.received, before.count_band) == (report.received, report.count_band):
            summary.outcomes.append(UNCHANGED)
        else:
            summary.outcomes.append(REPLACED)
            _replace(before, report, actor=actor, source=source, channel=channel, at=now)
    bulk.insert_rows(PaymentActivity, new_rows)
    mark_accounts_reported(db.session, [row["payment_account_id"] for row in new_rows])
    if summary.count(CREATED) or summary.count(REPLACED):
        audit.record(
            "report_activity",
            None,
            object_type="PaymentActivity",
            actor=actor,
            channel=channel,
            after={
                **summary.as_dict(),
                "source": str(source),
                "months": sorted({month_text(report.month) for report in reports}),
                **({"upload_id": upload_id} if upload_id is not None else {}),
            },
        )
    db.session.flush()
    return summary


def _existing(keys: list[tuple[int, date]]) -> dict[tuple[int, date], PaymentActivity]:
    found: dict[tuple[int, date], PaymentActivity] = {}
    account_ids = sorted({account_id for account_id, _ in keys})
    months = {month for _, month in keys}
    for start in range(0, len(account_ids), _CHUNK):
        for report in db.session.scalars(
            select(PaymentActivity).where(
                PaymentActivity.payment_account_id.in_(account_ids[start : start + _CHUNK]),
                PaymentActivity.month.in_(sorted(months)),
            )
        ):
            found[(report.payment_account_id, report.month)] = report
    return found


def _replace(
    report: PaymentActivity,
    new: CheckedReport,
    *,
    actor: User,
    source: ActivitySource,
    channel: str,
    at: Any,
) -> None:
    before = report.as_dict()
    report.received, report.count_band = new.received, new.count_band
    report.source = str(source)
    report.organisation_id, report.reported_by_id, report.reported_at = (
        actor.organisation_id,
        actor.id,
        at,
    )
    # Loaded from the database, the report has its id: flushed once with the others.
    audit.record(
        "replace_activity_report",
        report,
        actor=actor,
        channel=channel,
        before=before,
        after=report.as_dict(),
    )


# --- the whole request ---------------------------------------------------------------------


def report_activity(
    rows: Sequence[ReportInput], *, actor: User, source: ActivitySource, channel: str
) -> ReportSummary:
    """Check every row and write them all, or raise ``ValidationFailed`` and write none.

    The errors name the row by its index and the field: ``reports.3.month``.
    """
    checked = check_reports(rows, actor=actor)
    errors = [
        FieldError(f"reports.{report.position}.{error.field}", error.message, error.code)
        for report in checked
        for error in report.errors
    ]
    if errors:
        raise ValidationFailed(
            errors,
            _l(
                "%(rows)s dòng báo cáo chưa hợp lệ; không dòng nào được ghi.",
                rows=sum(1 for report in checked if report.errors),
            ),
        )
    return write_reports(checked, actor=actor, source=source, channel=channel)
