"""One order of stalls everywhere: by code, naturally ("1, 2, … 10, 141", "A-2, A-10"),
whatever zone a stall is in: the market page, the placard page, walk mode, the stall
chooser of registration, the registrations list, a stall's "move to" list, the API's
stall list and the print run all read it from ``registry.ordering``."""

from __future__ import annotations

import random
import re

import pytest
from flask import url_for

from market4.api import tokens
from market4.placards import printing
from market4.placards import services as placard_services
from market4.registry.ordering import natural_key, sorted_stalls, stall_key
from tests import factories as f
from tests.clients import sign_in_directly

NATURAL = ["1", "2", "10", "141", "A-2", "A-10"]
# Zones whose spelling sorts against the numbering: by zone first, "A-2" would open the
# list and "141" come before "1".
ZONES = {
    "1": "Nhà lồng chính",
    "2": "Nhà lồng chính",
    "10": "Nhà lồng chính",
    "141": "Khu khô",
    "A-2": "Khu A",
    "A-10": "Khu A",
}


def test_the_key_orders_numbers_naturally_then_words():
    shuffled = NATURAL[::-1]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=natural_key) == NATURAL
    assert sorted(["Sạp 10", "Sạp 2", "sạp 1", "Sạp 141"], key=natural_key) == [
        "sạp 1",
        "Sạp 2",
        "Sạp 10",
        "Sạp 141",
    ]
    # Zone and row only break ties between codes that read the same.
    assert stall_key("Sạp 1", "Khu B") > stall_key("sạp 1", "Khu A")
    assert stall_key("Sạp 2", "Khu B") < stall_key("Sạp 10", "Khu A")


@pytest.fixture
def market(session):
    """Six stalls, created out of order, each with a vendor, at a market of their own."""
    market = f.market(name="Chợ Thứ Tự")
    shuffled = NATURAL[:]
    random.Random(7).shuffle(shuffled)
    for code in shuffled:
        stall = f.stall(market, code, zone=ZONES[code], row=f"Dãy {len(code)}")
        f.registered_vendor(stall, display_name=f"Tiểu Thương {code}")
    return market


def codes_in(page: str, pattern: str) -> list[str]:
    return [code for code in re.findall(pattern, page) if code in NATURAL]


@pytest.fixture
def admin_client(client, session):
    admin = f.user(role="admin", org=f.organisation(kind="operator", bank_bin=None))
    sign_in_directly(client, admin)
    client.admin = admin
    return client


def test_every_page_lists_the_stalls_in_natural_order(admin_client, market):
    client = admin_client

    def page(endpoint: str, **args) -> str:
        with client.application.test_request_context():
            url = url_for(endpoint, **args)
        response = client.get(url)
        assert response.status_code == 200, endpoint
        return response.get_data(as_text=True)

    market_page = page("markets.show", code=market.code)
    assert codes_in(market_page, r"<strong>([^<]+)</strong></a></td>") == NATURAL
    placard_page = page("placards.market", market_code=market.code)
    assert codes_in(placard_page, r'<th scope="row"[^>]*>([^<]+)</th>') == NATURAL
    walk = page("markets.walk_list", code=market.code, ds="all")
    assert codes_in(walk, r'class="walk-stall"[^>]*>\s*<strong>([^<]+)</strong>') == NATURAL
    chooser = page("vendors.register_start", cho=market.code)
    assert codes_in(chooser, r'<td data-label="Sạp"><strong>([^<]+)</strong>') == NATURAL
    registrations = page("vendors.index", cho=market.code)
    assert codes_in(registrations, r'<td data-label="Sạp" class="nowrap">([^<]+)') == NATURAL
    # A stall's "move the vendor to" list: every other open stall, in the same order.
    first = sorted_stalls(market.stalls)[0]
    stall_page = page("markets.stall", code=market.code, stall_id=first.id)
    select = stall_page[stall_page.index('name="to_stall_id"') :]
    select = select[: select.index("</select>")]
    assert codes_in(select, r"<option[^>]*>([^<]+)</option>") == NATURAL[1:]


def test_the_api_and_the_print_run_follow_the_same_order(client, market, session):
    admin = f.user(role="admin", org=f.organisation(kind="operator", bank_bin=None))
    secret = tokens.create_token(admin, "ordre", actor=None, channel="cli").secret
    response = client.get(
        f"/api/v1/markets/{market.code}/stalls?page_size=100",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.get_json()
    assert [item["code"] for item in response.get_json()["items"]] == NATURAL

    assert [stall.code for stall in placard_services.needs_reprint(market)] == NATURAL
    result = printing.print_market(market, layout="a4x4", actor=None)
    assert [placard.stall.code for placard in result.placards] == NATURAL
