"""A market manager walks a market with the phone's network switched off: the walk goes on
from stall to stall on the pages the phone kept, the outcomes wait on the phone with a
visible count, and once the network is back they are recorded, each exactly once; one
whose stall was closed meanwhile is listed with the reason, until the manager removes it."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from market4.auth.models import User
from market4.demo.data import DEMO_EMAIL_DOMAIN
from market4.extensions import db
from market4.markets import services
from market4.registry.markets import Market, Stall, VerificationVisit
from tests import factories as f
from tests.browser.conftest import go_offline

CODES = ("Sạp 1", "Sạp 2", "Sạp 3", "Sạp 4")


@pytest.fixture
def walked_market(live_app):
    """Four stalls of a market of its own (in a commune of its own, so no other test's
    figures move), managed by the demo market manager for the length of the test."""
    with live_app.app_context():
        market = f.market(name="Chợ Thử Ngoại Tuyến", area=f.commune("Thử Ngoại Tuyến"))
        stalls = [f.stall(market, code, zone="Khu A") for code in CODES]
        manager = db.session.scalar(
            select(User).where(User.email == f"quanlycho@{DEMO_EMAIL_DOMAIN}")
        )
        manager.markets.append(market)
        db.session.commit()
        walked = (market.code, [stall.id for stall in stalls], manager.id, market.id)
    yield walked[:3]
    with live_app.app_context():
        manager = db.session.get(User, walked[2])
        manager.markets.remove(db.session.get(Market, walked[3]))
        db.session.commit()


def recorded(live_app, stall_id: int) -> list[tuple[str, int]]:
    with live_app.app_context():
        return [
            (visit.outcome, visit.recorded_by_id)
            for visit in db.session.scalars(
                select(VerificationVisit).where(VerificationVisit.stall_id == stall_id)
            )
        ]


def wait_until_kept(page, urls: list[str]) -> None:
    """The service worker keeps the next steps in the background: wait for them."""
    script = "async (urls) => (await Promise.all(urls.map((u) => caches.match(u)))).every(Boolean)"
    deadline = time.monotonic() + 20
    while not page.evaluate(script, urls):
        assert time.monotonic() < deadline, f"the phone did not keep {urls}"
        time.sleep(0.2)


def test_a_walk_goes_on_offline_and_each_visit_is_recorded_once(
    phone_page, sign_in, screenshot, live_app, walked_market
):
    page = phone_page
    context = page.context
    code, stall_ids, manager_id = walked_market
    step = [f"/cho/{code}/di-kiem-tra/{stall_id}?ds=all" for stall_id in stall_ids]
    bar = page.locator("#offline-status")

    sign_in(page, "quanlycho")
    page.goto(f"/cho/{code}/di-kiem-tra?ds=all")
    page.get_by_role("link", name=re.compile("Sạp 1")).click()
    page.wait_for_url(re.compile(re.escape(step[0])))
    wait_until_kept(page, step)

    # The network goes: two outcomes, each going on to the next stall's kept page.
    go_offline(page)
    page.get_by_role("button", name="Tiểu thương từ chối").click()
    page.wait_for_url(re.compile(re.escape(step[1])))
    assert page.get_by_role("heading", name="Sạp 2").is_visible()
    assert re.search(r"Bản lưu để xem khi mất mạng, lúc \d\d:\d\d", bar.inner_text())
    assert (
        "Đã lưu “Tiểu thương từ chối” cho Sạp 1 · Chợ Thử Ngoại Tuyến"
        in page.locator("main").inner_text()
    )
    bar.get_by_text("1 lượt kiểm tra chưa gửi").wait_for()
    page.get_by_label("Ghi chú").fill("chưa muốn nhận")
    page.get_by_role("button", name="Tiểu thương từ chối").click()
    page.wait_for_url(re.compile(re.escape(step[2])))
    bar.get_by_text("2 lượt kiểm tra chưa gửi").wait_for()
    bar.get_by_text("Không có mạng", exact=False).wait_for()  # said once the round looked
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "offline-walk-two-waiting")
    assert recorded(live_app, stall_ids[0]) == [] and recorded(live_app, stall_ids[1]) == []

    # The network is back: both are sent, and recorded exactly once each.
    context.set_offline(False)
    bar.get_by_text("Đã gửi 2 lượt kiểm tra.").wait_for()
    assert "chưa gửi" not in bar.inner_text()
    assert recorded(live_app, stall_ids[0]) == [("declined", manager_id)]
    assert recorded(live_app, stall_ids[1]) == [("declined", manager_id)]
    page.reload()  # and again on the next page: nothing is sent twice
    assert "chưa gửi" not in bar.inner_text()
    assert recorded(live_app, stall_ids[0]) == [("declined", manager_id)]
    assert recorded(live_app, stall_ids[1]) == [("declined", manager_id)]

    # Offline again; the stall is closed at the office meanwhile: the visit is refused,
    # and the phone says why, until the manager removes it.
    page.goto(step[2])
    wait_until_kept(page, step[3:])
    go_offline(page)
    page.get_by_role("button", name="Tiểu thương từ chối").click()
    page.wait_for_url(re.compile(re.escape(step[3])))
    bar.get_by_text("1 lượt kiểm tra chưa gửi").wait_for()
    with live_app.app_context():
        services.close_stall(db.session.get(Stall, stall_ids[2]), actor=None)
        db.session.commit()
    context.set_offline(False)
    refused = bar.get_by_role("region", name="Lượt kiểm tra máy chủ không nhận")
    refused.get_by_text("Sạp 3 đã đóng.").wait_for()
    assert "Sạp 3 · Chợ Thử Ngoại Tuyến · Tiểu thương từ chối" in refused.inner_text()
    assert "chưa gửi" not in bar.inner_text()
    assert recorded(live_app, stall_ids[2]) == []
    screenshot(page, "offline-walk-refused")
    refused.get_by_role("button", name="Xoá lượt kiểm tra Sạp 3 · Chợ Thử Ngoại Tuyến").click()
    refused.wait_for(state="hidden")
    page.reload()
    assert not bar.is_visible()


def test_visits_wait_for_a_session_that_ended_while_offline(
    phone_page, sign_in, screenshot, live_app, walked_market
):
    """The session ends while the phone is offline (here: its cookie is gone): the bar says
    to sign in again and keeps the visit; signed in again, the visit is sent."""
    page = phone_page
    code, stall_ids, manager_id = walked_market
    step = [f"/cho/{code}/di-kiem-tra/{stall_id}?ds=all" for stall_id in stall_ids]
    bar = page.locator("#offline-status")
    sign_in(page, "quanlycho")
    page.goto(step[0])
    wait_until_kept(page, step[1:2])

    go_offline(page)
    page.get_by_role("button", name="Bảng mã bị mất").click()
    page.wait_for_url(re.compile(re.escape(step[1])))
    bar.get_by_text("1 lượt kiểm tra chưa gửi").wait_for()
    page.context.clear_cookies()
    page.context.set_offline(False)
    bar.get_by_text("Phiên đăng nhập đã kết thúc").wait_for()
    assert "1 lượt kiểm tra chưa gửi" in bar.inner_text()
    assert bar.get_by_role("link", name="Đăng nhập lại").is_visible()
    screenshot(page, "offline-walk-session-ended")
    assert recorded(live_app, stall_ids[0]) == []

    # The first page after signing in sends what waited (any page does, on load).
    sign_in(page, "quanlycho")
    bar.get_by_text("Đã gửi 1 lượt kiểm tra.").wait_for()
    assert recorded(live_app, stall_ids[0]) == [("placard_missing", manager_id)]
