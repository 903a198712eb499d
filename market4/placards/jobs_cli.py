"""``market4 print-jobs``: print many markets in one run, follow it, stop it, resume it.

    market4 print-jobs start --province "Đồng Nai" [--layout a4x4] [--no-cover]
                             [--include-current --confirm-superseding] [--detach]
    market4 print-jobs start --market CD-NGAIGIAO --market CD-KIMLONG
    market4 print-jobs start --all
    market4 print-jobs list | show ID | cancel ID | resume ID [--detach]
    market4 print-jobs download ID -o bang-ma.zip
    market4 print-jobs prune [--older-than 30d] [--dry-run]
    market4 print-jobs worker [--burst]

With ``MARKET4_REDIS_URL`` a job is queued for ``market4 print-jobs worker`` and
``start`` follows it with a progress bar until it ends (``--detach`` returns at once;
Ctrl-C stops following, not the job). Without Redis ``start`` runs the job itself, with
the same progress bar. The services are those of the web page (``placards.jobs``).
"""

from __future__ import annotations

import re
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from market4.domain.placard_layout import PRINT_EC_LEVEL
from market4.unit_of_work import cli_command
from market4.vocabulary import PlacardLayout

INVALID_INPUT_EXIT = 2
POLL_SECONDS = 2.0


def _fail(message: str, code: int = INVALID_INPUT_EXIT) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    click.get_current_context().exit(code)


@click.group("print-jobs")
def print_jobs_group() -> None:
    """Print jobs: many markets' placards in one resumable run (a ZIP of PDFs)."""


def _job(job_id: int) -> Any:
    from market4.extensions import db
    from market4.registry.print_jobs import PrintJob

    job = db.session.get(PrintJob, job_id)
    if job is None:
        _fail(f"unknown print job {job_id}")
    return job


def _line(job: Any) -> str:
    return (
        f"#{job.id} {job.status:<9} {job.done_markets}/{job.total_markets} markets, "
        f"{job.placards} placards, {job.skipped} skipped  {job.title}"
    )


def _markets(province: str | None, market_codes: tuple[str, ...], all_markets: bool):
    from sqlalchemy import select

    from market4.areas.lookup import AreaLookupError, resolve_area
    from market4.areas.models import SCHEME_2025
    from market4.extensions import db
    from market4.placards import jobs
    from market4.registry.markets import Market
    from market4.registry.scope import restrict_markets_to_area

    if sum((bool(province), bool(market_codes), all_markets)) != 1:
        _fail("give one of --province NAME, --market CODE (repeatable) or --all")
    query = select(Market)
    if all_markets:
        return jobs.markets_in_order(query), "Mọi chợ"
    if market_codes:
        found = {
            market.code: market
            for market in db.session.scalars(query.where(Market.code.in_(market_codes)))
        }
        missing = [code for code in market_codes if code not in found]
        if missing:
            _fail(f"unknown market {missing[0]!r}")
        return [found[code] for code in dict.fromkeys(market_codes)], ", ".join(found)
    try:
        area = resolve_area(province, None, levels={(SCHEME_2025, "province")})
    except AreaLookupError as error:
        _fail(f"{error} ({province!r}: a province of the 2025 scheme)")
    return jobs.markets_in_order(restrict_markets_to_area(query, area)), area.full_name


class _Progress:
    """A click progress bar over the job's stalls, fed by the inline run or by polling."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._shown = 0

    def __call__(self, job: Any) -> None:
        if self._bar is None:
            self._bar = click.progressbar(
                length=max(job.total_stalls, 1), label=f"job #{job.id} stalls", show_pos=True
            )
            self._bar.__enter__()
        self._bar.update(job.done_stalls - self._shown)
        self._shown = job.done_stalls

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@cli_command
def _create(
    markets: list[Any], title: str, options: dict[str, Any], progress: _Progress | None
) -> tuple[int, bool]:
    from market4.placards import jobs

    job = jobs.create_job(markets, actor=None, title=title, **options)
    return job.id, jobs.dispatch(job, progress=progress)


@cli_command
def _resume(job_id: int, progress: _Progress | None) -> tuple[int, bool]:
    from market4.placards import jobs

    job = jobs.prepare_resume(_job(job_id))
    return job.id, jobs.dispatch(job, progress=progress)


def _follow(job_id: int, progress: _Progress) -> None:
    """Poll the job's row until it ends (Ctrl-C stops following, not the job)."""
    from market4.extensions import db
    from market4.registry.print_jobs import FINISHED

    try:
        while True:
            db.session.close()  # end the transaction: see what the worker committed since
            job = _job(job_id)
            progress(job)
            if job.status in FINISHED:
                return
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        click.echo(f"\nstopped following; the job goes on (market4 print-jobs show {job_id})")


def _run(start: Any, detach: bool) -> None:
    """``start(progress)`` creates or resumes a job and returns (job id, queued)."""
    progress = None if detach else _Progress()
    try:
        job_id, queued = start(progress)
        if queued and progress is not None:
            _follow(job_id, progress)
    finally:
        if progress is not None:
            progress.close()
    _report(job_id, queued and detach)


def _report(job_id: int, queued: bool) -> None:
    from market4.extensions import db
    from market4.placards import jobs
    from market4.vocabulary import PrintJobStatus

    db.session.expire_all()
    job = _job(job_id)
    click.echo(_line(job))
    if job.error:
        click.echo(f"error: {job.error}", err=True)
    if queued:
        click.echo(f"queued; follow with: market4 print-jobs show {job.id}")
    elif jobs.zip_path(job).is_file():
        click.echo(f"ZIP: {jobs.zip_path(job)} (market4 print-jobs download {job.id} -o FILE)")
    if job.status == PrintJobStatus.FAILED:
        click.get_current_context().exit(1)


@print_jobs_group.command("start")
@click.option("--province", help='A province of the 2025 scheme, e.g. "Đồng Nai".')
@click.option("--market", "market_codes", multiple=True, help="A market code (repeatable).")
@click.option("--all", "all_markets", is_flag=True, help="Every market.")
@click.option(
    "--layout",
    type=click.Choice([layout.value for layout in PlacardLayout]),
    default="a4x4",
    show_default=True,
)
@click.option("--cover/--no-cover", default=True, help="Each market's list to sign on posting.")
@click.option(
    "--include-current",
    is_flag=True,
    help="Re-issue current placards too (default: only stalls that need one).",
)
@click.option(
    "--confirm-superseding",
    is_flag=True,
    help="With --include-current: you agree that placards posted on stalls stop working.",
)
@click.option(
    "--ec",
    "ec_level",
    type=click.Choice(["M", "Q", "H"]),
    default=PRINT_EC_LEVEL,
    show_default=True,
    help="QR error-correction level.",
)
@click.option("--detach", is_flag=True, help="With Redis: queue it and return.")
def start_command(
    province: str | None,
    market_codes: tuple[str, ...],
    all_markets: bool,
    layout: str,
    cover: bool,
    include_current: bool,
    confirm_superseding: bool,
    ec_level: str,
    detach: bool,
) -> None:
    """Print the placards of many markets, market by market, into a ZIP of PDFs."""
    if include_current and not confirm_superseding:
        _fail(
            "--include-current supersedes every placard posted on those stalls; "
            "repeat with --confirm-superseding to print anyway"
        )
    markets, title = _markets(province, market_codes, all_markets)
    options = dict(
        layout=layout, cover_page=cover, include_current=include_current, ec_level=ec_level
    )
    _run(lambda progress: _create(markets, title, options, progress), detach)


@print_jobs_group.command("resume")
@click.argument("job_id", type=int)
@click.option("--detach", is_flag=True, help="With Redis: queue it and return.")
def resume_command(job_id: int, detach: bool) -> None:
    """Go on with a stopped, failed or abandoned job from its first unfinished market."""
    _run(lambda progress: _resume(job_id, progress), detach)


@print_jobs_group.command("cancel")
@click.argument("job_id", type=int)
@cli_command
def cancel_command(job_id: int) -> None:
    """Stop a job after the market it is printing (what is printed stays downloadable)."""
    from market4.placards import jobs

    job = jobs.cancel(_job(job_id))
    click.echo(_line(job))


@print_jobs_group.command("list")
def list_command() -> None:
    """The latest print jobs."""
    from sqlalchemy import select

    from market4.extensions import db
    from market4.registry.print_jobs import PrintJob

    for job in db.session.scalars(select(PrintJob).order_by(PrintJob.id.desc()).limit(50)):
        click.echo(_line(job))


@print_jobs_group.command("show")
@click.argument("job_id", type=int)
def show_command(job_id: int) -> None:
    """One job's progress, error and ZIP."""
    from market4.placards import jobs

    job = _job(job_id)
    click.echo(_line(job))
    click.echo(f"stalls {job.done_stalls}/{job.total_stalls} ({job.percent}%)")
    if job.is_stale():
        click.echo("no progress for a while: its worker has stopped; resume it", err=True)
    if job.error:
        click.echo(f"error: {job.error}")
    if jobs.zip_path(job).is_file():
        click.echo(f"ZIP: {jobs.zip_path(job)}")
    elif jobs.files_removed(job):
        click.echo("files removed (market4 print-jobs prune); start a new job to print again")


@print_jobs_group.command("download")
@click.argument("job_id", type=int)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
)
def download_command(job_id: int, output: Path) -> None:
    """Copy the job's ZIP (one PDF per market) to OUTPUT."""
    from market4.placards import jobs

    job = _job(job_id)
    source = jobs.zip_path(job)
    if jobs.files_removed(job):
        _fail(f"the files of print job {job_id} were removed; start a new job to print again", 1)
    if not source.is_file():
        _fail(f"print job {job_id} has no ZIP yet (nothing printed, or still running)", 1)
    shutil.copyfile(source, output)
    click.echo(f"{output}")


class Age(click.ParamType):
    """An age as "30d", "12h" or "90m" (days, hours, minutes); a bare number is days."""

    name = "age"
    _UNITS = {"d": "days", "h": "hours", "m": "minutes"}

    def convert(self, value: Any, param: Any, ctx: Any) -> timedelta:
        if isinstance(value, timedelta):
            return value
        found = re.fullmatch(r"\s*(\d{1,5})\s*([dhm]?)\s*", str(value).lower())
        if found is None:
            self.fail(f"{value!r} is not an age such as 30d, 12h or 90m", param, ctx)
        number, unit = found.groups()
        return timedelta(**{self._UNITS[unit or "d"]: int(number)})


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB".replace(",", " ")


@print_jobs_group.command("prune")
@click.option(
    "--older-than",
    type=Age(),
    default="30d",
    show_default=True,
    help="Remove the files of jobs that ended this long ago (30d, 12h, 90m).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@cli_command
def prune_command(older_than: timedelta, dry_run: bool) -> None:
    """Remove the PDFs and ZIP of print jobs that ended long ago (done, cancelled, failed;
    a queued or running one only when abandoned that long, which is marked failed). The
    jobs and their placards stay; a job's page then says its files were removed."""
    from market4.placards import jobs

    pruned = jobs.prune(older_than, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for job in pruned:
        note = " (abandoned: marked failed)" if job.abandoned else ""
        click.echo(
            f"#{job.job_id} {job.status:<9} last activity {job.last_activity:%Y-%m-%d %H:%M} UTC"
            f"  {verb} {job.folder} ({_megabytes(job.size)}){note}  {job.title}"
        )
    total = sum(job.size for job in pruned)
    click.echo(f"{verb} the files of {len(pruned)} print job(s), {_megabytes(total)}")


@print_jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
def worker_command(burst: bool) -> None:
    """Run print jobs from Redis (MARKET4_REDIS_URL) until stopped."""
    from flask import current_app
    from redis import Redis
    from rq import Queue, SimpleWorker

    from market4.placards.jobs import queue_name_for
    from market4.shared_state import redis_url

    url = redis_url(current_app)
    if not url:
        _fail("print jobs need MARKET4_REDIS_URL; without it they run inline")
    connection = Redis.from_url(url)
    queue = Queue(queue_name_for(current_app), connection=connection)

    # One process, no fork per job: the app context and its database engine stay as
    # they are, and each job's memory is bounded by its largest market (placards.jobs).
    class PrintWorker(SimpleWorker):
        """Without RQ's command channel: a print job is stopped through its row (cancel,
        between markets), and the channel's listener thread could hold the worker's
        shutdown for its one-minute poll."""

        def subscribe(self) -> None:
            pass

        def unsubscribe(self) -> None:
            pass

    PrintWorker([queue], connection=connection).work(burst=burst)
