"""A walk step's camera scan kept on a phone without a network and sent later
(docs/offline.md): the stall's code check answers JSON, with an ``Idempotency-Key`` so a
retry never records twice; the verdict is the server's, and says plainly when the code
is not the stall's; the observed time is checked like a queued outcome's."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from market4.areas.models import AdminUnit
from market4.audit.models import AuditEvent
from market4.auth.models import User
from market4.db import VIETNAM_TZ, now_utc
from market4.domain.vietqr import Transfer, encode
from market4.markets import services as markets
from market4.placards import services as placards
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Market, Stall, VerificationVisit
from market4.registry.placards import Placard
from tests import factories as f
from tests.clients import sign_in_directly

JSON = {"Accept": "application/json"}


class World:
    market: Market
    stall: Stall  # a vendor and an issued placard
    placard: Placard
    other_stall: Stall  # another vendor, another placard
    other_placard: Placard
    manager: User
    area: AdminUnit


@pytest.fixture
def world(session) -> World:
    world = World()
    area = world.area = f.commune()
    world.market = f.market(area=area)
    world.stall = f.stall(world.market, "Sạp 1", zone="Khu A")
    mine = f.registered_vendor(world.stall)
    world.placard = placards.issue_placard(world.stall, mine.account, actor=None)
    world.other_stall = f.stall(world.market, "Sạp 2", zone="Khu A")
    theirs = f.registered_vendor(world.other_stall)
    world.other_placard = placards.issue_placard(world.other_stall, theirs.account, actor=None)
    world.manager = f.user("market_manager", f.organisation("market_board", area=area))
    world.manager.markets.append(world.market)
    session.flush()
    return world


def check_url(stall: Stall) -> str:
    return f"/bang-ma/sap/{stall.id}/kiem-tra"


def send(client, world: World, payload: str, key: str | None = None, **extra: str):
    headers = {**JSON, **({"Idempotency-Key": key} if key else {})}
    data = {"payload": payload, "walk_list": "all", **extra}
    return client.post(check_url(world.stall), data=data, headers=headers)


def visits(session, stall: Stall) -> list[VerificationVisit]:
    session.expire_all()
    return list(
        session.scalars(select(VerificationVisit).where(VerificationVisit.stall_id == stall.id))
    )


def check_events(session) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "check")
    )


def test_a_queued_scan_of_the_stalls_placard_matches_once_whatever_the_retries(
    client, session, world
):
    sign_in_directly(client, world.manager)
    key = str(uuid4())
    seen = now_utc() - timedelta(hours=3)
    first = send(client, world, world.placard.payload, key, observed_at=seen.isoformat())
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["check"]["verdict"] == "matches" and body["check"]["matches"] is True
    assert body["check"]["wrong_code"] is False
    assert body["message"] == "Mã tại sạp khớp sổ đăng ký."
    assert body["next"] == f"/cho/{world.market.code}/di-kiem-tra/sau/{world.stall.id}?ds=all"
    assert body["stall"] == {"id": world.stall.id, "code": "Sạp 1", "status": ACCEPTING}

    retry = send(client, world, world.placard.payload, key, observed_at=seen.isoformat())
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == body
    [visit] = visits(session, world.stall)
    assert visit.outcome == "code_matches" and visit.recorded_by_id == world.manager.id
    assert visit.recorded_at.replace(tzinfo=None) == seen.replace(tzinfo=None)
    assert visit.visited_on == seen.astimezone(VIETNAM_TZ).date()
    assert check_events(session) == 1
    session.expire_all()
    assert placards.live_placard(world.stall).status == "posted"


def test_a_swapped_code_found_offline_says_so_when_it_is_sent(client, session, world):
    sign_in_directly(client, world.manager)
    answer = send(client, world, world.other_placard.payload, str(uuid4()))
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["check"]["verdict"] == "other_stall"
    assert body["check"]["matches"] is False and body["check"]["wrong_code"] is True
    assert "Mã của một sạp khác (bị tráo)" in body["message"]
    assert "trả tiền cho người khác" in body["message"]
    assert body["check"]["url"] == check_url(world.stall)
    assert body["stall"]["status"] == NOT_ACCEPTING
    [visit] = visits(session, world.stall)
    assert visit.outcome == "code_other_stall"
    assert visit.scanned_payload == world.other_placard.payload
    assert markets.current_status(world.stall) == NOT_ACCEPTING


def test_a_stuck_on_fake_and_an_old_placard_are_named(client, session, world):
    sign_in_directly(client, world.manager)
    fake = encode(Transfer(bin=f.VCB, account="0071000000666"))
    body = send(client, world, fake, str(uuid4())).get_json()
    assert body["check"]["verdict"] == "unregistered"
    assert "Mã lạ, không có trong sổ đăng ký" in body["message"]
    old_payload = world.placard.payload
    placards.revoke_placard(world.placard, reason="lost", actor=None, channel="web")
    session.flush()
    old = send(client, world, old_payload, str(uuid4())).get_json()
    assert old["check"]["verdict"] == "outdated" and old["check"]["matches"] is False
    assert "Gỡ bảng cũ" in old["message"]


def test_a_code_that_is_no_vietqr_is_refused_and_nothing_recorded(client, session, world):
    sign_in_directly(client, world.manager)
    answer = send(client, world, "https://example.com/khuyen-mai", str(uuid4()))
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "invalid_payload"
    assert body["errors"][0]["field"] == "payload"
    assert "không phải mã VietQR chuyển khoản" in body["message"]
    assert visits(session, world.stall) == []
    empty = send(client, world, "", str(uuid4()))
    assert empty.status_code == 422 and visits(session, world.stall) == []


@pytest.mark.parametrize(
    ("moment", "code"),
    [
        (lambda now: now - timedelta(days=8), "observed_at_too_old"),
        (lambda now: now + timedelta(hours=1), "observed_at_future"),
    ],
)
def test_a_scan_observed_too_long_ago_or_in_the_future_is_refused(
    client, session, world, moment, code
):
    sign_in_directly(client, world.manager)
    when = moment(now_utc()).isoformat()
    answer = send(client, world, world.placard.payload, str(uuid4()), observed_at=when)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0] == {
        "field": "observed_at",
        "message": answer.get_json()["message"],
        "code": code,
    }
    assert visits(session, world.stall) == []


def test_a_stall_closed_before_the_scan_was_sent_refuses_it(client, session, world):
    markets.close_stall(world.stall, actor=None)
    session.flush()
    sign_in_directly(client, world.manager)
    answer = send(client, world, world.placard.payload, str(uuid4()))
    assert answer.status_code == 409 and answer.get_json()["error"] == "stall_closed"
    assert visits(session, world.stall) == []


def test_a_stall_outside_the_users_markets_and_a_read_only_role_are_refused(client, session, world):
    stranger = f.user("market_manager", f.organisation("market_board", area=f.commune()))
    staff = f.user("area_staff", f.organisation("commune_office", bank_bin=None, area=world.area))
    session.flush()
    sign_in_directly(client, stranger)
    gone = send(client, world, world.placard.payload, str(uuid4()))
    assert gone.status_code == 404 and gone.get_json()["error"] == "stall_not_found"
    sign_in_directly(client, staff)
    read_only = send(client, world, world.placard.payload, str(uuid4()))
    assert read_only.status_code == 403 and read_only.get_json()["error"] == "forbidden"
    assert visits(session, world.stall) == []


def test_the_page_post_and_the_queued_copy_of_one_scan_record_it_once(client, session, world):
    """Online, the scan form posts with the key the phone kept it under; if that answer is
    lost, the queue sends the same scan again as JSON: a replay, not a second visit."""
    sign_in_directly(client, world.manager)
    key = str(uuid4())
    fields = {
        "payload": world.other_placard.payload,
        "walk_list": "all",
        "idempotency_key": key,
        "offline_next": f"/cho/{world.market.code}/di-kiem-tra/sau/{world.stall.id}?ds=all",
    }
    page = client.post(check_url(world.stall), data=fields)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "MÃ CỦA SẠP KHÁC" in html
    assert f"data-recorded='[&#34;{key}&#34;]'" in html or f"data-recorded='[\"{key}\"]'" in html
    queued = client.post(
        check_url(world.stall), data=fields, headers={**JSON, "Idempotency-Key": key}
    )
    assert queued.status_code == 201 and queued.headers["Idempotent-Replayed"] == "true"
    assert queued.get_json()["check"]["verdict"] == "other_stall"
    assert len(visits(session, world.stall)) == 1


def test_a_page_post_after_its_queued_copy_shows_the_verdict_without_recording_again(
    client, session, world
):
    sign_in_directly(client, world.manager)
    key = str(uuid4())
    fields = {"payload": world.placard.payload, "walk_list": "all", "idempotency_key": key}
    queued = client.post(
        check_url(world.stall), data=fields, headers={**JSON, "Idempotency-Key": key}
    )
    assert queued.status_code == 201
    page = client.post(check_url(world.stall), data=fields)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "KHỚP với Sạp 1" in html
    assert "đã được ghi nhận trước đó" in html
    assert len(visits(session, world.stall)) == 1


def test_the_walk_step_keeps_its_scan_for_the_queue_with_the_placard_it_shows(client, world):
    sign_in_directly(client, world.manager)
    page = client.get(f"/cho/{world.market.code}/di-kiem-tra/{world.stall.id}?ds=all")
    html = page.get_data(as_text=True)
    form = html[html.index('id="walk-scan-form"') : html.index("</form>", html.index("walk-scan"))]
    assert 'data-offline-queue data-offline-kind="scan"' in form
    assert f'data-offline-stall="Sạp 1 · {world.market.name}"' in form
    assert f'data-offline-placard="{world.placard.payload}"' in form
    assert "zxing_reader.wasm" in html[html.index("data-offline-keep='[") :]


def test_a_page_post_that_shows_no_vietqr_tells_the_phone_to_forget_it(client, session, world):
    """The page said the code is no VietQR; the phone's copy would only be refused."""
    sign_in_directly(client, world.manager)
    key = str(uuid4())
    fields = {"payload": "xin chào", "walk_list": "all", "idempotency_key": key}
    page = client.post(check_url(world.stall), data=fields)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Không đọc được mã VietQR" in html
    assert f"data-recorded='[&#34;{key}&#34;]'" in html or f"data-recorded='[\"{key}\"]'" in html
    assert visits(session, world.stall) == []
