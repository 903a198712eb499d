"""Print jobs: many markets printed one by one, resumable, as a ZIP of PDFs; on RQ with
Redis, inline without it; from the web page and the CLI."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from market4.auth.services import create_user
from market4.db import now_utc
from market4.errors import Conflict, PermissionDenied
from market4.extensions import db
from market4.placards import jobs, printing
from market4.registry.markets import Market, Stall
from market4.registry.placards import Placard
from market4.registry.print_jobs import PrintJob
from market4.vocabulary import PrintJobStatus
from tests import factories as f

PASSWORD = "mật khẩu đủ dài"


@pytest.fixture
def job_files(app):
    return app.config["PRINT_JOBS_DIR"]  # under the test's tmp_path (tests/conftest.py)


@pytest.fixture
def markets(session):
    """Three markets (printed in name order: Bắc, Đông, Nam); two stalls need a placard
    at each, and one stall per market is vacant."""
    made = []
    for name in ("Chợ Nam", "Chợ Bắc", "Chợ Đông"):
        market = f.market(name=name)
        for n in (1, 2):
            f.registered_vendor(f.stall(market, f"Sạp {n}"))
        f.stall(market, "Sạp 3")
        made.append(market)
    session.flush()
    return made


def market_manager(email: str, markets) -> Any:
    """A market board's manager of ``markets``, who signs in with PASSWORD."""
    manager = create_user(
        email=email,
        name="Quản lý",
        role="market_manager",
        password=PASSWORD,
        organisation=f.organisation(kind="market_board", bank_bin=None),
    )
    manager.markets = list(markets)
    db.session.flush()
    return manager


def placards_of(market) -> int:
    return db.session.scalar(
        select(func.count(Placard.id))
        .join(Stall, Stall.id == Placard.stall_id)
        .where(Stall.market_id == market.id)
    )


def zip_members(job: PrintJob) -> dict[str, int]:
    """Each PDF of the job's ZIP with its page count."""
    with zipfile.ZipFile(jobs.zip_path(job)) as archive:
        return {
            name: len(PdfReader(io.BytesIO(archive.read(name))).pages)
            for name in archive.namelist()
        }


def test_a_job_prints_each_market_into_its_own_pdf_and_packs_them(markets, job_files):
    ordered = jobs.markets_in_order(select(type(markets[0])))
    assert [market.name for market in ordered][:3] == ["Chợ Bắc", "Chợ Đông", "Chợ Nam"]
    job = jobs.create_job(ordered, actor=None, title="Thử", layout="a4x4")
    assert job.total_stalls == 9 and job.status == PrintJobStatus.QUEUED
    seen = []
    assert jobs.dispatch(job, progress=lambda j: seen.append(j.done_markets)) is False
    job = db.session.get(PrintJob, job.id)
    assert job.status == PrintJobStatus.DONE and job.finished_at is not None
    assert (job.done_markets, job.placards, job.skipped, job.percent) == (3, 6, 3, 100)
    assert seen == [0, 1, 2, 3]
    members = zip_members(job)
    codes = [market.code for market in ordered]
    assert list(members) == [f"{n:05d}-{code}.pdf" for n, code in enumerate(codes, 1)]
    assert all(pages == 2 for pages in members.values())  # a cover list and one sheet of 4
    assert all(placards_of(market) == 2 for market in markets)


def test_a_failed_market_stops_the_job_and_resume_prints_only_the_rest(
    markets, job_files, monkeypatch
):
    ordered = jobs.markets_in_order(select(type(markets[0])))
    real = printing.print_stalls
    failing = {"market": ordered[1].id}

    def print_stalls(stalls, **options):
        if stalls[0].market_id == failing["market"]:
            raise printing.PayloadMismatch("mã QR không trả vào đúng tài khoản")
        return real(stalls, **options)

    monkeypatch.setattr(printing, "print_stalls", print_stalls)
    job = jobs.create_job(ordered, actor=None, title="Thử")
    jobs.dispatch(job)
    job = db.session.get(PrintJob, job.id)
    assert job.status == PrintJobStatus.FAILED and job.done_markets == 1
    assert job.error.startswith("Chợ Đông: ") and job.may_resume
    assert [placards_of(market) for market in ordered] == [2, 0, 0]
    assert not jobs.zip_path(job).exists()  # a failed job packs nothing

    failing["market"] = None
    jobs.dispatch(jobs.prepare_resume(job))
    job = db.session.get(PrintJob, job.id)
    assert job.status == PrintJobStatus.DONE and job.error is None
    assert [placards_of(market) for market in ordered] == [2, 2, 2]  # nothing twice
    assert job.placards == 6 and len(zip_members(job)) == 3


def test_cancelling_stops_after_the_current_market_and_keeps_what_is_printed(markets, job_files):
    ordered = jobs.markets_in_order(select(type(markets[0])))
    job = jobs.create_job(ordered, actor=None, title="Thử")

    def cancel_after_the_first(current: PrintJob) -> None:
        if current.done_markets == 1:
            jobs.cancel(current)  # as the page or the CLI would, from another request

    jobs.dispatch(job, progress=cancel_after_the_first)
    job = db.session.get(PrintJob, job.id)
    assert job.status == PrintJobStatus.CANCELLED and job.done_markets == 1
    assert list(zip_members(job)) == [f"00001-{ordered[0].code}.pdf"]
    with pytest.raises(Exception, match="kết thúc"):
        jobs.cancel(job)

    jobs.dispatch(jobs.prepare_resume(job))
    assert db.session.get(PrintJob, job.id).status == PrintJobStatus.DONE
    assert len(zip_members(job)) == 3


def test_a_queued_job_cancelled_never_starts(markets, job_files):
    job = jobs.create_job(markets, actor=None, title="Thử")
    jobs.cancel(job)
    assert job.status == PrintJobStatus.CANCELLED
    assert jobs.run(job.id).status == PrintJobStatus.CANCELLED
    assert sum(placards_of(market) for market in markets) == 0


def test_a_pdf_written_just_before_the_run_stopped_is_kept_only_if_committed(markets, job_files):
    job = jobs.create_job(markets, actor=None, title="Thử")
    job.done_markets = 1
    folder = jobs.job_dir(job) / "parts"
    folder.mkdir(parents=True)
    (folder / "00001-A.tmp").write_bytes(b"%PDF committed")
    (folder / "00002-B.tmp").write_bytes(b"%PDF never committed")
    jobs._recover_parts(job)
    assert sorted(path.name for path in folder.iterdir()) == ["00001-A.pdf"]


def test_a_job_is_refused_outside_the_actors_markets_and_with_a_bad_layout(markets, session):
    manager = market_manager("ql@example.vn", [markets[0]])
    with pytest.raises(PermissionDenied):
        jobs.create_job(markets, actor=manager, title="Thử")
    with pytest.raises(Exception, match="a9"):
        jobs.create_job(markets[:1], actor=manager, title="Thử", layout="a9")
    assert session.scalar(select(func.count(PrintJob.id))) == 0


# --- the web page ------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, markets, session):
    manager = market_manager("quanly@example.vn", markets[:2])
    response = client.post("/dang-nhap", data={"email": manager.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_page_runs_a_job_inline_without_redis_and_offers_the_zip(
    manager_client, markets, job_files
):
    page = manager_client.get("/bang-ma/in-lo").get_data(as_text=True)
    assert "Mọi chợ bạn được in (2 chợ)" in page
    response = manager_client.post(
        "/bang-ma/in-lo", data={"area": "", "layout": "a4x4", "scope": "needed", "cover_page": "y"}
    )
    assert response.status_code == 303
    job_page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Xong" in job_page and 'value="100"' in job_page
    assert 'http-equiv="refresh"' not in job_page  # nothing left to follow
    [job] = db.session.scalars(select(PrintJob)).all()
    assert job.market_ids == [markets[1].id, markets[0].id]  # Bắc, Nam: the manager's two
    download = manager_client.get(f"/bang-ma/in-lo/{job.id}/tai-ve")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) == 2
    download.close()
    listing = manager_client.get("/bang-ma/in-lo").get_data(as_text=True)
    assert f"#{job.id}" in listing and "2 / 2 chợ · 4 bảng" in listing


def test_reprinting_posted_placards_must_be_confirmed(manager_client, job_files):
    response = manager_client.post(
        "/bang-ma/in-lo", data={"area": "", "layout": "a4x4", "scope": "all"}
    )
    assert response.status_code == 400
    assert "In lại cả bảng đang dán cần xác nhận" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0


def test_another_users_job_is_not_found(client, markets, session, job_files):
    job = jobs.create_job(markets, actor=None, title="Thử")
    session.flush()
    other = market_manager("khac@example.vn", markets)
    client.post("/dang-nhap", data={"email": other.email, "password": PASSWORD})
    for url in (f"/bang-ma/in-lo/{job.id}", f"/bang-ma/in-lo/{job.id}/tai-ve"):
        assert client.get(url).status_code == 404
    assert client.post(f"/bang-ma/in-lo/{job.id}/dung").status_code == 404


# --- with Redis: queued for the worker ----------------------------------------------------


def test_with_redis_the_page_queues_the_job_and_the_worker_runs_it(
    app, manager_client, markets, job_files, redis_settings
):
    """The page queues; ``market4 print-jobs worker --burst`` runs it and exits."""
    app.config.update(redis_settings)
    response = manager_client.post(
        "/bang-ma/in-lo", data={"area": "", "layout": "a4x4", "scope": "needed"}
    )
    assert response.status_code == 303
    [job] = db.session.scalars(select(PrintJob)).all()
    page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đang chờ" in page and 'http-equiv="refresh"' in page and "Dừng" in page

    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_settings["REDIS_URL"])
    queue = Queue(jobs.queue_name_for(app), connection=connection)
    assert queue.count == 1
    worked = app.test_cli_runner().invoke(args=["print-jobs", "worker", "--burst"])
    assert worked.exit_code == 0, worked.output
    assert queue.count == 0
    db.session.expire_all()
    job = db.session.get(PrintJob, job.id)
    assert job.status == PrintJobStatus.DONE and job.placards == 4
    queue.delete(delete_jobs=True)


# --- the CLI -------------------------------------------------------------------------------


def test_the_cli_prints_a_job_inline_and_downloads_its_zip(runner, markets, job_files, tmp_path):
    codes = [market.code for market in markets]
    result = runner.invoke(args=["print-jobs", "start", "--market", codes[0], "--market", codes[1]])
    assert result.exit_code == 0, result.output
    assert "done" in result.output and "2/2 markets, 4 placards" in result.output
    job = db.session.scalars(select(PrintJob)).one()
    assert job.title == f"{codes[0]}, {codes[1]}"
    listed = runner.invoke(args=["print-jobs", "list"])
    assert f"#{job.id} done" in listed.output
    target = tmp_path / "out.zip"
    downloaded = runner.invoke(args=["print-jobs", "download", str(job.id), "-o", str(target)])
    assert downloaded.exit_code == 0 and len(zipfile.ZipFile(target).namelist()) == 2
    refused = runner.invoke(args=["print-jobs", "start", "--all", "--include-current"])
    assert refused.exit_code == 2 and "--confirm-superseding" in refused.output
    unknown = runner.invoke(args=["print-jobs", "start", "--market", "KHONG-CO"])
    assert unknown.exit_code == 2 and "unknown market 'KHONG-CO'" in unknown.output
    nowhere = runner.invoke(args=["print-jobs", "start", "--province", "Không Có Tỉnh Này"])
    assert nowhere.exit_code == 2 and "a province of the 2025 scheme" in nowhere.output


def test_the_cli_queues_with_redis_and_a_queued_job_can_be_cancelled(
    app, runner, markets, job_files, redis_settings
):
    app.config.update(redis_settings)
    market_id = markets[0].id  # the worker ends its session: fixtures are detached after it
    queued = runner.invoke(args=["print-jobs", "start", "--market", markets[0].code, "--detach"])
    assert queued.exit_code == 0, queued.output
    assert "queued; follow with: market4 print-jobs show" in queued.output
    job = db.session.scalars(select(PrintJob)).one()
    assert job.status == PrintJobStatus.QUEUED
    cancelled = runner.invoke(args=["print-jobs", "cancel", str(job.id)])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    # The worker then finds it cancelled and prints nothing.
    assert runner.invoke(args=["print-jobs", "worker", "--burst"]).exit_code == 0
    db.session.expire_all()
    job_id = queued.output.split("show ")[-1].strip()
    assert db.session.get(PrintJob, int(job_id)).status == PrintJobStatus.CANCELLED
    assert placards_of(db.session.get(Market, market_id)) == 0
    shown = runner.invoke(args=["print-jobs", "show", job_id])
    assert f"#{job_id} cancelled" in shown.output


def test_a_job_the_queue_lost_can_be_resumed_once_stale(app, manager_client, job_files):
    """Redis unreachable when the job is sent: the page still answers, the job waits as
    queued, and once it has not moved for STALE_AFTER its page offers Resume."""
    from datetime import timedelta

    from market4.db import now_utc
    from market4.registry.print_jobs import STALE_AFTER

    app.config.update(REDIS_URL="redis://127.0.0.1:1/0")
    response = manager_client.post(
        "/bang-ma/in-lo", data={"area": "", "layout": "a4x4", "scope": "needed"}
    )
    assert response.status_code == 303
    job = db.session.scalars(select(PrintJob)).one()
    assert job.status == PrintJobStatus.QUEUED and not job.may_resume
    job.created_at = job.updated_at = now_utc() - STALE_AFTER - timedelta(minutes=1)
    db.session.commit()
    page = manager_client.get(f"/bang-ma/in-lo/{job.id}").get_data(as_text=True)
    assert "Tiếp tục" in page and 'http-equiv="refresh"' not in page
    app.config.update(REDIS_URL=None)  # Redis gone for good: resume runs it here
    manager_client.post(f"/bang-ma/in-lo/{job.id}/tiep-tuc")
    db.session.expire_all()
    assert db.session.get(PrintJob, job.id).status == PrintJobStatus.DONE


# --- removing old files --------------------------------------------------------------------


def printed_job(markets, *, days_ago: int, status=PrintJobStatus.DONE, actor=None) -> PrintJob:
    """A job that printed its markets (again: it re-issues current placards), ended
    ``days_ago`` days ago with ``status``, its files on disk."""
    job = jobs.create_job(markets, actor=actor, title="Cũ", include_current=True)
    jobs.dispatch(job)
    job = db.session.get(PrintJob, job.id)
    assert job.placards > 0 and jobs.job_dir(job).is_dir()
    job.status = status
    job.finished_at = job.updated_at = now_utc() - timedelta(days=days_ago)
    db.session.flush()
    return job


def abandoned_job(markets, *, minutes_ago: int) -> PrintJob:
    """A job left running by a worker that stopped ``minutes_ago`` minutes ago, one PDF
    written."""
    job = jobs.create_job(markets, actor=None, title="Bỏ dở")
    job.status = PrintJobStatus.RUNNING
    job.started_at = job.updated_at = now_utc() - timedelta(minutes=minutes_ago)
    (jobs.job_dir(job) / "parts").mkdir(parents=True)
    (jobs.job_dir(job) / "parts" / "00001-A.pdf").write_bytes(b"%PDF")
    db.session.flush()
    return job


def test_prune_removes_only_the_files_of_jobs_over_long_ago(runner, markets, job_files):
    old = printed_job(markets[:1], days_ago=40)
    old_failed = printed_job(markets[1:2], days_ago=31, status=PrintJobStatus.FAILED)
    recent = printed_job(markets[2:], days_ago=2, status=PrintJobStatus.CANCELLED)
    abandoned = abandoned_job(markets, minutes_ago=40 * 24 * 60)
    moving = abandoned_job(markets, minutes_ago=10)  # not stale: its worker may be at it
    ids = [job.id for job in (old, old_failed, recent, abandoned, moving)]

    dry = runner.invoke(args=["print-jobs", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove the files of 3 print job(s)" in dry.output
    assert all(jobs.job_dir(db.session.get(PrintJob, i)).is_dir() for i in ids)
    assert db.session.get(PrintJob, abandoned.id).status == PrintJobStatus.RUNNING

    result = runner.invoke(args=["print-jobs", "prune"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    removed = [old.id, old_failed.id, abandoned.id]
    assert [line.split()[0] for line in lines[:-1]] == [f"#{i}" for i in removed]
    assert "(abandoned: marked failed)" in lines[2]
    assert lines[-1].startswith("removed the files of 3 print job(s),")
    db.session.expire_all()
    job = {i: db.session.get(PrintJob, i) for i in ids}
    assert {i for i in ids if jobs.job_dir(job[i]).is_dir()} == {recent.id, moving.id}
    assert job[abandoned.id].status == PrintJobStatus.FAILED
    assert "tệp đã được dọn" in job[abandoned.id].error
    assert job[moving.id].status == PrintJobStatus.RUNNING
    # The jobs and their placards stay; only the files went. A job that printed nothing
    # lost nothing.
    assert all(placards_of(market) == 2 for market in markets)
    assert [i for i in ids if jobs.files_removed(job[i])] == [old.id, old_failed.id]
    # A short age never reaches a job that may still be moving (10 minutes without news).
    short = jobs.prune(timedelta(minutes=5), dry_run=True)
    assert [pruned.job_id for pruned in short] == [recent.id]

    # Nothing to download, nothing to resume into a ZIP that would miss what was printed.
    shown = runner.invoke(args=["print-jobs", "show", str(old.id)])
    assert "files removed" in shown.output and "ZIP:" not in shown.output
    download = runner.invoke(args=["print-jobs", "download", str(old.id), "-o", "x.zip"])
    assert download.exit_code == 1 and "were removed" in download.output
    with pytest.raises(Conflict) as refused:
        jobs.prepare_resume(job[old_failed.id])
    assert refused.value.code == "files_removed"
    again = runner.invoke(args=["print-jobs", "prune"])
    assert again.output.strip() == "removed the files of 0 print job(s), 0.0 MB"


def test_prune_reads_its_age_and_refuses_a_bad_one(runner, markets, job_files):
    printed_job(markets[:1], days_ago=3)
    assert "of 0 print job(s)" in runner.invoke(args=["print-jobs", "prune"]).output
    shorter = runner.invoke(args=["print-jobs", "prune", "--older-than", "48h"])
    assert "of 1 print job(s)" in shorter.output
    bad = runner.invoke(args=["print-jobs", "prune", "--older-than", "a month"])
    assert bad.exit_code == 2 and "is not an age such as 30d, 12h or 90m" in bad.output


def test_the_page_of_a_pruned_job_says_its_files_were_removed(runner, client, markets, job_files):
    manager = market_manager("dondep@example.vn", markets[:2])
    job = printed_job(markets[:2], days_ago=60, actor=manager)
    response = client.post("/dang-nhap", data={"email": manager.email, "password": PASSWORD})
    assert response.status_code == 302
    before = client.get(f"/bang-ma/in-lo/{job.id}").get_data(as_text=True)
    assert "/tai-ve" in before and 'id="files-removed"' not in before
    assert runner.invoke(args=["print-jobs", "prune"]).exit_code == 0
    page = client.get(f"/bang-ma/in-lo/{job.id}").get_data(as_text=True)
    assert 'id="files-removed"' in page and "đã được dọn khỏi máy chủ" in page
    assert "/tai-ve" not in page and "/tiep-tuc" not in page
    assert client.get(f"/bang-ma/in-lo/{job.id}/tai-ve").status_code == 404
