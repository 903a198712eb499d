"""``market4 vendors merge KEEP_ID DUPLICATE_ID [--yes]``: preview, merge, refusals."""

from __future__ import annotations

from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.placards import services as placards
from market4.registry.vendors import PaymentAccount, Vendor
from tests import factories as f


def state(session) -> tuple:
    session.expire_all()
    return (
        session.scalar(select(func.count(AuditEvent.id))),
        tuple(
            session.execute(
                select(Vendor.id, Vendor.is_active, Vendor.merged_into_id).order_by(Vendor.id)
            )
        ),
        tuple(
            session.execute(
                select(PaymentAccount.id, PaymentAccount.vendor_id).order_by(PaymentAccount.id)
            )
        ),
    )


def duplicated(session):
    keep = f.registered_vendor(f.stall(f.market(), "Sạp 4"))
    placards.mark_posted(
        placards.issue_placard(keep.occupancy.stall, keep.account, actor=None), actor=None
    )
    dup = f.registered_vendor(
        f.stall(keep.occupancy.stall.market, "Sạp 5"), phone=keep.vendor.phone_e164
    )
    placard = placards.issue_placard(dup.occupancy.stall, dup.account, actor=None)
    session.commit()
    return keep, dup, placard


def test_without_yes_it_prints_the_preview_and_writes_nothing(runner, session):
    keep, dup, placard = duplicated(session)
    before = state(session)
    result = runner.invoke(args=["vendors", "merge", str(keep.vendor.id), str(dup.vendor.id)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Giữ lại: #{keep.vendor.id} Nguyễn Thị Đào" in out
    assert f"Gộp vào và ngừng: #{dup.vendor.id}" in out
    assert f"{f.VCB} …{dup.account.last4} (thôi in trên bảng mã)" in out
    assert "Sạp 5 — Chợ Ngãi Giao" in out
    assert f"Bảng mã sẽ hết hiệu lực: {placard.serial} (Sạp 5)" in out
    assert "Cần in (lại) bảng mã: Sạp 5 — Chợ Ngãi Giao" in out
    assert dup.account.account_number not in out
    assert out.rstrip().endswith("Chưa ghi gì — chạy lại với --yes để gộp.")
    assert result.stderr == ""
    assert state(session) == before


def test_with_yes_it_merges_and_commits(runner, session):
    keep, dup, placard = duplicated(session)
    result = runner.invoke(
        args=["vendors", "merge", str(keep.vendor.id), str(dup.vendor.id), "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert f"Đã gộp hồ sơ #{dup.vendor.id} vào hồ sơ #{keep.vendor.id}." in result.stdout
    assert f"Bảng mã hết hiệu lực: {placard.serial}" in result.stdout
    session.rollback()  # only what the command committed remains
    session.expire_all()
    assert (dup.vendor.is_active, dup.vendor.merged_into_id) == (False, keep.vendor.id)
    assert dup.account.vendor_id == keep.vendor.id and placard.status == "superseded"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
    assert (event.object_id, event.channel, event.actor_id) == (str(keep.vendor.id), "cli", None)


def test_refusals_exit_2_with_one_error_line_and_change_nothing(runner, session):
    keep, dup, _ = duplicated(session)
    stranger = f.registered_vendor(display_name="Hoàng Văn Nam")
    session.commit()
    before = state(session)
    for args, message in (
        ([keep.vendor.id, 999999], "error: no vendor with id 999999\n"),
        (
            [keep.vendor.id, keep.vendor.id],
            "error: Không thể gộp một hồ sơ tiểu thương vào chính nó.\n",
        ),
        (
            [keep.vendor.id, stranger.vendor.id],
            "error: Hai hồ sơ không trùng số điện thoại, cũng không trùng tên không dấu — không gộp được.\n",
        ),
    ):
        for yes in ([], ["--yes"]):
            result = runner.invoke(args=["vendors", "merge", *map(str, args), *yes])
            assert result.exit_code == 2, result.output
            assert result.stderr == message
            assert result.stdout == ""
    assert state(session) == before

    assert (
        runner.invoke(
            args=["vendors", "merge", str(keep.vendor.id), str(dup.vendor.id), "--yes"]
        ).exit_code
        == 0
    )
    again = runner.invoke(
        args=["vendors", "merge", str(keep.vendor.id), str(dup.vendor.id), "--yes"]
    )
    assert again.exit_code == 2
    assert again.stderr == (
        f"error: Hồ sơ #{dup.vendor.id} (Nguyễn Thị Đào) đã được gộp vào hồ sơ #{keep.vendor.id}.\n"
    )
