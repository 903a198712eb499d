"""``/api/v1/vendors/{id}/accounts`` and adding accounts for a stall's current vendor."""

from __future__ import annotations

from sqlalchemy import func, select

from market4.registry.vendors import PaymentAccount, Vendor
from tests import factories
from tests.api.test_errors import assert_problem


def counts(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Vendor)),
        session.scalar(select(func.count()).select_from(PaymentAccount)),
    )


def test_a_second_bank_adds_the_occupants_account_without_a_second_person(
    client, partner, other_partner, stall, body_for, session
):
    first = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall, phone="0912345678")
    )
    vendor_id = first.get_json()["id"]
    before = counts(session)
    # Agribank meets the same person at the same stall: name folded, phone as typed.
    body = body_for(
        stall, display_name="nguyen thi dao", phone="0912 345 678", bank_bin=factories.AGRIBANK
    )
    added = client.post("/api/v1/vendors", headers=other_partner.headers, json=body)
    assert added.status_code == 201, added.get_json()
    data = added.get_json()
    assert (data["id"], data["outcome"]) == (vendor_id, "account_added")
    assert counts(session) == (before[0], before[1] + 1)
    [mine] = data["accounts"]  # Agribank sees only its own account
    assert (
        mine["bank_bin"] == factories.AGRIBANK and mine["is_on_placard"] is False
    )  # the VCB QR stays
    assert "not_on_placard" in {w["code"] for w in data["warnings"]}
    again = client.post("/api/v1/vendors", headers=other_partner.headers, json=body)
    assert again.status_code == 200 and again.get_json()["outcome"] == "unchanged"
    assert counts(session) == (before[0], before[1] + 1)


def test_someone_else_at_the_stall_is_409_and_names_no_one(
    client, partner, other_partner, stall, body_for, session
):
    client.post("/api/v1/vendors", headers=partner.headers, json=body_for(stall))
    before = counts(session)
    response = client.post(
        "/api/v1/vendors",
        headers=other_partner.headers,
        json=body_for(stall, display_name="Trần Văn Khác", bank_bin=factories.AGRIBANK),
    )
    assert_problem(response, 409, "stall_occupied")
    assert "Nguyễn Thị Đào" not in response.get_data(as_text=True)
    assert counts(session) == before


def test_the_accounts_sub_resource(client, partner, stall, body_for, session):
    created = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall)
    ).get_json()
    base = f"/api/v1/vendors/{created['id']}/accounts"
    [placard_account] = client.get(base, headers=partner.headers).get_json()["items"]
    second = client.post(base, headers=partner.headers, json={"account_number": "0071000555666"})
    assert second.status_code == 201 and second.get_json()["is_on_placard"] is False
    account_id = second.get_json()["id"]
    assert (
        client.get(f"{base}/{account_id}", headers=partner.headers).get_json()["account_number"]
        == "0071000555666"
    )
    changed = client.patch(
        f"{base}/{account_id}", headers=partner.headers, json={"holder_name": "NGUYEN T DAO"}
    )
    assert changed.status_code == 200 and changed.get_json()["outcome"] == "account_updated"
    assert client.delete(f"{base}/{account_id}", headers=partner.headers).status_code == 204
    assert session.get(PaymentAccount, account_id).status == "closed"
    assert (
        session.get(PaymentAccount, placard_account["id"]).status == "active"
    )  # the other one untouched


def test_account_numbers_are_checked_against_the_banks_rules(
    client, other_partner, stall, body_for, session
):
    before = counts(session)
    response = client.post(
        "/api/v1/vendors",
        headers=other_partner.headers,
        json=body_for(stall, bank_bin=factories.AGRIBANK, account_number="12345ABC678"),
    )
    assert_problem(response, 422, "validation_failed")
    [error] = response.get_json()["errors"]
    assert (error["field"], error["code"]) == (
        "account_number",
        "account_number_letters_not_allowed",
    )
    assert "Agribank" in error["message"] and "12345ABC678" in error["message"]
    assert counts(session) == before


def test_a_market_managers_token_never_writes_an_account(
    client, partner, make_api_user, stall, body_for, session
):
    created = client.post(
        "/api/v1/vendors", headers=partner.headers, json=body_for(stall)
    ).get_json()
    manager = make_api_user(
        "market_manager", factories.organisation(kind="market_board", bank_bin=None)
    )
    manager.user.markets.append(stall.market)
    session.flush()
    account = session.get(PaymentAccount, created["accounts"][0]["id"])
    number, holder = account.account_number, account.holder_name
    patch = client.patch(
        f"/api/v1/vendors/{created['id']}",
        headers=manager.headers,
        json={"account_number": "1234567890123", "holder_name": "KE GIAN"},
    )
    assert_problem(patch, 403, "manager_no_accounts")
    assert_problem(
        client.delete(f"/api/v1/vendors/{created['id']}", headers=manager.headers),
        403,
        "manager_no_accounts",
    )
    assert (
        client.post(
            f"/api/v1/vendors/{created['id']}/accounts",
            headers=manager.headers,
            json={"account_number": "1234567890123"},
        ).status_code
        == 403
    )
    session.refresh(account)
    assert (account.account_number, account.holder_name, account.status) == (
        number,
        holder,
        "active",
    )
    # Names and phone of a vendor at their market are theirs to fix.
    renamed = client.patch(
        f"/api/v1/vendors/{created['id']}",
        headers=manager.headers,
        json={"display_name": "Nguyễn Thị Đào Hoa"},
    )
    assert renamed.status_code == 200


def test_an_api_write_is_audited_with_its_token_and_client_address(
    client, partner, stall, body_for, session
):
    from market4.api.models import ApiToken
    from market4.audit.models import AuditEvent

    response = client.post(
        "/api/v1/vendors",
        headers=partner.headers,
        json=body_for(stall),
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    assert response.status_code == 201
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == partner.user.id))
    events = session.scalars(select(AuditEvent).where(AuditEvent.channel == "api")).all()
    assert events and {(e.api_token_id, e.remote_addr) for e in events} == {
        (token.id, "192.0.2.44")
    }
