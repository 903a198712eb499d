"""The last month a stall (and an account) was paid by QR, on the stall's page and on the
vendor's page in the partner area."""

from __future__ import annotations

import re
from datetime import date

import pytest
from werkzeug.security import generate_password_hash

from market4.activity.services import ReportInput, report_activity
from market4.extensions import db
from market4.vocabulary import ActivitySource
from tests import factories as f

PASSWORD = "mật khẩu đủ dài"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("market4.activity.services.today", lambda: date(2026, 12, 4))


def text_of(response) -> str:
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_the_stall_and_vendor_pages_name_the_last_month_paid_by_qr(client, app):
    partner = f.user("bank_partner", org=f.organisation(bank_bin=f.VCB))
    partner.password_hash = generate_password_hash(PASSWORD)
    registered = f.registered_vendor(org=partner.organisation)
    registered.occupancy.started_on = f.LONG_AGO
    stall = registered.occupancy.stall
    db.session.commit()
    client.post("/dang-nhap", data={"email": partner.email, "password": PASSWORD})
    stall_url = f"/cho/{stall.market.code}/sap/{stall.id}"
    vendor_url = f"/tieu-thuong/{registered.vendor.id}"
    assert "Chưa có báo cáo nhận tiền qua QR" in text_of(client.get(stall_url))
    assert "Nhận tiền qua QR gần nhất Chưa có báo cáo" in text_of(client.get(vendor_url))

    number = registered.account.account_number
    report_activity(
        [
            ReportInput(account_number=number, month="2026-09", received=True, count_band="1-9"),
            ReportInput(account_number=number, month="2026-10", received=True, count_band="200+"),
            ReportInput(account_number=number, month="2026-11", received=False),
        ],
        actor=partner,
        source=ActivitySource.API,
        channel="api",
    )
    db.session.commit()
    assert "Nhận tiền qua QR gần nhất: 10/2026" in text_of(client.get(stall_url))
    assert "Nhận tiền qua QR gần nhất 10/2026" in text_of(client.get(vendor_url))
