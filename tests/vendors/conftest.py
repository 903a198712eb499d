"""The vendor tests' small world: one Agribank branch with an area, a Vietcombank branch,
a market in the area, one outside it, and a user of every role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from market4.auth.models import Organisation, User
from market4.auth.services import create_user
from market4.registry.markets import Market, Stall
from tests import factories as f

PASSWORD = "mật khẩu đủ dài"


@dataclass
class World:
    market: Market
    outside: Market
    stall: Stall
    agribank: User
    vcb: User
    staff: User
    manager: User
    admin: User


def _user(role: str, organisation: Organisation | None) -> User:
    return create_user(
        email=f"{role}{f.next_number()}@test.market4.vn",
        name=f"Người {role}",
        role=role,
        password=PASSWORD,
        organisation=organisation,
    )


@pytest.fixture
def world(session) -> World:
    area = f.commune()
    market = f.market(area=area)
    outside = f.market(name="Chợ ngoài khu vực")
    agribank_org = f.organisation(bank_bin=f.AGRIBANK, area=area, name="Agribank Châu Đức")
    vcb_org = f.organisation(bank_bin=f.VCB, area=area, name="Vietcombank Châu Đức")
    board = f.organisation(kind="market_board", area=area)
    office = f.organisation(kind="commune_office", area=area)
    operator = f.organisation(kind="operator")
    manager = _user("market_manager", board)
    manager.markets.append(market)
    session.flush()
    return World(
        market=market,
        outside=outside,
        stall=f.stall(market, "Sạp 7"),
        agribank=_user("bank_partner", agribank_org),
        vcb=_user("bank_partner", vcb_org),
        staff=_user("area_staff", office),
        manager=manager,
        admin=_user("admin", operator),
    )
