"""Need to know: a bank branch learns nothing about another bank's customers.

Agribank's demo partner faces a vendor of the demo district who banks only at
Vietcombank: no page, check, conflict or error names them, shows their id or account,
or says which bank they use; their phone number finds nothing. Admins still see all.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from market4.api.tokens import create_token
from market4.auth.models import User
from market4.demo import seed as demo
from market4.demo.data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from market4.registry.markets import Stall
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor

AGRIBANK, VIETCOMBANK = "970405", "970436"


@dataclass
class Other:
    vendor: Vendor
    account: PaymentAccount
    stall: Stall
    national_phone: str


@pytest.fixture
def other(app, session) -> Other:
    """A Vietcombank-only customer trading at a stall in Agribank's area."""
    demo.seed()
    agribank_customers = select(PaymentAccount.vendor_id).where(PaymentAccount.bank_bin == AGRIBANK)
    account = session.scalars(
        select(PaymentAccount)
        .join(Occupancy, Occupancy.vendor_id == PaymentAccount.vendor_id)
        .where(
            PaymentAccount.bank_bin == VIETCOMBANK,
            PaymentAccount.vendor_id.not_in(agribank_customers),
            Occupancy.ended_on.is_(None),
        )
        .order_by(PaymentAccount.id)
    ).first()
    vendor = account.vendor
    stall = session.scalar(
        select(Stall)
        .join(Occupancy, Occupancy.stall_id == Stall.id)
        .where(Occupancy.vendor_id == vendor.id, Occupancy.ended_on.is_(None))
    )
    session.commit()
    return Other(vendor, account, stall, "0" + vendor.phone_e164[3:])


def signed_in(app, login: str):
    client = app.test_client()
    response = client.post(
        "/dang-nhap", data={"email": f"{login}@{DEMO_EMAIL_DOMAIN}", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    return client


def reveals(text: str, other: Other) -> list[str]:
    secrets = {
        "name": other.vendor.display_name,
        "bank-style name": other.vendor.bank_style_name,
        "account": other.account.account_number,
        "vendor link": f"/tieu-thuong/{other.vendor.id}",
        "BIN": VIETCOMBANK,
    }
    return [label for label, value in secrets.items() if value and value in text]


def test_the_registration_pages_do_not_name_another_banks_customer(app, other):
    partner = signed_in(app, "agribank")
    market = other.stall.market
    picker = partner.get(f"/tieu-thuong/dang-ky?cho={market.code}&tim={other.stall.code}")
    page = partner.get(f"/tieu-thuong/dang-ky/{market.code}/{other.stall.id}")
    refused = partner.post(
        f"/tieu-thuong/dang-ky/{market.code}/{other.stall.id}",
        data={
            "display_name": "Nguyễn Văn Mới",
            "phone": "0912999888",
            "account_number": "1234567890123",
            "consent": "y",
        },
    )
    assert refused.status_code == 422
    for response in (picker, page, refused):
        text = response.get_data(as_text=True)
        assert reveals(text, other) == [], response.request.path
    assert "Đang có tiểu thương" in page.get_data(as_text=True)
    admin_page = signed_in(app, "admin").get(f"/tieu-thuong/dang-ky/{market.code}/{other.stall.id}")
    assert other.vendor.display_name in admin_page.get_data(as_text=True)


def test_the_live_check_finds_phone_and_account_only_at_the_askers_bank(app, other, session):
    partner = signed_in(app, "agribank")
    answer = partner.post(
        "/tieu-thuong/kiem-tra",
        json={
            "display_name": "Nguyễn Văn Mới",
            "phone": other.national_phone,
            "account_number": other.account.account_number,
            "bank_bin": VIETCOMBANK,  # ignored: a branch checks at its own bank
        },
    ).get_json()
    assert answer["duplicates"] == []
    own = session.scalars(select(PaymentAccount).where(PaymentAccount.bank_bin == AGRIBANK)).first()
    found = partner.post(
        "/tieu-thuong/kiem-tra", json={"phone": "0" + own.vendor.phone_e164[3:]}
    ).get_json()
    assert [d["field"] for d in found["duplicates"]] == ["phone"]


def test_a_market_manager_cannot_use_the_account_check(app, other):
    manager = signed_in(app, "quanlycho")
    response = manager.post(
        "/tieu-thuong/kiem-tra", json={"account_number": other.account.account_number}
    )
    assert response.status_code == 403
    assert reveals(response.get_data(as_text=True), other) == []


def test_the_api_answers_name_no_one_and_no_other_bin(app, session, other):
    user = session.scalar(select(User).where(User.email == f"agribank@{DEMO_EMAIL_DOMAIN}"))
    headers = {"Authorization": f"Bearer {create_token(user, 'ntk', actor=user).secret}"}
    session.commit()
    client = app.test_client()
    body = {
        "market_code": other.stall.market.code,
        "stall_code": other.stall.code,
        "display_name": "Nguyễn Văn Mới",
        "phone": "0912999887",
        "account_number": "1234567890123",
        "consent": True,
    }
    answers = {
        "occupied": client.post("/api/v1/vendors", headers=headers, json=body),
        "other bank": client.post(
            "/api/v1/vendors",
            headers=headers,
            json={**body, "bank_bin": VIETCOMBANK, "account_number": "1234567890"},
        ),
        "by phone": client.get(f"/api/v1/vendors?phone={other.national_phone}", headers=headers),
        "by id": client.get(f"/api/v1/vendors/{other.vendor.id}", headers=headers),
    }
    assert answers["occupied"].status_code == 409
    assert answers["other bank"].status_code == 403
    assert answers["by phone"].get_json()["items"] == []
    assert answers["by id"].status_code == 404
    for label, response in answers.items():
        assert reveals(response.get_data(as_text=True), other) == [], label
        assert response.headers["Cache-Control"] == "no-store", label


def test_the_web_search_by_phone_stays_within_the_bank(app, other):
    text = signed_in(app, "agribank").get(f"/tieu-thuong/?q={other.national_phone}")
    assert reveals(text.get_data(as_text=True), other) == []
