"""A print run too big for one request: a province's placards, printed market by market.

The job row is the source of truth for its progress, wherever it runs (an RQ worker or
inline): each market's placards and the job's step forward are committed together, so a
job stopped anywhere (cancelled, failed, its worker killed) resumes at the first market
it had not finished, and no placard is recorded without its page on disk.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market4.auth.models import User
from market4.db import now_utc
from market4.extensions import db
from market4.vocabulary import PlacardLayout, PrintJobStatus, sql_in

# A running job writes at least once per market, and no market takes anywhere near this
# long: a running job silent for longer lost its worker, and may be resumed.
STALE_AFTER = timedelta(minutes=15)
FINISHED = (PrintJobStatus.DONE, PrintJobStatus.CANCELLED, PrintJobStatus.FAILED)


class PrintJob(db.Model):
    __tablename__ = "print_jobs"
    __table_args__ = (CheckConstraint(sql_in("status", PrintJobStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # The markets to print, in print order; done_markets of them are finished.
    market_ids: Mapped[list[int]] = mapped_column(JSON)
    layout: Mapped[str] = mapped_column(String(10), default=PlacardLayout.A4X4)
    ec_level: Mapped[str] = mapped_column(String(1))
    cover_page: Mapped[bool] = mapped_column(default=True)
    # False: only stalls needing a placard; True: re-issue current placards too, which
    # the person confirmed knowing the posted ones stop working.
    include_current: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default=PrintJobStatus.QUEUED)
    total_stalls: Mapped[int] = mapped_column(default=0)
    done_markets: Mapped[int] = mapped_column(default=0)
    done_stalls: Mapped[int] = mapped_column(default=0)
    placards: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # Which run owns the job: a resumed job gets a new token, and an older run that is
    # somehow still going stops at its next market instead of printing it twice.
    run_token: Mapped[Optional[str]] = mapped_column(String(32))
    error: Mapped[Optional[str]] = mapped_column(Text)
    started_at: Mapped[Optional[datetime]]
    updated_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]

    created_by: Mapped[Optional[User]] = relationship()

    @property
    def total_markets(self) -> int:
        return len(self.market_ids)

    @property
    def percent(self) -> int:
        if self.status == PrintJobStatus.DONE:
            return 100
        return int(100 * self.done_stalls / self.total_stalls) if self.total_stalls else 0

    def is_stale(self, now: datetime | None = None) -> bool:
        """A job queued or running that has not moved for :data:`STALE_AFTER`: its worker
        is gone, or the queue lost it (Redis restarted, unreachable when it was sent)."""
        last = self.updated_at or self.started_at or self.created_at
        waiting = self.status in (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING)
        return waiting and (now or now_utc()) - last > STALE_AFTER

    @property
    def may_cancel(self) -> bool:
        return self.status in (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING)

    @property
    def may_resume(self) -> bool:
        return self.status in (PrintJobStatus.CANCELLED, PrintJobStatus.FAILED) or self.is_stale()

    def __repr__(self) -> str:
        return f"<PrintJob {self.id} {self.status} {self.done_markets}/{self.total_markets}>"
