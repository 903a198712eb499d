"""``market4 placards``: render a market, a stall or the whole database; reprint list; revoke."""

from __future__ import annotations

import flask_babel
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.demo.seed import seed
from market4.domain import placard_layout
from market4.placards import services
from market4.registry.markets import Market
from market4.registry.placards import Placard
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from tests import factories as f


def placards(session, *statuses: str) -> int:
    query = select(func.count(Placard.id))
    if statuses:
        query = query.where(Placard.status.in_(statuses))
    return session.scalar(query)


def test_render_a_demo_market_prints_what_needs_printing(runner, session, tmp_path):
    seed()
    market = session.scalar(select(Market).where(Market.code == "CD-QUANGTHANH"))
    needed = services.needs_reprint(market)
    assert needed
    out = tmp_path / "qt.pdf"
    result = runner.invoke(
        args=["placards", "render", "--market", "CD-QUANGTHANH", "--layout", "a4x2", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = result.stdout.splitlines()[0]
    issued = session.scalars(select(Placard).where(Placard.serial.like("P%"))).all()
    assert len(issued) == len(needed)
    assert summary.startswith(f"{len(issued)} placards (P0000001–P{len(issued):07d}), ")
    assert " pages, 0 superseded" in summary and summary.endswith(f"-> {out}")
    assert out.read_bytes().startswith(b"%PDF")
    assert {p.stall.market_id for p in issued} == {market.id}
    assert services.needs_reprint(market) == []
    again = runner.invoke(args=["placards", "render", "--market", "CD-QUANGTHANH", "-o", str(out)])
    assert again.exit_code == 0 and "Nothing written" in again.stderr


def test_reissuing_posted_placards_needs_their_number_confirmed(runner, session, tmp_path):
    seed()
    expected = session.scalar(
        select(func.count(Occupancy.id))
        .join(Vendor, Vendor.id == Occupancy.vendor_id)
        .join(PaymentAccount, PaymentAccount.vendor_id == Vendor.id)
        .where(
            Occupancy.ended_on.is_(None),
            PaymentAccount.is_on_placard.is_(True),
            PaymentAccount.status == "active",
        )
    )
    posted = placards(session, "posted")
    out = tmp_path / "all.pdf"
    before = (placards(session), placards(session, "posted"))
    refused = runner.invoke(
        args=["placards", "render", "--all", "--include-current", "-o", str(out)]
    )
    assert refused.exit_code == 2 and f"--confirm-superseding {posted}" in refused.stderr
    assert (placards(session), placards(session, "posted")) == before and not out.exists()

    result = runner.invoke(
        args=[
            "placards",
            "render",
            "--all",
            "--include-current",
            "--confirm-superseding",
            str(posted),
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{expected} placards ")
    assert placards(session, "issued") == expected and placards(session, "posted") == 0
    assert out.stat().st_size < 3_000_000
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "print")).all()
    assert len(events) == 1 and len(events[0].after["serials"]) == expected


def test_a_preview_writes_a_sample_and_records_nothing(runner, session, tmp_path):
    market = f.market()
    f.registered_vendor(f.stall(market, "Sạp 7"))
    out = tmp_path / "mau.pdf"
    result = runner.invoke(
        args=["placards", "render", "--market", market.code, "--preview", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and placards(session) == 0


def test_render_one_stall(runner, session, tmp_path):
    market = f.market()
    result = f.registered_vendor(f.stall(market, "Sạp 7"))
    out = tmp_path / "s.pdf"
    cli = runner.invoke(
        args=["placards", "render", "--market", market.code, "--stall", "sạp  7", "-o", str(out)]
    )
    assert cli.exit_code == 0, cli.output
    assert cli.stdout.startswith("1 placards (P0000001–P0000001), 1 pages, ")
    assert services.live_placard(result.occupancy.stall).layout == "a6"


def test_unknown_market_or_stall_exits_2_with_one_line(runner, session, tmp_path):
    market = f.market()
    out = tmp_path / "x.pdf"
    for args, message in (
        (["--market", "NO-SUCH"], "error: unknown market 'NO-SUCH'\n"),
        (
            ["--market", market.code, "--stall", "Sạp 404"],
            f"error: unknown stall 'Sạp 404' in market {market.code}\n",
        ),
    ):
        result = runner.invoke(args=["placards", "render", *args, "-o", str(out)])
        assert result.exit_code == 2
        assert result.stderr == message
    assert not out.exists()


def test_a_refused_layout_exits_2_and_writes_nothing(runner, session, tmp_path, monkeypatch):
    market = f.market()
    f.registered_vendor(f.stall(market))
    monkeypatch.setattr(placard_layout, "MIN_MODULE_MM", 5.0)
    out = tmp_path / "x.pdf"
    before = (placards(session), session.scalar(select(func.count(AuditEvent.id))))
    result = runner.invoke(
        args=["placards", "render", "--market", market.code, "--layout", "a4x4", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "minimum" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not out.exists()
    assert (placards(session), session.scalar(select(func.count(AuditEvent.id)))) == before


def test_only_outdated_with_nothing_to_print_is_not_an_error(runner, session, tmp_path):
    market = f.market()
    f.registered_vendor(f.stall(market))
    out = tmp_path / "x.pdf"
    args = ["placards", "render", "--market", market.code, "--only-outdated", "-o", str(out)]
    assert runner.invoke(args=args).exit_code == 0
    out.unlink()
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "Nothing written" in again.stderr
    assert not out.exists()


def test_reprint_list_and_revoke(runner, session, tmp_path):
    market = f.market()
    done = f.registered_vendor(f.stall(market, "Sạp 1"))
    f.registered_vendor(f.stall(market, "Sạp 2", zone="Khu A"))
    placard = services.issue_placard(done.occupancy.stall, done.account, actor=None)

    listing = runner.invoke(args=["placards", "reprint-list", "--market", market.code])
    assert listing.exit_code == 0
    assert listing.stdout.splitlines() == ["Sạp 2\tKhu A\tNguyễn Thị Đào\tChưa in bảng mã"]

    revoked = runner.invoke(args=["placards", "revoke", placard.serial, "--reason", "swapped"])
    assert revoked.exit_code == 0, revoked.output
    assert (placard.status, placard.end_reason) == ("revoked", "swapped")
    listing = runner.invoke(args=["placards", "reprint-list", "--market", market.code])
    assert (
        "Sạp 1\t\tNguyễn Thị Đào\tBảng mã bị thu hồi (mất hoặc bị dán đè)"
        in listing.stdout.splitlines()
    )

    again = runner.invoke(args=["placards", "revoke", placard.serial, "--reason", "lost"])
    assert again.exit_code == 2 and "không còn hiệu lực" in again.stderr
    missing = runner.invoke(args=["placards", "revoke", "P9999999", "--reason", "lost"])
    assert missing.exit_code == 2 and missing.stderr == "error: unknown placard serial 'P9999999'\n"


def test_cli_errors_speak_english_when_told(app, runner, session):
    result = f.registered_vendor(f.stall(f.market(), "Sạp 1"))
    placard = services.issue_placard(result.occupancy.stall, result.account, actor=None)
    runner.invoke(args=["placards", "revoke", placard.serial, "--reason", "swapped"])

    again = runner.invoke(args=["placards", "revoke", placard.serial, "--reason", "lost"])
    assert again.exit_code == 2 and "không còn hiệu lực" in again.stderr  # Vietnamese by default

    app.config["CLI_LOCALE"] = "en"  # MARKET4_CLI_LOCALE=en
    flask_babel.refresh()
    english = runner.invoke(args=["placards", "revoke", placard.serial, "--reason", "lost"])
    assert english.exit_code == 2
    assert f"Placard {placard.serial} is no longer valid." in english.stderr
    assert "không còn hiệu lực" not in english.stderr
