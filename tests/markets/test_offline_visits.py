"""Visits recorded on a phone without a network and sent later (docs/offline.md): the same
route and service as the page's form, asked for JSON, with an ``Idempotency-Key`` so a
retry never records twice; clear refusals; the observed time checked; the pages a phone
may keep marked with their owner."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.auth.models import User
from market4.db import VIETNAM_TZ, now_utc, today
from market4.idempotency import IdempotencyRecord
from market4.markets import services
from market4.placards import services as placards
from market4.registry.markets import Market, Stall, VerificationVisit
from market4.registry.placards import Placard
from tests import factories as f
from tests.clients import sign_in_directly

JSON = {"Accept": "application/json"}


class World:
    market: Market
    stall: Stall  # a vendor and an issued placard
    placard: Placard
    next_stall: Stall
    manager: User
    partner: User


@pytest.fixture
def world(session) -> World:
    world = World()
    area = f.commune()
    world.market = f.market(area=area)
    world.stall = f.stall(world.market, "Sạp 1", zone="Khu A")
    result = f.registered_vendor(world.stall)
    world.placard = placards.issue_placard(world.stall, result.account, actor=None)
    world.next_stall = f.stall(world.market, "Sạp 2", zone="Khu A")
    world.manager = f.user("market_manager", f.organisation("market_board", area=area))
    world.manager.markets.append(world.market)
    world.partner = f.user("bank_partner", f.organisation(bank_bin=f.AGRIBANK))
    session.flush()
    return world


def visit_url(world: World, stall: Stall | None = None) -> str:
    return f"/cho/{world.market.code}/sap/{(stall or world.stall).id}/kiem-tra"


def fields(world: World, **overrides: str) -> dict[str, str]:
    return {
        "outcome": "declined",
        "visited_on": today().strftime("%d/%m/%Y"),
        "placard_id": str(world.placard.id),
        "note": "không muốn nhận QR",
        **overrides,
    }


def send(client, world: World, key: str | None = None, stall: Stall | None = None, **overrides):
    headers = {**JSON, **({"Idempotency-Key": key} if key else {})}
    return client.post(visit_url(world, stall), data=fields(world, **overrides), headers=headers)


def visits(session, stall: Stall) -> list[VerificationVisit]:
    session.expire_all()
    return list(
        session.scalars(select(VerificationVisit).where(VerificationVisit.stall_id == stall.id))
    )


def visit_events(session) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "visit")
    )


# --- recorded once, whatever the retries ---------------------------------------------------


def test_the_same_key_sent_twice_records_one_visit_and_replays_the_first_answer(
    client, session, world
):
    sign_in_directly(client, world.manager)
    key = str(uuid4())
    first = send(client, world, key)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["message"] == "Đã ghi nhận “Tiểu thương từ chối”. Trạng thái sạp: Chưa nhận QR."
    assert body["next"] == f"/cho/{world.market.code}/sap/{world.stall.id}#kiem-tra"
    assert body["visit"]["outcome"] == "declined"
    assert "Idempotent-Replayed" not in first.headers

    retry = send(client, world, key)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == body
    [visit] = visits(session, world.stall)
    assert visit.id == body["visit"]["id"] and visit.recorded_by_id == world.manager.id
    assert visit_events(session) == 1
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
    assert record.user_id == world.manager.id and record.status_code == 201


def test_a_walk_visit_answers_where_the_walk_goes_next(client, world):
    sign_in_directly(client, world.manager)
    answer = send(client, world, str(uuid4()), back="walk", walk_list="all").get_json()
    assert answer["next"] == (f"/cho/{world.market.code}/di-kiem-tra/sau/{world.stall.id}?ds=all")


def test_a_key_belongs_to_its_user(client, session, world):
    admin = f.user("admin", f.organisation("operator"))
    session.flush()
    sign_in_directly(client, world.manager)
    assert send(client, world, "shared-key").status_code == 201
    sign_in_directly(client, admin)
    second = send(client, world, "shared-key")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert len(visits(session, world.stall)) == 2


def test_a_key_sent_with_another_visit_is_refused(client, session, world):
    sign_in_directly(client, world.manager)
    assert send(client, world, "k-1").status_code == 201
    other = send(client, world, "k-1", outcome="vendor_left")
    assert other.status_code == 422
    assert other.get_json()["error"] == "idempotency_key_reused"
    assert "đã được dùng cho một lượt kiểm tra khác" in other.get_json()["message"]
    assert [v.outcome for v in visits(session, world.stall)] == ["declined"]


def test_a_malformed_key_is_refused_and_nothing_recorded(client, session, world):
    sign_in_directly(client, world.manager)
    answer = send(client, world, "x" * 256)
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "invalid_idempotency_key"
    assert visits(session, world.stall) == []


def test_a_refused_visit_is_not_stored_so_its_retry_runs_again(client, session, world):
    sign_in_directly(client, world.manager)
    services.close_stall(world.stall, actor=None)
    session.commit()
    for _ in range(2):
        refused = send(client, world, "closed-1")
        assert refused.status_code == 409
        assert "Idempotent-Replayed" not in refused.headers
    assert (
        session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "closed-1")) is None
    )
    assert visits(session, world.stall) == []


def test_the_pages_own_post_with_a_key_is_not_recorded_again_by_the_queue(client, session, world):
    """The page posted the visit (its answer lost on the way back), the phone sends it again
    with the same key: the first answer comes back, and the next page names the key."""
    sign_in_directly(client, world.manager)
    key = str(uuid4())
    page_post = client.post(
        visit_url(world),
        data={**fields(world), "idempotency_key": key, "offline_next": "/cho/", "csrf_token": "a"},
    )
    assert page_post.status_code == 302
    retry = client.post(
        visit_url(world),
        data={**fields(world), "idempotency_key": key, "offline_next": "/cho/", "csrf_token": "b"},
        headers={**JSON, "Idempotency-Key": key},
    )
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert len(visits(session, world.stall)) == 1
    next_page = client.get(page_post.headers["Location"]).get_data(as_text=True)
    assert f"data-recorded='[\"{key}\"]'" in next_page
    again = client.get(page_post.headers["Location"]).get_data(as_text=True)
    assert key not in again  # said once


def test_the_pages_own_post_replays_a_visit_the_queue_sent_first(client, session, world):
    sign_in_directly(client, world.manager)
    key = str(uuid4())
    assert send(client, world, key, idempotency_key=key, offline_next="/cho/").status_code == 201
    page_post = client.post(
        visit_url(world), data={**fields(world), "idempotency_key": key, "offline_next": "/cho/"}
    )
    assert page_post.status_code == 302
    assert page_post.headers["Location"].endswith(f"/sap/{world.stall.id}#kiem-tra")
    assert len(visits(session, world.stall)) == 1


# --- CSRF and the session --------------------------------------------------------------------


@pytest.fixture
def csrf(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_a_queued_visit_needs_a_csrf_token_of_the_current_session(client, session, world, csrf):
    sign_in_directly(client, world.manager)
    missing = send(client, world, "csrf-1")
    assert missing.status_code == 400 and "CSRF" in missing.get_json()["message"]
    assert visits(session, world.stall) == []

    answer = client.get("/cho/ngoai-tuyen/phien", headers=JSON)
    assert answer.status_code == 200
    assert answer.get_json()["owner"] == str(world.manager.id)
    token = answer.get_json()["csrf_token"]
    sent = client.post(
        visit_url(world),
        data=fields(world),
        headers={**JSON, "Idempotency-Key": "csrf-1", "X-CSRFToken": token},
    )
    assert sent.status_code == 201

    # A token of an earlier session (kept on the phone while offline) is refused...
    sign_in_directly(client, world.manager)
    stale = client.post(
        visit_url(world),
        data=fields(world),
        headers={**JSON, "Idempotency-Key": "csrf-2", "X-CSRFToken": token},
    )
    assert stale.status_code == 400
    # ...and the retry of an answered visit with a fresh one is the first answer again.
    fresh = client.get("/cho/ngoai-tuyen/phien", headers=JSON).get_json()["csrf_token"]
    replay = client.post(
        visit_url(world),
        data={**fields(world), "csrf_token": fresh},
        headers={**JSON, "Idempotency-Key": "csrf-1"},
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert len(visits(session, world.stall)) == 1


def test_the_offline_session_answers_only_a_signed_in_visitor(client, world):
    signed_out = client.get("/cho/ngoai-tuyen/phien", headers=JSON)
    assert signed_out.status_code == 302 and "/dang-nhap" in signed_out.headers["Location"]
    sign_in_directly(client, world.partner)
    assert client.get("/cho/ngoai-tuyen/phien", headers=JSON).status_code == 403
    sign_in_directly(client, world.manager)
    answer = client.get("/cho/ngoai-tuyen/phien", headers=JSON)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json()["owner"] == str(world.manager.id)


# --- refusals, in words ------------------------------------------------------------------------


def test_a_stall_closed_meanwhile_refuses_the_visit(client, session, world):
    sign_in_directly(client, world.manager)
    services.close_stall(world.stall, actor=None)
    session.commit()
    refused = send(client, world, "k")
    assert refused.status_code == 409
    assert refused.get_json() == {
        "error": "stall_closed",
        "message": "Sạp 1 đã đóng.",
        "errors": [],
    }


def test_a_placard_superseded_since_refuses_the_visit(client, session, world):
    sign_in_directly(client, world.manager)
    account = world.placard.payment_account
    placards.issue_placard(world.stall, account, actor=None)  # a reprint
    session.commit()
    refused = send(client, world, "k", outcome="placard_posted").get_json()
    assert refused["error"] == "placard_superseded"
    assert world.placard.serial in refused["message"] and "thay bằng bảng mới" in refused["message"]
    assert visits(session, world.stall) == []


def test_a_placard_revoked_since_refuses_the_visit(client, session, world):
    sign_in_directly(client, world.manager)
    placards.revoke_placard(world.placard, reason="placard_missing", actor=None)
    session.commit()
    refused = send(client, world, "k", outcome="test_payment_ok")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "placard_revoked"
    assert "đã bị thu hồi" in refused.get_json()["message"]


def test_a_placard_printed_since_refuses_a_visit_that_saw_none(client, session, world):
    sign_in_directly(client, world.manager)
    refused = send(client, world, "k", placard_id="").get_json()
    assert refused["error"] == "placard_changed"
    assert "đã thay đổi sau lúc kiểm tra" in refused["message"]
    # A post that says nothing about the placard (another caller) is not checked.
    unsaid = {name: value for name, value in fields(world).items() if name != "placard_id"}
    assert client.post(visit_url(world), data=unsaid, headers=JSON).status_code == 201


def test_a_visitor_no_longer_allowed_gets_a_clear_answer(client, session, world):
    sign_in_directly(client, world.manager)
    world.manager.markets.remove(world.market)
    session.commit()
    refused = send(client, world, "k")
    assert refused.status_code == 404
    assert refused.get_json()["error"] == "stall_not_found"
    assert "không tìm thấy sạp" in refused.get_json()["message"].lower()

    sign_in_directly(client, world.partner)
    assert send(client, world, "k").status_code == 403
    sign_in_directly(client, None)
    signed_out = send(client, world, "k")
    assert signed_out.status_code == 302 and "/dang-nhap" in signed_out.headers["Location"]
    assert visits(session, world.stall) == []


def test_a_bad_outcome_is_refused_field_by_field(client, world):
    sign_in_directly(client, world.manager)
    refused = send(client, world, "k", outcome="danced")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "validation_failed"
    assert [error["field"] for error in body["errors"]] == ["outcome"]


# --- the observed time ---------------------------------------------------------------------------


def test_the_observed_time_is_kept_as_the_visits_time(client, session, world):
    sign_in_directly(client, world.manager)
    observed = now_utc().replace(microsecond=0) - timedelta(hours=3)
    day = observed.astimezone(VIETNAM_TZ).date()
    sent = send(
        client,
        world,
        "k",
        observed_at=observed.isoformat().replace("+00:00", "Z"),
        visited_on=day.strftime("%d/%m/%Y"),
    )
    assert sent.status_code == 201, sent.get_json()
    [visit] = visits(session, world.stall)
    assert visit.recorded_at == observed
    assert visit.visited_on == day
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "visit"))
    assert event.after["observed_at"] == observed.isoformat()


@pytest.mark.parametrize(
    ("observed", "code"),
    [
        (lambda: (now_utc() + timedelta(hours=1)).isoformat(), "observed_at_future"),
        (lambda: (now_utc() - timedelta(days=8)).isoformat(), "observed_at_too_old"),
        (lambda: "2026-11-22T10:00:00", "observed_at_naive"),
        (lambda: "hôm qua", "invalid"),
    ],
    ids=["future", "older-than-7-days", "no-time-zone", "unreadable"],
)
def test_an_observed_time_out_of_bounds_is_refused(client, session, world, observed, code):
    sign_in_directly(client, world.manager)
    refused = send(client, world, "k", observed_at=observed())
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert error["field"] == "observed_at" and error["code"] == code
    assert visits(session, world.stall) == []


def test_a_visit_day_after_the_observed_time_is_refused(client, world):
    sign_in_directly(client, world.manager)
    refused = send(client, world, "k", observed_at=(now_utc() - timedelta(days=1)).isoformat())
    [error] = refused.get_json()["errors"]
    assert error == {
        "field": "visited_on",
        "message": "Ngày kiểm tra sau thời điểm ghi nhận.",
        "code": "visited_after_observed",
    }


def test_a_slightly_fast_phone_clock_is_accepted(client, world):
    sign_in_directly(client, world.manager)
    ahead = (now_utc() + timedelta(minutes=2)).isoformat()
    assert send(client, world, "k", observed_at=ahead).status_code == 201


# --- pages a phone may keep --------------------------------------------------------------------


def test_the_pages_of_a_walk_are_marked_with_their_owner(client, session, world):
    staff = f.user("area_staff", f.organisation("commune_office", area=world.market.commune))
    session.flush()
    code, stall_id = world.market.code, world.stall.id
    sign_in_directly(client, world.manager)
    for url in (
        f"/cho/{code}/di-kiem-tra",
        f"/cho/{code}/di-kiem-tra/{stall_id}?ds=all",
        f"/cho/{code}/sap/{stall_id}",
    ):
        assert client.get(url).headers["X-Offline-Owner"] == str(world.manager.id), url
    for url in (f"/cho/{code}", "/cho/", f"/cho/{code}/sap/999999"):
        assert "X-Offline-Owner" not in client.get(url).headers, url
    sign_in_directly(client, staff)
    page = client.get(f"/cho/{code}/sap/{stall_id}")
    assert page.status_code == 200 and "X-Offline-Owner" not in page.headers


def test_a_walk_step_says_what_it_showed_and_what_comes_next(client, world):
    sign_in_directly(client, world.manager)
    code = world.market.code
    page = client.get(f"/cho/{code}/di-kiem-tra/{world.stall.id}?ds=all").get_data(as_text=True)
    assert f'name="placard_id" value="{world.placard.id}"' in page
    assert "data-offline-queue" in page
    assert f'data-offline-next="/cho/{code}/di-kiem-tra/{world.next_stall.id}?ds=all"' in page
    assert f"data-offline-keep='[\"/cho/{code}/di-kiem-tra/{world.next_stall.id}?ds=all\"]'" in page
    stall_page = client.get(f"/cho/{code}/sap/{world.stall.id}").get_data(as_text=True)
    assert f'name="placard_id" value="{world.placard.id}"' in stall_page


def test_every_page_carries_the_offline_bar_and_who_it_is_for(client, world):
    signed_out = client.get("/").get_data(as_text=True)
    assert '<div id="offline-status" hidden data-owner=""></div>' in signed_out
    sign_in_directly(client, world.manager)
    page = client.get("/cho/").get_data(as_text=True)
    assert f'data-owner="{world.manager.id}"' in page
    assert 'data-worker="/sw.js?pages=/cho/&amp;logout=/dang-xuat&amp;checks=/bang-ma/sap/"' in page
    assert 'data-session="/cho/ngoai-tuyen/phien"' in page
    assert "lượt kiểm tra chưa gửi" in page
    sign_in_directly(client, world.partner)
    page = client.get("/cho/").get_data(as_text=True)
    assert f'<div id="offline-status" hidden data-owner="{world.partner.id}"></div>' in page


def test_the_service_worker_is_served_from_the_root(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-store"
    assert b"X-Offline-Owner" in answer.data


def test_answers_kept_for_retries_are_forgotten_after_thirty_days(client, runner, session, world):
    """``market4 users prune`` (daily) forgets stored answers older than 30 days: a phone
    holds a visit at most 8 days, so none of them can be asked for again."""
    sign_in_directly(client, world.manager)
    assert send(client, world, "old-key").status_code == 201
    assert send(client, world, "new-key", note="lần hai").status_code == 201
    old = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "old-key"))
    old.created_at = now_utc() - timedelta(days=31)
    session.commit()
    result = runner.invoke(args=["users", "prune"])
    assert result.exit_code == 0, result.output
    assert "1 answer(s) kept for retries" in result.output
    session.expire_all()
    assert set(session.scalars(select(IdempotencyRecord.key))) == {"new-key"}
