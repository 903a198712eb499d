"""Errors are problem+json everywhere under /api/v1 (and only there); no 500 for bad input."""

from __future__ import annotations

import pytest

from tests.api.test_auth import assert_problem


def test_unknown_api_route_is_a_404_problem(client, partner):
    assert_problem(client.get("/api/v1/nothing-here", headers=partner.headers), 404, "not_found")
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem_with_allow(client, partner):
    response = client.put("/api/v1/markets", headers=partner.headers)
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_site_pages_keep_their_html_errors(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_invalid_json_is_400_and_wrong_shape_422(client, partner):
    response = client.post(
        "/api/v1/vendors",
        headers={**partner.headers, "Content-Type": "application/json"},
        data=b'{"market_code": ',
    )
    assert_problem(response, 400, "invalid_json")
    body = assert_problem(client.post("/api/v1/vendors", headers=partner.headers, json=[1, 2]), 422)
    assert body["errors"][0]["field"] == "_schema"


def test_schema_errors_list_every_field(client, partner):
    body = assert_problem(
        client.post(
            "/api/v1/vendors",
            headers=partner.headers,
            json={"display_name": 5, "phone": "0912", "surprise": True},
        ),
        422,
    )
    fields = {error["field"]: error["code"] for error in body["errors"]}
    assert fields["surprise"] == "unknown_field"
    assert fields["market_code"] == "required" and fields["consent"] == "required"
    assert "display_name" in fields


@pytest.mark.parametrize("value", ["Sạp\x001", "\ud800", "a\x07b"])
def test_text_postgres_cannot_store_is_refused_not_crashed(client, partner, stall, body_for, value):
    response = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall, stall_code=value)
    )
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["stall_code"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/vendors?page=0",
        "/api/v1/vendors?page_size=10000",
        "/api/v1/vendors?q=%00",
        "/api/v1/vendors?active=maybe",
        "/api/v1/vendors?phone=12",
    ],
)
def test_bad_query_arguments_are_422(client, partner, url):
    assert_problem(client.get(url, headers=partner.headers), 422)


def test_huge_ids_are_404_not_500(client, partner):
    assert_problem(client.get("/api/v1/vendors/99999999999999999999", headers=partner.headers), 404)
