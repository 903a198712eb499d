"""Bulk imports from Excel/CSV: each upload is a batch, each data row a row record."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market4.db import now_utc
from market4.extensions import db
from market4.vocabulary import BatchStatus, sql_in

# previewed: validated, nothing written; committed: every valid row written at once;
# failed: the commit was attempted and rolled back, nothing written.
BATCH_STATUSES = tuple(BatchStatus)
# add_account: the row is the stall's current occupant, who gets the row's account.
ROW_OUTCOMES = ("create", "add_account", "update", "unchanged", "invalid", "duplicate")
# Rows that a commit writes (or re-checks: an unchanged row may have changed since).
WRITABLE_OUTCOMES = ("create", "add_account", "update", "unchanged")


class ImportBatch(db.Model):
    __tablename__ = "import_batches"
    __table_args__ = (CheckConstraint(sql_in("status", BatchStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    bank_bin: Mapped[str] = mapped_column(ForeignKey("banks.bin"))
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=BatchStatus.PREVIEWED)
    # Counts per outcome, e.g. {"create": 120, "invalid": 3}.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    committed_at: Mapped[Optional[datetime]]

    rows: Mapped[list[ImportRow]] = relationship(
        back_populates="batch", order_by="ImportRow.row_number", cascade="all, delete-orphan"
    )


class ImportRow(db.Model):
    __tablename__ = "import_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    # As the spreadsheet numbers it (the header is row 1).
    row_number: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(12))
    # [{"column": "phone", "message": "…"}]
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    vendor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vendors.id"))
    payment_account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payment_accounts.id"))

    batch: Mapped[ImportBatch] = relationship(back_populates="rows")
