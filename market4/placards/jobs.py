"""Print jobs: a province's placards printed market by market, on a worker or inline.

A job is a list of markets in print order (``registry.print_jobs.PrintJob``). Its run
prints one market at a time through the same ``printing.print_stalls`` as the market
page, so every check of a print run (scope, payload against the account, the layout)
holds for each market. Each market:

1. renders its PDF (its own cover list to sign when posting) into ``parts/`` as ``.tmp``;
2. commits its placards together with the job's step forward (``done_markets``);
3. renames the ``.tmp`` to its final name.

So memory stays that of the largest market, whatever the job's size; and a job stopped
anywhere (cancelled, failed, its worker killed) resumes at its first unfinished market:
a ``.tmp`` of a market the database counts as done is renamed on resume, any other is
printed again. Finished or cancelled, the parts are packed into one ZIP to download.

With ``MARKET4_REDIS_URL`` a job is queued on RQ and run by ``market4 print-jobs
worker``; without it the request or command that starts it runs it to the end (as a
print run always ran). Cancelling is a flag the run reads between markets: a market is
never half printed.
"""

from __future__ import annotations

import logging
import shutil
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market4 import unit_of_work
from market4.areas.models import AdminUnit
from market4.auth.models import User
from market4.db import now_utc
from market4.domain.placard_layout import PlacardLayoutError, check_print_ec_level, sheet_layout
from market4.errors import Conflict, DomainError
from market4.extensions import db
from market4.formatting import vietnamese_sort_key, vn_datetime
from market4.placards import printing
from market4.registry import policy
from market4.registry.markets import Market, Stall
from market4.registry.policy import Action
from market4.registry.print_jobs import FINISHED, PrintJob
from market4.shared_state import key_prefix, redis_url
from market4.vocabulary import PrintJobStatus, Role

logger = logging.getLogger(__name__)

# A province's run takes minutes to an hour; RQ kills a job past its timeout.
JOB_TIMEOUT_SECONDS = 6 * 3600

Progress = Callable[[PrintJob], None]


# --- where the files are ---------------------------------------------------------------------


def jobs_dir() -> Path:
    configured = current_app.config.get("PRINT_JOBS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "print-jobs"


def job_dir(job: PrintJob) -> Path:
    return jobs_dir() / str(job.id)


def zip_path(job: PrintJob) -> Path:
    return job_dir(job) / f"bang-ma-{job.id}.zip"


def download_name(job: PrintJob) -> str:
    return f"bang-ma-in-lo-{job.id}-{job.created_at:%Y%m%d}.zip"


def _part_path(job: PrintJob, index: int, market: Market) -> Path:
    return job_dir(job) / "parts" / f"{index + 1:05d}-{market.code}.pdf"


def parts(job: PrintJob) -> list[Path]:
    folder = job_dir(job) / "parts"
    return sorted(folder.glob("*.pdf")) if folder.is_dir() else []


# --- choosing the markets ----------------------------------------------------------------------


def markets_in_order(markets_query: Any) -> list[Market]:
    """The markets of ``markets_query`` in the order the job prints them: by name."""
    markets = list(db.session.scalars(markets_query))
    return sorted(markets, key=lambda market: (vietnamese_sort_key(market.name), market.id))


def provinces_with_markets(markets_query: Any) -> list[AdminUnit]:
    """The provinces (2025 scheme) holding at least one market of ``markets_query``."""
    communes = markets_query.with_only_columns(Market.commune_id).distinct().subquery()
    province_ids = select(AdminUnit.parent_id).where(AdminUnit.id.in_(select(communes)))
    provinces = db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_(province_ids)))
    return sorted(provinces, key=lambda unit: vietnamese_sort_key(unit.name))


# --- starting, cancelling, resuming ----------------------------------------------------------


def create_job(
    markets: Sequence[Market],
    *,
    actor: Any,
    title: str,
    layout: str = "a4x4",
    ec_level: str = "Q",
    cover_page: bool = True,
    include_current: bool = False,
) -> PrintJob:
    """A queued job printing ``markets`` in this order; nothing is printed yet.

    ``include_current`` re-issues current placards too: the caller has had the person
    agree that the placards posted on those stalls stop working. Raises
    PermissionDenied (a market outside the actor's scope), PlacardLayoutError, Conflict
    "nothing_to_print" (no market).
    """
    sheet_layout(layout)
    ec_level = check_print_ec_level(ec_level)
    if not markets:
        raise Conflict(_l("Không có chợ nào để in bảng mã."), code="nothing_to_print")
    market_ids = [market.id for market in markets]
    policy.check(Action.PRINT, actor, market_ids=market_ids)
    total = db.session.scalar(select(func.count(Stall.id)).where(Stall.market_id.in_(market_ids)))
    job = PrintJob(
        title=title,
        created_by=actor if isinstance(actor, User) else None,
        market_ids=market_ids,
        layout=layout,
        ec_level=ec_level,
        cover_page=cover_page,
        include_current=include_current,
        total_stalls=total or 0,
    )
    db.session.add(job)
    db.session.flush()
    return job


def cancel(job: PrintJob) -> PrintJob:
    """Ask the job to stop after the market it is printing; a queued job stops at once."""
    if not job.may_cancel:
        raise Conflict(_l("Lượt in này đã kết thúc."), code="job_finished")
    job.cancel_requested = True
    if job.status == PrintJobStatus.QUEUED:
        _finish(job, PrintJobStatus.CANCELLED)
    db.session.flush()
    return job


def prepare_resume(job: PrintJob) -> PrintJob:
    """Queue a cancelled, failed or abandoned job again, from its first unfinished market."""
    if not job.may_resume:
        raise Conflict(_l("Chỉ tiếp tục được lượt in đã dừng hoặc bị lỗi."), code="not_resumable")
    if files_removed(job):
        raise Conflict(
            _l("Tệp của lượt in này đã được dọn: hãy tạo một lượt in mới."), code="files_removed"
        )
    job.status = PrintJobStatus.QUEUED
    job.updated_at = now_utc()  # counts as a fresh start for is_stale
    job.cancel_requested = False
    job.error = None
    job.run_token = None
    job.finished_at = None
    db.session.flush()
    return job


def dispatch(job: PrintJob, *, progress: Progress | None = None) -> bool:
    """Hand ``job`` to the workers once the caller's writes are committed, or run it here
    when there is no Redis. True: queued for a worker."""
    url = redis_url(current_app)
    if url:
        job_id, queue_name = job.id, queue_name_for(current_app)
        unit_of_work.after_commit(lambda: _enqueue(url, queue_name, job_id))
        return True
    unit_of_work.commit_job_step()  # the job row, before its first market
    run(job.id, progress=progress)
    return False


def queue_name_for(app: Any) -> str:
    return f"{key_prefix(app)}-print"


def _enqueue(url: str, queue_name: str, job_id: int) -> None:
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    queue = Queue(queue_name, connection=Redis.from_url(url, socket_connect_timeout=5))
    try:
        queue.enqueue(
            run_queued,
            job_id,
            job_id=f"{queue_name}-{job_id}-{uuid.uuid4().hex[:8]}",
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError:
        # The job is saved as queued: its page offers Resume once it is stale.
        logger.exception("Print job %s could not be queued", job_id)


def run_queued(job_id: int) -> None:
    """What the RQ worker calls (``market4 print-jobs worker`` pushed the app context)."""
    try:
        run(job_id)
    finally:
        db.session.remove()


# --- the run ---------------------------------------------------------------------------------


def run(job_id: int, *, progress: Progress | None = None) -> PrintJob | None:
    """Print the job's unfinished markets, committing after each; None: not this run's to
    do (finished, cancelled, or already taken by another run)."""
    job = db.session.get(PrintJob, job_id)
    if job is None or not (job.status == PrintJobStatus.QUEUED or job.is_stale()):
        return job
    if job.cancel_requested:
        _finish(job, PrintJobStatus.CANCELLED)
        unit_of_work.commit_job_step()
        return job
    token = uuid.uuid4().hex
    job.status, job.run_token = PrintJobStatus.RUNNING, token
    job.started_at = job.started_at or now_utc()
    job.updated_at = now_utc()
    unit_of_work.commit_job_step()
    actor = job.created_by
    (job_dir(job) / "parts").mkdir(parents=True, exist_ok=True)
    _recover_parts(job)
    if progress:
        progress(job)
    for index in range(job.done_markets, job.total_markets):
        db.session.refresh(job)
        if job.run_token != token:
            logger.warning("Print job %s was taken over by another run", job_id)
            return None
        if job.cancel_requested:
            _finish(job, PrintJobStatus.CANCELLED)
            unit_of_work.commit_job_step()
            return job
        if not _print_market(job, index, actor):
            return job
        # The market's rows are no longer referenced: the session's identity map holds
        # them weakly, so memory stays that of one market.
        job = db.session.get(PrintJob, job_id)
        if progress:
            progress(job)
    _finish(job, PrintJobStatus.DONE)
    unit_of_work.commit_job_step()
    logger.info("Print job %s done: %d placards", job.id, job.placards)
    return job


def _print_market(job: PrintJob, index: int, actor: User | None) -> bool:
    """Print one market and commit it with the job's step; False when the job failed."""
    market = db.session.get(Market, job.market_ids[index])
    stalls = list(db.session.scalars(select(Stall).where(Stall.market_id == job.market_ids[index])))
    result = None
    if market is not None and stalls:
        try:
            result = printing.print_stalls(
                stalls,
                actor=actor,
                channel="job",
                layout=job.layout,
                ec_level=job.ec_level,
                cover_page=job.cover_page,
                only_outdated=not job.include_current,
                supersede_posted=job.include_current,
                title=f"Bảng mã VietQR – {market.name}",
            )
        except (DomainError, PlacardLayoutError) as error:
            if getattr(error, "code", None) != "nothing_to_print":
                _fail(job, index, market, error)
                return False
            unit_of_work.abandon_job_step()
            job = db.session.get(PrintJob, job.id)
    temporary = None
    if result is not None and market is not None:
        temporary = _part_path(job, index, market).with_suffix(".tmp")
        temporary.write_bytes(result.pdf)
        job.placards += len(result.placards)
    # Not printed: current already, vacant, closed, or no account to print.
    job.skipped += len(stalls) - (len(result.placards) if result is not None else 0)
    job.done_markets = index + 1
    job.done_stalls += len(stalls)
    job.updated_at = now_utc()
    unit_of_work.commit_job_step()
    if temporary is not None:
        temporary.rename(temporary.with_suffix(".pdf"))
    return True


def _fail(job: PrintJob, index: int, market: Market | None, error: Exception) -> None:
    message = getattr(error, "message", None) or str(error)
    unit_of_work.abandon_job_step()
    job = db.session.get(PrintJob, job.id)
    where = market.name if market is not None else f"#{job.market_ids[index]}"
    job.error = f"{where}: {message}"
    logger.error("Print job %s failed at market %s: %s", job.id, where, message)
    _finish(job, PrintJobStatus.FAILED)
    unit_of_work.commit_job_step()


def _recover_parts(job: PrintJob) -> None:
    """A market committed just before its run stopped left its PDF as ``.tmp``: keep it.
    Any other ``.tmp`` belongs to a market the database does not count: printed again."""
    for temporary in (job_dir(job) / "parts").glob("*.tmp"):
        number = int(temporary.name.split("-", 1)[0])
        if number <= job.done_markets:
            temporary.rename(temporary.with_suffix(".pdf"))
        else:
            temporary.unlink()


def _finish(job: PrintJob, status: PrintJobStatus) -> None:
    job.status = status
    job.finished_at = job.updated_at = now_utc()
    job.run_token = None
    if status != PrintJobStatus.FAILED:
        _pack(job)


def _pack(job: PrintJob) -> None:
    """Every finished market's PDF in one ZIP, file by file (memory stays flat)."""
    pdfs = parts(job)
    if not pdfs:
        return
    target = zip_path(job)
    temporary = target.with_suffix(".zip.tmp")
    # PDFs are compressed already: storing them is as small and much faster.
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
        for pdf in pdfs:
            archive.write(pdf, arcname=pdf.name)
    temporary.replace(target)


# --- removing old files ----------------------------------------------------------------------


@dataclass(frozen=True)
class PrunedJob:
    """A job whose folder ``prune`` removed (or would remove, on a dry run)."""

    job_id: int
    status: str
    title: str
    last_activity: datetime
    folder: Path
    size: int  # bytes
    abandoned: bool  # queued or running with nobody at it: marked failed first


def last_activity(job: PrintJob) -> datetime:
    return job.finished_at or job.updated_at or job.started_at or job.created_at


def files_removed(job: PrintJob) -> bool:
    """Whether a job that printed placards has lost its files (``prune``, or a disk
    cleaned by hand): its page says so instead of offering a download, and it can no
    longer be resumed, whose ZIP would miss the markets printed before."""
    return job.status in FINISHED and job.placards > 0 and not job_dir(job).is_dir()


def prune(
    older_than: timedelta, *, dry_run: bool = False, now: datetime | None = None
) -> list[PrunedJob]:
    """Remove the folders (PDFs and ZIP) of jobs that ended longer than ``older_than``
    ago: done, cancelled or failed. A queued or running job is never touched while
    anyone may still be at it; one that has not moved for ``older_than`` (its worker
    and its queue entry long gone) is marked failed first, so that nobody resumes it
    into a ZIP missing what it printed before.

    The database keeps every job and its placards; the folders go once the caller's
    writes are committed (``unit_of_work.after_commit``), so an abandoned job is never
    left "running" without its files. ``dry_run`` changes nothing and says what would go.
    """
    now = now or now_utc()
    cutoff = now - older_than
    pruned: list[PrunedJob] = []
    for job in db.session.scalars(select(PrintJob).order_by(PrintJob.id)):
        folder = job_dir(job)
        if not folder.is_dir() or last_activity(job) >= cutoff:
            continue
        abandoned = job.status not in FINISHED
        if abandoned and not job.is_stale(now):
            continue
        pruned.append(
            PrunedJob(
                job_id=job.id,
                status=PrintJobStatus.FAILED if abandoned else job.status,
                title=job.title,
                last_activity=last_activity(job),
                folder=folder,
                size=sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()),
                abandoned=abandoned,
            )
        )
        if dry_run:
            continue
        if abandoned:
            job.error = str(
                _l(
                    "Bỏ dở: không có tiến triển từ %(when)s, tệp đã được dọn.",
                    when=vn_datetime(last_activity(job)),
                )
            )
            _finish(job, PrintJobStatus.FAILED)
        unit_of_work.after_commit(lambda folder=folder: shutil.rmtree(folder, ignore_errors=True))
    db.session.flush()
    return pruned


def visible_jobs(user: User, limit: int = 50) -> list[PrintJob]:
    """The latest jobs ``user`` may follow: their own; every job for an admin."""
    query = select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)
    if user.role != Role.ADMIN:
        query = query.where(PrintJob.created_by_id == user.id)
    return list(db.session.scalars(query))


def may_follow(user: User, job: PrintJob) -> bool:
    return user.role == Role.ADMIN or job.created_by_id == user.id
