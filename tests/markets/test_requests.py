"""Stall requests: a bank asks the market board to change who trades at a stall."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market4.auth.services import create_user
from market4.errors import PermissionDenied, ValidationFailed
from market4.markets import requests, services
from market4.registry.markets import StallRequest
from tests import factories as f
from tests.clients import PASSWORD, signed_in


@pytest.fixture
def people(session):
    market = f.market()
    occupied = f.registered_vendor(
        f.stall(market, "Sạp 4"), bank_bin="970418", account_number="12010000123456"
    )
    partner = create_user(
        email="agri@example.vn",
        name="Agribank",
        role="bank_partner",
        password=PASSWORD,
        organisation=f.organisation(bank_bin=f.AGRIBANK, area=market.commune),
    )
    manager = create_user(
        email="ql@example.vn",
        name="Quản lý",
        role="market_manager",
        password=PASSWORD,
        organisation=f.organisation(kind="market_board", bank_bin=None),
    )
    manager.markets.append(market)
    return {
        "market": market,
        "stall": occupied.occupancy.stall,
        "old": occupied,
        "partner": partner,
        "manager": manager,
    }


def test_a_bank_asks_and_the_manager_settles(app, session, people):
    stall, market = people["stall"], people["market"]
    url = f"/cho/{market.code}/sap/{stall.id}"
    partner = signed_in(app, people["partner"])
    sent = partner.post(
        f"{url}/de-nghi", data={"message": "Người đang bán: Võ Thị Hồng, 0912000555"}
    )
    assert sent.status_code == 302
    [request] = session.scalars(select(StallRequest)).all()
    assert (request.status, request.requested_by_id) == ("open", people["partner"].id)
    assert services.current_occupant(stall).id == people["old"].vendor.id  # nobody evicted
    manager = signed_in(app, people["manager"])
    page = manager.get(url).get_data(as_text=True)
    assert "Võ Thị Hồng, 0912000555" in page and "Đã cập nhật" in page
    done = manager.post(f"{url}/de-nghi/{request.id}", data={"status": "done"})
    assert (
        done.status_code == 302
        and request.status == "done"
        and request.resolved_by_id == people["manager"].id
    )
    assert "Võ Thị Hồng" not in manager.get(url).get_data(as_text=True)


def test_refusals_change_nothing(session, people):
    stall = people["stall"]
    with pytest.raises(ValidationFailed):
        requests.request_stall_change(stall, "  ", actor=people["partner"])
    staff = f.user("area_staff", org=f.organisation(kind="commune_office", bank_bin=None))
    with pytest.raises(PermissionDenied):
        requests.request_stall_change(stall, "x", actor=staff)
    request = requests.request_stall_change(stall, "Người mới", actor=people["partner"])
    with pytest.raises(PermissionDenied) as info:  # settling is the market board's
        requests.resolve_stall_request(request, status="done", actor=people["partner"])
    assert info.value.code == "bank_no_occupancy" and request.status == "open"
    assert session.scalar(select(func.count()).select_from(StallRequest)) == 1
