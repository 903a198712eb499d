"""The API answers in the caller's language: ``Accept-Language: en`` gets English
problem details and field messages, with the same codes; Vietnamese otherwise."""

from __future__ import annotations

from tests.api.test_auth import assert_problem

ENGLISH = {"Accept-Language": "en"}


def test_field_errors_follow_accept_language(client, partner, stall, body_for):
    body = body_for(stall, phone="12345")
    english = assert_problem(
        client.post("/api/v1/vendors", headers={**partner.headers, **ENGLISH}, json=body), 422
    )
    vietnamese = assert_problem(
        client.post("/api/v1/vendors", headers=partner.headers, json=body), 422
    )
    [in_english] = [e for e in english["errors"] if e["field"] == "phone"]
    [in_vietnamese] = [e for e in vietnamese["errors"] if e["field"] == "phone"]
    assert in_english == {
        "field": "phone",
        "message": "Invalid phone number.",
        "code": "invalid_phone",
    }
    assert in_vietnamese["message"] == "Số điện thoại không hợp lệ."
    assert in_vietnamese["code"] == in_english["code"]
    assert "Invalid phone number." in english["detail"]


def test_a_refusal_detail_follows_accept_language(client, partner, body_for):
    body = body_for(_Stall("NO-SUCH-MARKET", "Sạp 1"))
    english = client.post("/api/v1/vendors", headers={**partner.headers, **ENGLISH}, json=body)
    problem = assert_problem(english, 422)
    assert problem["errors"] == [
        {
            "field": "market_code",
            "message": "There is no market with code “NO-SUCH-MARKET” within your scope.",
            "code": "unknown_market",
        }
    ]
    vietnamese = assert_problem(
        client.post("/api/v1/vendors", headers=partner.headers, json=body), 422
    )
    assert vietnamese["errors"][0]["message"] == (
        "Không có chợ mã “NO-SUCH-MARKET” trong phạm vi của bạn."
    )


class _Market:
    def __init__(self, code: str) -> None:
        self.code = code


class _Stall:
    """Just what body_for reads: a market code and a stall code that do not exist."""

    def __init__(self, market_code: str, code: str) -> None:
        self.market = _Market(market_code)
        self.code = code
