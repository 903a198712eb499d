"""POST /api/v1/activity (the banks' monthly QR reports) and the "paid by QR" fields of
GET /api/v1/stats, checked against the published document too."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.extensions import db
from market4.registry.activity import PaymentActivity
from market4.registry.markets import ACCEPTING
from market4.registry.stalls import set_stall_status
from tests import factories
from tests.api.test_auth import assert_problem
from tests.api.test_contracts import Contract

LONG_AGO = factories.LONG_AGO


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("market4.activity.services.today", lambda: date(2026, 12, 4))


@pytest.fixture
def contract(client) -> Contract:
    return Contract(client.get("/api/v1/openapi.json").get_json())


def trading(stall=None, *, bank_bin=factories.VCB, org=None):
    """A vendor registered at ``stall``, trading there long before the months reported."""
    registered = factories.registered_vendor(stall, bank_bin=bank_bin, org=org)
    registered.occupancy.started_on = LONG_AGO
    db.session.flush()
    return registered


def item(account, month="2026-10", received=True, band="10-49", **extra):
    body = {"account_number": account.account_number, "month": month, "received": received}
    if band is not None:
        body["count_band"] = band
    return {**body, **extra}


def post(client, who, reports, **headers):
    return client.post(
        "/api/v1/activity", headers={**who.headers, **headers}, json={"reports": reports}
    )


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(PaymentActivity))


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_bulk_report_is_written_and_the_answer_keeps_the_document(client, partner, contract):
    accounts = [trading(org=partner.user.organisation).account for _ in range(3)]
    response = post(
        client,
        partner,
        [
            item(accounts[0]),
            item(accounts[1], received=False, band=None),
            item(accounts[2], month="2026-11", band="200+", bank_bin=factories.VCB),
        ],
    )
    body = contract.check("POST", "/api/v1/activity", response)
    assert response.status_code == 200
    assert body == {
        "rows": 3,
        "created": 3,
        "replaced": 0,
        "unchanged": 0,
        "outcomes": ["created", "created", "created"],
    }
    rows = {
        (r.payment_account_id, r.month): (r.received, r.count_band, r.source)
        for r in db.session.scalars(select(PaymentActivity))
    }
    assert rows == {
        (accounts[0].id, date(2026, 10, 1)): (True, "10-49", "api"),
        (accounts[1].id, date(2026, 10, 1)): (False, "0", "api"),
        (accounts[2].id, date(2026, 11, 1)): (True, "200+", "api"),
    }
    again = post(
        client,
        partner,
        [item(accounts[0], band="1-9"), item(accounts[1], received=False, band=None)],
    )
    assert again.get_json()["outcomes"] == ["replaced", "unchanged"]


def test_a_retry_with_the_same_key_replays_the_first_answer(client, partner):
    account = trading(org=partner.user.organisation).account
    first = post(client, partner, [item(account)], **{"Idempotency-Key": "oct-2026"})
    logged = events()
    retry = post(client, partner, [item(account)], **{"Idempotency-Key": "oct-2026"})
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json() and first.get_json()["created"] == 1
    assert stored() == 1 and events() == logged
    reused = post(client, partner, [item(account, band="1-9")], **{"Idempotency-Key": "oct-2026"})
    assert_problem(reused, 422, "idempotency_key_reused")


def test_one_invalid_row_refuses_all_naming_index_and_field(client, partner, contract):
    accounts = [trading(org=partner.user.organisation).account for _ in range(3)]
    logged = events()
    response = post(
        client,
        partner,
        [item(accounts[0]), item(accounts[1]), item(accounts[2], month="2027-01")],
    )
    problem = assert_problem(response, 422, "validation_failed")
    contract.check("POST", "/api/v1/activity", response)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("reports.2.month", "month_future")
    ]
    assert stored() == 0 and events() == logged


def test_rows_outside_the_bank_are_refused_without_saying_whether_they_exist(
    client, partner, other_partner
):
    theirs = trading(bank_bin=factories.AGRIBANK, org=other_partner.user.organisation).account
    problem = assert_problem(
        post(
            client,
            partner,
            [
                item(theirs, bank_bin=factories.AGRIBANK),
                item(theirs),  # their number under our BIN
                {"account_number": "1077777777", "month": "2026-10", "received": False},
            ],
        ),
        422,
    )
    found = [(e["field"], e["code"], e["message"]) for e in problem["errors"]]
    assert found[0][:2] == ("reports.0.bank_bin", "other_bank")
    assert found[1][:2] == ("reports.1.account_number", "account_not_found")
    assert found[2] == ("reports.2.account_number", *found[1][1:])


def test_a_bin_in_other_digits_is_refused_as_malformed(client, partner):
    # Python's \d takes any script's digits: "٩٧٠٤٣٦" reads as 970436 (Vietcombank's).
    account = trading(org=partner.user.organisation).account
    for written in ("٩٧٠٤٣٦", "97043"):
        problem = assert_problem(post(client, partner, [item(account, bank_bin=written)]), 422)
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [
            ("reports.0.bank_bin", "invalid")
        ]
    assert stored() == 0


def test_no_amount_is_accepted_and_the_request_is_bounded(client, partner):
    account = trading(org=partner.user.organisation).account
    problem = assert_problem(post(client, partner, [item(account, amount=1_500_000)]), 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("reports.0.amount", "unknown_field")
    ]
    too_many = [item(account, month=f"20{20 + n // 12}-{n % 12 + 1:02d}") for n in range(1001)]
    assert_problem(post(client, partner, too_many), 422)
    assert_problem(post(client, partner, []), 422)
    assert_problem(post(client, partner, [item(account, band="37")]), 422)
    assert stored() == 0


@pytest.mark.parametrize("role", ["market_manager", "area_staff"])
def test_managers_and_staff_cannot_report(client, make_api_user, role):
    account = trading().account
    kind = "market_board" if role == "market_manager" else "commune_office"
    user = make_api_user(role, factories.organisation(kind=kind, bank_bin=None))
    response = post(client, user, [item(account, bank_bin=factories.VCB)])
    assert_problem(response, 403)
    assert stored() == 0


def test_stats_put_paid_by_qr_beside_has_qr(client, partner, staff_for, contract):
    """A hand-made commune: 4 stalls, 3 accepting; October reports say 2 were paid by
    QR (one of them not accepting: its vendor shows the bank's own stand), 1 was not."""
    home = factories.commune()
    market = factories.market(area=home)
    stalls = [factories.stall(market) for _ in range(4)]
    for stall in stalls[:3]:
        set_stall_status(stall, ACCEPTING, reason="verified", on=date(2026, 6, 1))
    paid, unpaid, _, other = (trading(s, org=partner.user.organisation) for s in stalls)
    post(
        client,
        partner,
        [
            item(paid.account),
            item(unpaid.account, received=False, band=None),
            item(other.account, band="1-9"),
            item(paid.account, month="2026-09", band="1-9"),
        ],
    )
    staff = staff_for(home)
    response = client.get("/api/v1/stats?date=2026-11-23", headers=staff.headers)
    body = contract.check("GET", "/api/v1/stats", response)
    assert (body["stalls_total"], body["stalls_accepting"]) == (4, 3)
    assert body["paid_by_qr_month"] == "2026-10"
    assert (body["stalls_paid_by_qr"], body["paid_by_qr_rate"]) == (2, 0.5)
    assert (body["markets"][0]["stalls_paid_by_qr"], body["markets"][0]["paid_by_qr_rate"]) == (
        2,
        0.5,
    )
    assert body["trend_by_month"] == [
        {
            "month": "2026-09",
            "stalls_total": 4,
            "stalls_accepting": 3,
            "rate": 0.75,
            "stalls_paid_by_qr": 1,
            "paid_by_qr_rate": 0.25,
        },
        {
            "month": "2026-10",
            "stalls_total": 4,
            "stalls_accepting": 3,
            "rate": 0.75,
            "stalls_paid_by_qr": 2,
            "paid_by_qr_rate": 0.5,
        },
    ]
    # October is not over on 20/10: September is the latest finished month reported.
    early = client.get("/api/v1/stats?date=2026-10-20", headers=staff.headers).get_json()
    assert (early["paid_by_qr_month"], early["stalls_paid_by_qr"]) == ("2026-09", 1)
    # Before any report: the fields are there, empty.
    before = client.get("/api/v1/stats?date=2026-09-15", headers=staff.headers).get_json()
    assert (before["paid_by_qr_month"], before["stalls_paid_by_qr"]) == (None, None)
    assert before["trend_by_month"] == [] and before["markets"][0]["stalls_paid_by_qr"] is None


def test_stats_are_written_exactly_as_their_schema_would(
    client, partner, staff_for, contract, monkeypatch
):
    """The statistics skip marshmallow's dump for speed; they must write what the schema
    would, with the areas below, "paid by QR" and the month-by-month trend."""
    import json

    from market4.api import stats
    from market4.api.schemas import StatsSchema, lean_json

    home = factories.commune()
    market = factories.market(area=home)
    stalls = [factories.stall(market) for _ in range(2)]
    set_stall_status(stalls[0], ACCEPTING, reason="verified", on=date(2026, 6, 1))
    paid, _ = (trading(s, org=partner.user.organisation) for s in stalls)
    post(client, partner, [item(paid.account), item(paid.account, month="2026-09")])
    built = []
    monkeypatch.setattr(stats, "lean_json", lambda value: built.append(value) or lean_json(value))
    staff = staff_for(home.parent)
    response = client.get("/api/v1/stats?date=2026-11-23", headers=staff.headers)
    body = contract.check("GET", "/api/v1/stats", response)
    assert body["children"] and body["trend_by_month"] and body["stalls_paid_by_qr"] == 1
    assert body == json.loads(json.dumps(StatsSchema().dump(built[0])))


def test_the_document_describes_the_report(contract):
    operation = contract.spec["paths"]["/api/v1/activity"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
    schemas = contract.spec["components"]["schemas"]
    item_schema = schemas["ActivityReportItem"]
    assert set(item_schema["required"]) == {"account_number", "month", "received"}
    assert not any("amount" in name for name in item_schema["properties"])
    assert {"paid_by_qr_month", "stalls_paid_by_qr", "paid_by_qr_rate", "trend_by_month"} <= set(
        schemas["Stats"]["properties"]
    )
