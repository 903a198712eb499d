"""The autocomplete behind the area pickers: names with type and province, by meaning."""

from __future__ import annotations


def search(client, **params) -> list[dict]:
    response = client.get("/quan-tri/dia-ban.json", query_string=params)
    assert response.status_code == 200
    return response.get_json()["results"]


def test_ngai_giao_finds_the_2025_commune(admin_client, areas):
    [first, *_] = search(admin_client, q="ngai giao", scheme="2025", level="commune")
    assert first["name"] == "Xã Ngãi Giao"
    assert first["label"] == "Xã Ngãi Giao, Thành phố Hồ Chí Minh"
    assert first["province"] == "Thành phố Hồ Chí Minh"
    assert (first["id"], first["key"]) == (areas.ngai_giao.id, "2025/commune/26575")


def test_search_ignores_case_and_diacritics_and_prefers_current_units(admin_client, areas):
    for query in ("NGÃI GIAO", "ngãi giao", "Ngai  Giao", "xa ngai giao"):
        assert search(admin_client, q=query)[0]["id"] == areas.ngai_giao.id, query
    both = search(admin_client, q="ngai giao")
    old = next(unit for unit in both if unit["scheme"] == "2008")
    assert old["name"] == "Thị trấn Ngãi Giao" and "trước 01/07/2025" in old["label"]
    assert "Huyện Châu Đức" in old["label"]


def test_levels_restrict_and_codes_match(admin_client, areas):
    districts = search(admin_client, q="chau duc", scheme="2008", level="district")
    assert [unit["key"] for unit in districts] == ["2008/district/750"]
    assert (
        search(admin_client, q="26575", scheme="2025", level="commune")[0]["id"]
        == areas.ngai_giao.id
    )
    assert search(admin_client, q="") == []
    assert search(admin_client, q="zzzz") == []


def test_kind_narrows_to_the_units_that_kind_may_cover(admin_client, areas):
    # A 2008 commune never scopes markets, so a bank branch is not offered one.
    for_branch = search(admin_client, q="ngai giao", kind="bank_branch")
    assert [unit["key"] for unit in for_branch] == ["2025/commune/26575"]
    assert [unit["key"] for unit in search(admin_client, q="chau duc", kind="district_office")] == [
        "2008/district/750"
    ]
    assert search(admin_client, q="ngai giao", kind="operator") == []
