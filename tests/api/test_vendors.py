"""/api/v1/vendors: registration through the shared service, scope, idempotent retries."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from market4.extensions import db
from market4.registry.placards import Placard
from market4.registry.vendors import PaymentAccount, Vendor
from tests import factories
from tests.api.test_auth import assert_problem


def vendor_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Vendor))


def test_register_a_vendor(client, partner, stall, body_for, session):
    body = body_for(stall, display_name="Nguyễn Thị Đào", partner_reference="CRM-1")
    response = client.post("/api/v1/vendors", headers=partner.headers, json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/vendors/{created['id']}")
    assert created["bank_style_name"] == "NGUYEN THI DAO" and created["phone"].startswith("+84")
    assert created["stall"] == {
        "id": stall.id,
        "code": stall.code,
        "market_code": stall.market.code,
        "market_name": stall.market.name,
    }
    [account] = created["accounts"]
    assert (
        account["account_number"] == body["account_number"]
        and account["partner_reference"] == "CRM-1"
    )
    assert account["verified_at"] is not None  # a bank vouches for accounts at its own bank
    assert created["warnings"] == []


def test_every_invalid_field_is_listed(client, partner, stall, body_for):
    body = body_for(stall, phone="912345678", account_number="9.70422E+15", consent=False)
    problem = assert_problem(
        client.post("/api/v1/vendors", headers=partner.headers, json=body), 422
    )
    codes = {error["field"]: error["code"] for error in problem["errors"]}
    assert codes == {
        "phone": "phone_leading_zero_lost",
        "account_number": "account_number_scientific",
        "consent": "consent_required",
    }


def test_unknown_market_and_stall_are_field_errors(client, partner, stall, body_for):
    problem = assert_problem(
        client.post(
            "/api/v1/vendors", headers=partner.headers, json=body_for(stall, market_code="NO-SUCH")
        ),
        422,
    )
    assert [e["code"] for e in problem["errors"]] == ["unknown_market"]
    problem = assert_problem(
        client.post(
            "/api/v1/vendors",
            headers=partner.headers,
            json=body_for(stall, stall_code="Sạp 999999"),
        ),
        422,
    )
    assert [e["code"] for e in problem["errors"]] == ["unknown_stall"]


def test_duplicate_account_is_409_apart_from_invalid(client, partner, body_for, session):
    first = factories.stall()
    body = body_for(first)
    assert client.post("/api/v1/vendors", headers=partner.headers, json=body).status_code == 201
    second = factories.stall(first.market)
    again = {**body_for(second), "account_number": body["account_number"]}
    problem = assert_problem(
        client.post("/api/v1/vendors", headers=partner.headers, json=again), 409
    )
    existing = session.scalar(
        select(PaymentAccount.id).where(PaymentAccount.account_number == body["account_number"])
    )
    assert problem["object_ids"] == [existing] and problem["errors"][0]["field"] == "account_number"


def test_occupied_stall_is_409_and_only_an_admin_replaces(
    client, partner, make_api_user, stall, body_for
):
    first = client.post("/api/v1/vendors", headers=partner.headers, json=body_for(stall))
    assert first.status_code == 201 and first.get_json()["outcome"] == "registered"
    occupied = client.post("/api/v1/vendors", headers=partner.headers, json=body_for(stall))
    assert_problem(occupied, 409, "stall_occupied")
    assert "vendor_id" not in occupied.get_json()  # nothing about who trades there
    assert_problem(
        client.post(
            "/api/v1/vendors", headers=partner.headers, json=body_for(stall, replace_occupant=True)
        ),
        403,
        "bank_no_occupancy",
    )
    admin = make_api_user("admin", factories.organisation(kind="operator", bank_bin=None))
    replaced = client.post(
        "/api/v1/vendors", headers=admin.headers, json=body_for(stall, replace_occupant=True)
    )
    assert replaced.status_code == 201


def test_every_problem_of_a_registration_is_in_one_answer(
    client, partner, stall, body_for, session
):
    def registered(at, **fields):
        response = client.post(
            "/api/v1/vendors", headers=partner.headers, json=body_for(at, **fields)
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    registered(stall, display_name="Lê Thị Hạnh")
    phone_owner = registered(factories.stall(stall.market), display_name="Phạm Văn Sáu")
    account_owner = registered(factories.stall(stall.market), display_name="Đỗ Thị Lan")
    body = body_for(
        stall,
        display_name="Trần Văn Ơn",
        phone="0" + phone_owner["phone"][3:],
        account_number=account_owner["accounts"][0]["account_number"],
    )
    before = vendor_count(session)

    problem = assert_problem(
        client.post("/api/v1/vendors", headers=partner.headers, json=body), 409, "conflict"
    )
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("stall_code", "stall_occupied"),
        ("account_number", "duplicate_account"),
    ]
    # A shared phone never refuses over the API (relatives share phones); it is said anyway.
    assert [(w["field"], w["code"]) for w in problem["warnings"]] == [("phone", "duplicate_phone")]
    assert all(e["message"] for e in problem["errors"] + problem["warnings"])
    text = json.dumps(problem, ensure_ascii=False)
    assert "Phạm Văn Sáu" not in text and "Đỗ Thị Lan" not in text and "Lê Thị Hạnh" not in text

    # With a field to fix too: 422, every problem still listed.
    problem = assert_problem(
        client.post("/api/v1/vendors", headers=partner.headers, json={**body, "consent": False}),
        422,
        "validation_failed",
    )
    assert [e["code"] for e in problem["errors"]] == [
        "consent_required",
        "stall_occupied",
        "duplicate_account",
    ]
    assert vendor_count(session) == before


def test_another_banks_bin_is_403(client, partner, stall, body_for):
    response = client.post(
        "/api/v1/vendors",
        headers=partner.headers,
        json=body_for(stall, bank_bin=factories.AGRIBANK),
    )
    assert_problem(response, 403, "other_bank")


def test_bank_bin_defaults_to_the_partners_bank(client, partner, stall, body_for):
    body = body_for(stall)
    del body["bank_bin"]
    response = client.post("/api/v1/vendors", headers=partner.headers, json=body)
    assert (
        response.status_code == 201
        and response.get_json()["accounts"][0]["bank_bin"] == factories.VCB
    )


def test_idempotency_key_replays_the_first_answer(client, partner, stall, body_for, session):
    headers = {**partner.headers, "Idempotency-Key": "crm-42"}
    body = body_for(stall)
    first = client.post("/api/v1/vendors", headers=headers, json=body)
    before = vendor_count(session)
    retry = client.post("/api/v1/vendors", headers=headers, json=dict(reversed(list(body.items()))))
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json() and vendor_count(session) == before
    other = client.post("/api/v1/vendors", headers=headers, json=body_for(factories.stall()))
    assert_problem(other, 422, "idempotency_key_reused")


def test_refusals_are_not_stored_for_replay(client, partner, stall, body_for):
    headers = {**partner.headers, "Idempotency-Key": "retry-after-fix"}
    body = body_for(stall, consent=False)
    assert_problem(client.post("/api/v1/vendors", headers=headers, json=body), 422)
    # The same request again is evaluated again (and still refused), not replayed.
    again = client.post("/api/v1/vendors", headers=headers, json=body)
    assert again.status_code == 422 and "Idempotent-Replayed" not in again.headers


def test_keys_belong_to_their_user(client, partner, make_api_user, stall, body_for):
    other = make_api_user("bank_partner", partner.user.organisation)
    assert (
        client.post(
            "/api/v1/vendors",
            headers={**partner.headers, "Idempotency-Key": "k"},
            json=body_for(stall),
        ).status_code
        == 201
    )
    response = client.post(
        "/api/v1/vendors",
        headers={**other.headers, "Idempotency-Key": "k"},
        json=body_for(factories.stall()),
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


def test_bad_idempotency_key_is_422(client, partner, stall, body_for):
    response = client.post(
        "/api/v1/vendors",
        headers={**partner.headers, "Idempotency-Key": "x" * 256},
        json=body_for(stall),
    )
    assert_problem(response, 422, "invalid_idempotency_key")


def test_list_shows_only_the_partners_own_vendors(client, partner, other_partner, stall, body_for):
    mine = client.post("/api/v1/vendors", headers=partner.headers, json=body_for(stall)).get_json()
    theirs = factories.registered_vendor(
        bank_bin=factories.AGRIBANK, org=other_partner.user.organisation
    )
    listed = client.get("/api/v1/vendors?page_size=200", headers=partner.headers).get_json()
    ids = [item["id"] for item in listed["items"]]
    assert mine["id"] in ids and theirs.vendor.id not in ids
    assert listed["total"] == len(ids)


def test_a_callers_kept_page_statement_follows_a_change_of_their_bank(
    client, partner, other_partner, stall, body_for
):
    """The page's statement is built once per caller and filters; a branch that moves to
    another bank (scope.caller_key) must list that bank's vendors at once."""
    mine = client.post("/api/v1/vendors", headers=partner.headers, json=body_for(stall)).get_json()
    theirs = factories.registered_vendor(
        bank_bin=factories.AGRIBANK, org=other_partner.user.organisation
    )
    for _ in range(2):
        ids = [item["id"] for item in _all(client, partner)]
        assert mine["id"] in ids and theirs.vendor.id not in ids
    partner.user.organisation.bank_bin = factories.AGRIBANK
    db.session.commit()
    ids = [item["id"] for item in _all(client, partner)]
    assert theirs.vendor.id in ids and mine["id"] not in ids


def test_a_vendor_with_several_accounts_and_placards_is_one_item(client, partner, other_partner):
    """A page is read as one row per account and live placard: each vendor still comes
    once, with the caller's accounts only and a placard that pays one of them, and the
    page size and total count vendors."""
    from market4.placards import services as placards
    from market4.vendors.services import AccountData, add_account

    older = factories.registered_vendor(org=partner.user.organisation)
    newer = factories.registered_vendor(org=partner.user.organisation)
    org = partner.user.organisation
    second = add_account(
        newer.vendor,
        AccountData(bank_bin=factories.VCB, account_number=factories.account_number()),
        organisation=org,
        actor=None,
    ).account
    theirs = add_account(
        newer.vendor,
        AccountData(
            bank_bin=factories.AGRIBANK, account_number=factories.account_number(factories.AGRIBANK)
        ),
        organisation=other_partner.user.organisation,
        actor=None,
    ).account
    stall = newer.occupancy.stall
    posted = placards.issue_placard(stall, newer.account, actor=None)
    # A second live placard on the stall (a reprint not yet posted), paying another bank.
    db.session.add(Placard(serial="TEST-SECOND", stall=stall, payment_account=theirs, payload="x"))
    db.session.commit()
    first_page = client.get("/api/v1/vendors?page_size=1", headers=partner.headers).get_json()
    assert [item["id"] for item in first_page["items"]] == [newer.vendor.id]
    assert first_page["total"] == 2 and first_page["next_after"] == newer.vendor.id
    item = first_page["items"][0]
    assert sorted(a["id"] for a in item["accounts"]) == sorted([newer.account.id, second.id])
    assert item["placard"]["serial"] == posted.serial
    assert item["stall"]["id"] == stall.id
    rest = client.get(
        f"/api/v1/vendors?page_size=1&after={first_page['next_after']}", headers=partner.headers
    ).get_json()
    assert [item["id"] for item in rest["items"]] == [older.vendor.id]
    assert rest["next_after"] is None
    one = client.get(f"/api/v1/vendors/{newer.vendor.id}", headers=partner.headers).get_json()
    assert one == item


def test_list_filters_and_pages(client, partner, body_for):
    market = factories.market()
    created = [
        client.post(
            "/api/v1/vendors",
            headers=partner.headers,
            json=body_for(
                factories.stall(market),
                partner_reference=f"ref-{n}",
                display_name=f"Trần Văn Bé {n}",
            ),
        ).get_json()
        for n in range(3)
    ]
    elsewhere = body_for(factories.stall(factories.market()), display_name="Lê Thị Khác")
    assert (
        client.post("/api/v1/vendors", headers=partner.headers, json=elsewhere).status_code == 201
    )
    page = client.get(
        f"/api/v1/vendors?market={market.code}&page_size=2", headers=partner.headers
    ).get_json()
    # The total counts the filtered vendors, not all of the bank's.
    assert page["total"] == 3 and len(page["items"]) == 2
    assert [item["id"] for item in page["items"]] == [
        created[2]["id"],
        created[1]["id"],
    ]  # newest first
    second = client.get(
        f"/api/v1/vendors?market={market.code}&page_size=2&page=2", headers=partner.headers
    )
    assert [item["id"] for item in second.get_json()["items"]] == [created[0]["id"]]

    def ids(query: str) -> list[int]:
        return [
            v["id"]
            for v in client.get(f"/api/v1/vendors?{query}", headers=partner.headers).get_json()[
                "items"
            ]
        ]

    assert ids("partner_reference=ref-1") == [created[1]["id"]]
    assert ids("q=tran van be 2") == [created[2]["id"]]  # diacritics and case ignored
    assert ids(f"phone={created[0]['phone']}") == [created[0]["id"]]
    number = created[1]["accounts"][0]["account_number"]
    assert ids(f"account_number={number}") == [created[1]["id"]]


def test_cross_partner_access_answers_404(client, partner, other_partner):
    theirs = factories.registered_vendor(
        bank_bin=factories.AGRIBANK, org=other_partner.user.organisation
    )
    url = f"/api/v1/vendors/{theirs.vendor.id}"
    assert client.get(url, headers=other_partner.headers).status_code == 200
    assert_problem(client.get(url, headers=partner.headers), 404)
    assert_problem(client.patch(url, headers=partner.headers, json={"phone": "0912000999"}), 404)
    assert_problem(client.delete(url, headers=partner.headers), 404)
    assert_problem(client.get(url + "/placard.pdf", headers=partner.headers), 404)
    assert_problem(client.get(url + "/placard.png", headers=partner.headers), 404)


def test_change_account_supersedes_printed_placards(client, partner, stall, body_for):
    created = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall)
    ).get_json()
    url = f"/api/v1/vendors/{created['id']}"
    pdf = client.get(url + "/placard.pdf", headers=partner.headers)
    assert (
        pdf.status_code == 200
        and pdf.mimetype == "application/pdf"
        and pdf.data.startswith(b"%PDF")
    )
    png = client.get(url + "/placard.png", headers=partner.headers)
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    serial = client.get(url, headers=partner.headers).get_json()["placard"]["serial"]
    changed = client.patch(
        url, headers=partner.headers, json={"account_number": factories.account_number()}
    )
    assert changed.status_code == 200
    result = changed.get_json()
    assert result["superseded_placards"] == [serial] and result["placard"] is None
    assert "account_number" in result["changed"]
    assert_problem(
        client.get(url + "/placard.png", headers=partner.headers), 404, "no_live_placard"
    )


def test_fetching_the_placard_twice_keeps_the_posted_serial(client, partner, stall, body_for):
    created = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall)
    ).get_json()
    url = f"/api/v1/vendors/{created['id']}"
    first = client.get(url + "/placard.pdf", headers=partner.headers)
    serial = client.get(url, headers=partner.headers).get_json()["placard"]["serial"]
    second = client.get(url + "/placard.pdf", headers=partner.headers)
    assert second.status_code == 200 and second.data.startswith(b"%PDF")
    assert (
        serial in first.headers["Content-Disposition"]
        and serial in second.headers["Content-Disposition"]
    )
    assert client.get(url, headers=partner.headers).get_json()["placard"]["serial"] == serial


def test_patch_refuses_invalid_values(client, partner, stall, body_for):
    created = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall)
    ).get_json()
    problem = assert_problem(
        client.patch(
            f"/api/v1/vendors/{created['id']}",
            headers=partner.headers,
            json={"phone": "01234567890"},
        ),
        422,
    )
    assert problem["errors"][0]["code"] == "phone_old_format"


def test_delete_closes_the_account(client, partner, stall, body_for):
    created = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall)
    ).get_json()
    url = f"/api/v1/vendors/{created['id']}"
    response = client.delete(url + "?reason=Ngừng kinh doanh", headers=partner.headers)
    assert response.status_code == 204 and response.data == b""
    assert client.get(url, headers=partner.headers).get_json()["accounts"][0]["status"] == "closed"
    assert_problem(client.delete(url, headers=partner.headers), 409, "account_closed")


def test_keyset_pages_walk_every_vendor_once(client, partner, body_for):
    market = factories.market()
    created = [
        client.post(
            "/api/v1/vendors", headers=partner.headers, json=body_for(factories.stall(market))
        ).get_json()["id"]
        for _ in range(5)
    ]
    seen, after = [], None
    while True:
        query = f"market={market.code}&page_size=2" + (f"&after={after}" if after else "")
        page = client.get(f"/api/v1/vendors?{query}", headers=partner.headers).get_json()
        # The first page is an offset page with the total; keyset pages leave it out.
        assert page["total"] == (None if after else 5) and len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(created, reverse=True)  # newest first, none twice, none missed
    offset = client.get(
        f"/api/v1/vendors?market={market.code}&page_size=5", headers=partner.headers
    )
    assert offset.get_json()["next_after"] is None


def test_the_list_is_written_exactly_as_its_schema_would(client, partner, stall, body_for, app):
    """The list skips marshmallow's dump for speed; it must write what the schema would."""
    from market4.api.schemas import VendorPageSchema, lean_json
    from market4.api.vendors import vendor_dicts

    created = client.post("/api/v1/vendors", headers=partner.headers, json=body_for(stall))
    factories.registered_vendor(org=partner.user.organisation)  # a vendor without a placard
    vendor_ids = [created.get_json()["id"], *[v["id"] for v in _all(client, partner)]]
    with app.test_request_context():
        page = {
            "items": vendor_dicts(partner.user, vendor_ids),
            "page": 1,
            "page_size": 50,
            "total": len(vendor_ids),
            "next_after": None,
        }
        written = json.loads(lean_json(page).get_data())
        assert written == json.loads(json.dumps(VendorPageSchema().dump(page)))
        assert any(item["created_at"] for item in written["items"])


def _all(client, partner) -> list[dict]:
    return client.get("/api/v1/vendors", headers=partner.headers).get_json()["items"]
