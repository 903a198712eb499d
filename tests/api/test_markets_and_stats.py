"""/api/v1/markets, /markets/{code}/stalls and /stats: the web app's scope rules."""

from __future__ import annotations

from datetime import date

from market4.areas.models import SCHEME_2025, AdminUnit
from market4.extensions import db
from market4.registry.markets import ACCEPTING
from market4.registry.stalls import set_stall_status
from tests import factories
from tests.api.test_auth import assert_problem


def test_markets_are_those_in_scope(client, make_api_user):
    home = factories.commune("Ngãi Giao")
    inside, outside = factories.market(area=home), factories.market()
    local_partner = make_api_user("bank_partner", factories.organisation(area=home))
    body = client.get("/api/v1/markets?page_size=200", headers=local_partner.headers).get_json()
    codes = [item["code"] for item in body["items"]]
    assert codes == [inside.code] and body["total"] == 1
    assert body["items"][0]["commune"] == {
        "scheme": "2025",
        "level": "commune",
        "code": home.code,
        "name": "Xã Ngãi Giao",
    }
    assert_problem(
        client.get(f"/api/v1/markets/{outside.code}/stalls", headers=local_partner.headers), 404
    )


def test_stalls_show_occupancy_and_only_visible_vendors(client, partner, other_partner, session):
    market = factories.market()
    free, mine, theirs = (factories.stall(market, code=f"Sạp {n}") for n in (1, 2, 10))
    own = factories.registered_vendor(mine, org=partner.user.organisation)
    factories.registered_vendor(
        theirs, bank_bin=factories.AGRIBANK, org=other_partner.user.organisation
    )
    set_stall_status(mine, ACCEPTING, reason="placard_posted")
    items = client.get(f"/api/v1/markets/{market.code}/stalls", headers=partner.headers).get_json()[
        "items"
    ]
    assert [(s["code"], s["occupied"], s["vendor_id"]) for s in items] == [
        ("Sạp 1", False, None),
        ("Sạp 2", True, own.vendor.id),
        ("Sạp 10", True, None),
    ]
    assert items[1]["status"] == ACCEPTING and items[0]["status"] is None
    vacant = client.get(
        f"/api/v1/markets/{market.code}/stalls?vacant=true", headers=partner.headers
    )
    assert [s["id"] for s in vacant.get_json()["items"]] == [free.id]
    by_code = client.get(
        f"/api/v1/markets/{market.code}/stalls",
        query_string={"stall_code": "SẠP  10"},
        headers=partner.headers,
    )
    assert [s["code"] for s in by_code.get_json()["items"]] == ["Sạp 10"]


def test_stats_for_staff_of_an_area(client, staff_for):
    home = factories.commune()
    market = factories.market(area=home)
    accepting, _ = factories.stall(market), factories.stall(market)
    set_stall_status(accepting, ACCEPTING, reason="verified", on=date(2024, 6, 1))
    staff = staff_for(home)
    body = client.get("/api/v1/stats", headers=staff.headers).get_json()
    assert (body["stalls_total"], body["stalls_accepting"], body["rate"]) == (2, 1, 0.5)
    assert [m["code"] for m in body["markets"]] == [market.code] and body["area"] is None
    area = f"2025/commune/{home.code}"
    narrowed = client.get(f"/api/v1/stats?area={area}", headers=staff.headers).get_json()
    assert narrowed["area"]["code"] == home.code and narrowed["stalls_total"] == 2
    before = client.get("/api/v1/stats?date=2024-05-31", headers=staff.headers).get_json()
    assert before["stalls_accepting"] == 0 and before["date"] == "2024-05-31"


def test_stats_refuse_areas_outside_scope_and_bad_input(client, staff_for):
    home, elsewhere = factories.commune(), factories.commune()
    factories.market(area=home)
    factories.market(area=elsewhere)
    staff = staff_for(home)
    assert_problem(
        client.get(f"/api/v1/stats?area=2025/commune/{elsewhere.code}", headers=staff.headers),
        404,
        "area_not_found",
    )
    problem = assert_problem(
        client.get("/api/v1/stats?area=2025/commune/00000", headers=staff.headers), 422
    )
    assert problem["errors"][0]["code"] == "unknown_area"
    assert_problem(client.get("/api/v1/stats?area=commune:1", headers=staff.headers), 422)
    assert_problem(client.get("/api/v1/stats?date=2999-01-01", headers=staff.headers), 422)


def test_stats_split_an_area_one_level_down(client, staff_for):
    """A province's figures come with one row per commune that adds up to the total;
    a commune has no rows below it."""
    north = factories.commune("Kim Long")
    south = AdminUnit(
        scheme=SCHEME_2025,
        level="commune",
        code="99901",
        name="Bình Giã",
        division_type="Xã",
        parent_id=north.parent_id,
    )
    db.session.add(south)
    db.session.flush()
    for home, accepting_count in ((north, 1), (south, 2)):
        market = factories.market(area=home)
        for n in range(3):
            stall = factories.stall(market)
            if n < accepting_count:
                set_stall_status(stall, ACCEPTING, reason="verified", on=date(2024, 6, 1))
    province = north.parent
    staff = staff_for(province)
    body = client.get("/api/v1/stats", headers=staff.headers).get_json()
    rows = {row["area"]["name"]: row for row in body["children"]}
    assert set(rows) == {north.full_name, south.full_name}
    assert (rows[south.full_name]["stalls_accepting"], rows[south.full_name]["rate"]) == (2, 0.6667)
    assert sum(row["stalls_total"] for row in body["children"]) == body["stalls_total"] == 6
    assert rows[north.full_name]["area"]["level"] == "commune"
    commune = client.get(
        f"/api/v1/stats?area=2025/commune/{north.code}", headers=staff.headers
    ).get_json()
    assert commune["children"] == [] and commune["stalls_accepting"] == 1
