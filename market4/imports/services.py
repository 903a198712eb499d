"""Bulk import of vendors from Excel/CSV: validate every row, preview, commit all at once.

Used by the web page, the CLI and the partner API alike::

    batch = import_vendors(content, filename, bank_bin=..., organisation=..., actor=...,
                           dry_run=True)            # preview: rows validated, nothing written
    batch = commit_batch(batch, organisation=..., actor=..., channel="web")
    # … the caller's unit of work commits, once (market4.unit_of_work)

Each row ends up as one of (``ImportRow.outcome``):

- ``create``: new vendor + account + occupancy of the stall;
- ``update``: matches an existing account — by the partner's own reference within the
  organisation, else by bank + account number — whose details differ; applied through
  ``vendors.services.update_registration`` (so placards are superseded as usual);
- ``unchanged``: matches and nothing differs (a re-upload of the same file creates nothing);
- ``invalid``: a field breaks the form's rules, the stall is unknown, closed or occupied,
  or the account belongs to another bank ("chỉ được đăng ký tài khoản của ngân hàng mình");
- ``duplicate``: the same account (or partner reference) appears earlier in the file,
  or the account already exists and cannot be matched to this row (closed, or the
  reference points to another account).

Decisions: an import never replaces a stall's current vendor (that is done on the
stall's page, which shows who leaves) and never moves a vendor to another stall.
Warnings (same phone on another vendor, holder name differs, numeric Excel cell) never
block a row.

All or nothing: every valid row is written inside one SAVEPOINT. If anything fails,
the savepoint is rolled back — no vendor, account or occupancy stays — and the batch
itself, flushed before the savepoint, is marked ``failed`` with the error. The
functions return the batch either way (check ``batch.status``) and never commit; the
caller's unit of work does, once, and keeps the failed batch too (the web page and the
API answer it as a report, not as an error; the CLI marks it kept). Invalid rows never stop the valid ones from being
written: callers that want "nothing unless every row is valid" (CLI ``--strict``)
preview, look at the summary, and only then commit.

Audit: one "import" event per batch (with the summary), plus one "register" event per
created vendor, bulk-inserted; the batch's rows keep the ids of what they created.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market4.audit import services as audit
from market4.auth.models import Organisation
from market4.banks.models import Bank
from market4.bulk import insert_rows, update_rows
from market4.db import now_utc
from market4.errors import Conflict, FieldError, ValidationFailed
from market4.extensions import db
from market4.imports.planning import Plan, RowPlanner
from market4.imports.reading import RawRow, read_vendor_file
from market4.markets import services as markets
from market4.registry import policy
from market4.registry.imports import ROW_OUTCOMES, WRITABLE_OUTCOMES, ImportBatch, ImportRow
from market4.registry.policy import Action
from market4.registry.vendors import PaymentAccount
from market4.vendors import bulk as bulk_registration
from market4.vendors import services as vendors
from market4.vocabulary import BatchStatus

__all__ = ["batch_as_dict", "commit_batch", "import_vendors"]

logger = logging.getLogger(__name__)


def _bank_for(bank_bin: str, organisation: Organisation | None, actor: Any) -> Bank:
    """The batch's bank, after the checks that refuse the whole file."""
    policy.check(Action.IMPORT, actor, organisation=organisation)
    text = (bank_bin or "").strip()
    bank = db.session.get(Bank, text) if len(text) == 6 and text.isdigit() else None
    if bank is None:
        raise ValidationFailed(
            [
                FieldError(
                    "bank_bin",
                    _l("Không có ngân hàng mã BIN “%(text)s” trong danh mục.", text=text),
                    "unknown_bank",
                )
            ]
        )
    policy.check(Action.IMPORT, actor, organisation=organisation, bank_bin=bank.bin)
    return bank


def _summary(plans: list[Plan]) -> dict[str, int]:
    counts = {outcome: 0 for outcome in ROW_OUTCOMES}
    warnings = 0
    for plan in plans:
        counts[plan.outcome] += 1
        warnings += any(error["severity"] == "warning" for error in plan.errors)
    return {"rows": len(plans), **counts, "with_warnings": warnings}


def import_vendors(
    content: bytes,
    filename: str,
    *,
    bank_bin: str,
    organisation: Organisation | None,
    actor: Any,
    dry_run: bool,
    channel: str = "web",
) -> ImportBatch:
    """Read, validate and (unless ``dry_run``) write a vendor file; returns the batch.

    Raises before anything is stored: ``reading.ImportFileError`` (file refused:
    type, encoding, size, row count, missing columns), ``PermissionDenied``
    (read-only organisation, another bank's BIN), ``ValidationFailed`` (unknown BIN).
    Otherwise the batch is added and flushed with one row record per data row and
    ``summary`` counts; with ``dry_run=False`` the valid rows are written at once
    (status "committed", or "failed" after a rollback). The caller commits.
    """
    bank = _bank_for(bank_bin, organisation, actor)
    sheet = read_vendor_file(content, filename)
    planner = RowPlanner(bank=bank, organisation=organisation, actor=actor)
    plans = planner.plan(sheet.rows)
    batch = ImportBatch(
        organisation_id=getattr(organisation, "id", None),
        user_id=getattr(actor, "id", None),
        bank_bin=bank.bin,
        filename=(filename or "tep-nhap")[-255:],
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_format=sheet.file_format,
        status=BatchStatus.PREVIEWED,
        summary=_summary(plans),
    )
    db.session.add(batch)
    db.session.flush()
    logger.info("Import batch %s: %s (%s)", batch.id, batch.summary, sheet.file_format)
    if not dry_run:
        # Rows are stored after the write, with the ids it produced (or none if it failed).
        _write(batch, plans, bank=bank, organisation=organisation, actor=actor, channel=channel)
    insert_rows(
        ImportRow,
        [
            {
                "batch_id": batch.id,
                "row_number": plan.row_number,
                "outcome": plan.outcome,
                "errors": plan.errors,
                "values": plan.values,
                "vendor_id": plan.vendor_id,
                "payment_account_id": plan.account_id,
            }
            for plan in plans
        ],
    )
    db.session.expire(batch, ["rows"])
    return batch


def commit_batch(
    batch: ImportBatch, *, organisation: Organisation | None, actor: Any, channel: str = "web"
) -> ImportBatch:
    """Write a previewed (or failed) batch from its stored, normalised row values.

    Rows that were create/update/unchanged are validated again against today's data
    (someone may have registered the same account since the preview); invalid and
    duplicate rows stay as they were. Conflict when the batch was already committed.
    """
    if batch.status == BatchStatus.COMMITTED:
        raise Conflict(_l("Lô nhập này đã được ghi vào hệ thống."), code="batch_committed")
    bank = _bank_for(batch.bank_bin, organisation, actor)
    # Plain rows, not ORM objects: 10,000 of them are read and then updated in bulk.
    rows = db.session.execute(
        select(
            ImportRow.id,
            ImportRow.row_number,
            ImportRow.outcome,
            ImportRow.errors,
            ImportRow.values,
            ImportRow.vendor_id,
            ImportRow.payment_account_id,
        )
        .where(ImportRow.batch_id == batch.id)
        .order_by(ImportRow.row_number)
    ).all()
    kept = [Plan.from_row(row) for row in rows if row.outcome not in WRITABLE_OUTCOMES]
    again = [row for row in rows if row.outcome in WRITABLE_OUTCOMES]
    planner = RowPlanner(bank=bank, organisation=organisation, actor=actor)
    replanned = planner.plan([RawRow(row.row_number, dict(row.values)) for row in again])
    for plan, row in zip(replanned, again, strict=True):
        plan.import_row_id = row.id
    plans = sorted(kept + replanned, key=lambda plan: plan.row_number)
    batch.summary = _summary(plans)
    batch.error = None
    db.session.flush()
    _write(batch, plans, bank=bank, organisation=organisation, actor=actor, channel=channel)
    # After the write (or its rollback): the ids created, and the outcomes of the rows
    # whose re-validation found something else than the preview (usually none).
    stored = {row.id: row for row in again}
    changed = [
        plan
        for plan in replanned
        if (plan.outcome, plan.errors, plan.values)
        != (
            stored[plan.import_row_id].outcome,
            stored[plan.import_row_id].errors,
            stored[plan.import_row_id].values,
        )
    ]
    update_rows(
        ImportRow,
        [
            {
                "id": plan.import_row_id,
                "outcome": plan.outcome,
                "errors": plan.errors,
                "values": plan.values,
                "vendor_id": plan.vendor_id,
                "payment_account_id": plan.account_id,
            }
            for plan in changed
        ],
    )
    changed_ids = {plan.import_row_id for plan in changed}
    update_rows(
        ImportRow,
        [
            {
                "id": plan.import_row_id,
                "vendor_id": plan.vendor_id,
                "payment_account_id": plan.account_id,
            }
            for plan in replanned
            if plan.import_row_id not in changed_ids
            and (plan.vendor_id, plan.account_id)
            != (stored[plan.import_row_id].vendor_id, stored[plan.import_row_id].payment_account_id)
        ],
    )
    db.session.expire(batch, ["rows"])
    return batch


def _write(
    batch: ImportBatch,
    plans: list[Plan],
    *,
    bank: Bank,
    organisation: Organisation | None,
    actor: Any,
    channel: str,
) -> None:
    """Every create/update row in one savepoint; on failure roll it back and mark the batch failed.

    The plans receive the ids of what was created (reset to None after a rollback); the
    caller stores them in the batch's rows.
    """
    creates = [plan for plan in plans if plan.outcome == "create"]
    additions = [plan for plan in plans if plan.outcome == "add_account"]
    updates = [plan for plan in plans if plan.outcome == "update"]
    try:
        with db.session.begin_nested():
            created = bulk_registration.register_vendors_bulk(
                [
                    bulk_registration.BulkRegistration(fields=plan.fields, stall=plan.stall)
                    for plan in creates
                ],
                bank=bank,
                organisation=organisation,
                actor=actor,
                channel=channel,
                audit_extra={"import_batch_id": batch.id},
            )
            for plan, (vendor_id, account_id) in zip(creates, created, strict=True):
                plan.vendor_id, plan.account_id = vendor_id, account_id
            added = bulk_registration.add_accounts_bulk(
                [
                    (
                        plan.vendor_id,
                        bulk_registration.BulkRegistration(fields=plan.fields, stall=plan.stall),
                    )
                    for plan in additions
                ],
                bank=bank,
                organisation=organisation,
                actor=actor,
                channel=channel,
                audit_extra={"import_batch_id": batch.id},
            )
            for plan, account_id in zip(additions, added, strict=True):
                plan.account_id = account_id
            for plan in updates:
                _apply_update(plan, organisation=organisation, actor=actor, channel=channel)
            batch.status = "committed"
            batch.committed_at = now_utc()
            audit.record(
                "import",
                batch,
                actor=actor,
                channel=channel,
                after={"filename": batch.filename, "bank_bin": bank.bin, **batch.summary},
            )
            db.session.flush()
    except Exception as error:  # noqa: BLE001 - any failure must leave nothing behind
        logger.exception("Import batch %s failed; rolled back", batch.id)
        for plan in creates:  # ids of rows that no longer exist
            plan.vendor_id = plan.account_id = None
        for plan in additions:
            plan.account_id = None
        batch.status = "failed"
        batch.committed_at = None
        batch.error = _describe(error)
        db.session.flush()


def _apply_update(
    plan: Plan, *, organisation: Organisation | None, actor: Any, channel: str
) -> None:
    account = db.session.get(PaymentAccount, plan.account_id)
    assert account is not None  # the planner found it in this transaction
    if plan.changes:
        vendors.update_registration(
            account, plan.changes, organisation=organisation, actor=actor, channel=channel
        )
    if plan.category_change and plan.stall is not None:
        markets.set_goods_category(plan.stall, plan.category_change, actor=actor, channel=channel)


def _describe(error: Exception) -> str:
    if isinstance(error, IntegrityError):
        # Someone registered the same account (or filled the stall) since the preview.
        message = _l(
            "dữ liệu vừa được người khác thay đổi (tài khoản hoặc sạp đã có) — hãy kiểm tra lại tệp"
        )
    else:
        message = (
            getattr(error, "message", None)
            or (str(error).splitlines() or [type(error).__name__])[0]
        )
    # Stored with the batch, in the language of whoever committed it.
    return str(_l("Lỗi khi ghi, không dòng nào được ghi: %(reason)s", reason=message))[:1000]


def batch_as_dict(batch: ImportBatch, *, include_rows: bool = True) -> dict[str, Any]:
    """JSON-ready view of a batch (for the API): no full account numbers."""
    data: dict[str, Any] = {
        "id": batch.id,
        "status": batch.status,
        "filename": batch.filename,
        "file_format": batch.file_format,
        "bank_bin": batch.bank_bin,
        "summary": dict(batch.summary or {}),
        "error": batch.error,
        "created_at": batch.created_at.isoformat() if batch.created_at else None,
        "committed_at": batch.committed_at.isoformat() if batch.committed_at else None,
    }
    if include_rows:
        data["rows"] = [
            {
                "row_number": row.row_number,
                "outcome": row.outcome,
                "errors": list(row.errors or []),
                "vendor_id": row.vendor_id,
                "payment_account_id": row.payment_account_id,
            }
            for row in batch.rows
        ]
    return data
