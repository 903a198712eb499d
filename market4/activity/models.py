"""An uploaded file of monthly QR payment reports, kept between its check and its write."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from market4.db import now_utc
from market4.extensions import db
from market4.vocabulary import BatchStatus, sql_in


class ActivityUpload(db.Model):
    """One file: checked on upload ("previewed"), written at once on confirm ("committed").

    ``rows`` holds every data row as read and checked (values, the account it names,
    the errors by column), so the confirm writes exactly what the preview showed, and
    the page can show the file's errors by row and column without reading it again.
    """

    __tablename__ = "activity_uploads"
    __table_args__ = (CheckConstraint(sql_in("status", BatchStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=BatchStatus.PREVIEWED)
    # {"rows": 120, "invalid": 2, "created": …, "replaced": …, "unchanged": …}
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"row": 2, "values": {...}, "account_id": 7, "errors": [{"column", "code", "message"}]}]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Headers of the file that are not report columns (an amount, say): read, never kept.
    ignored_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    committed_at: Mapped[Optional[datetime]]

    @property
    def has_errors(self) -> bool:
        return bool(self.summary.get("invalid"))
