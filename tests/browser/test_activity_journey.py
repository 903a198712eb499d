"""A bank's monthly QR report moves the district's "paid by QR" figure, on phones.

The Agribank partner uploads a CSV saying three of its customers' accounts received QR
payments in the month the dashboard shows, checks the preview and writes it; the
district officer's dashboard then counts three more stalls "đang nhận tiền qua QR",
while "có QR" stays as it was. Nothing on either page scrolls sideways.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from market4.db import today
from market4.extensions import db
from market4.registry import activity
from market4.registry.markets import Stall
from market4.registry.vendors import Occupancy, PaymentAccount
from market4.vocabulary import AccountStatus
from tests.browser.test_phone_layout import SIDEWAYS

AGRIBANK = "970405"
HEADER = "Ngân hàng,Số tài khoản / số thẻ,Tháng,Có nhận tiền qua QR,Số giao dịch QR"


def paid_headline(page) -> tuple[int, int]:
    text = page.locator("#dash-paid").inner_text()
    match = re.search(r"([\d.]+) có QR — ([\d.]+) đang nhận tiền qua QR", text)
    assert match, f"no 'có QR — đang nhận tiền qua QR' figure in {text!r}"
    return tuple(int(group.replace(".", "")) for group in match.groups())


def unpaid_agribank_accounts(live_app, count: int) -> tuple[str, list[str]]:
    """The dashboard's month, and Agribank accounts on open stalls not paid by QR in it."""
    with live_app.app_context():
        month = activity.reference_month(today())
        assert month is not None, "the demo has no QR report"
        candidates = db.session.execute(
            select(Stall, PaymentAccount.account_number)
            .join(Occupancy, Occupancy.stall_id == Stall.id)
            .join(PaymentAccount, PaymentAccount.vendor_id == Occupancy.vendor_id)
            .where(
                Occupancy.ended_on.is_(None),
                Stall.closed_on.is_(None),
                PaymentAccount.bank_bin == AGRIBANK,
                PaymentAccount.status == AccountStatus.ACTIVE,
            )
            .order_by(Stall.id)
        ).all()
        chosen, stalls = [], set()
        for stall, number in candidates:
            last = activity.last_paid_month(stall)
            if stall.id not in stalls and (last is None or last < month):
                chosen.append(number)
                stalls.add(stall.id)
            if len(chosen) == count:
                return activity.month_text(month), chosen
    raise AssertionError("the demo has too few unpaid Agribank stalls")


def test_an_uploaded_report_moves_the_district_dashboard(
    browser, live_server, live_app, sign_in, screenshot
):
    phone = {
        "base_url": live_server,
        "locale": "vi-VN",
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    }
    officer, bank = browser.new_context(**phone), browser.new_context(**phone)
    try:
        district = officer.new_page()
        sign_in(district, "huyenchauduc")
        district.goto("/tong-quan/")
        has_qr, paid = paid_headline(district)
        assert district.evaluate(SIDEWAYS) == ""
        screenshot(district, "activity-dashboard-before")

        month, numbers = unpaid_agribank_accounts(live_app, 3)
        lines = [f"{AGRIBANK},{number},{month},có,10-49" for number in numbers]
        partner = bank.new_page()
        sign_in(partner, "agribank")
        partner.get_by_role("link", name="Báo cáo QR").click()
        expect(
            partner.get_by_role("heading", name="Báo cáo nhận tiền qua QR hằng tháng")
        ).to_be_visible()
        assert partner.evaluate(SIDEWAYS) == ""
        screenshot(partner, "activity-upload-page")
        partner.get_by_label("Tệp báo cáo nhận tiền qua QR (.csv hoặc .xlsx)").set_input_files(
            {
                "name": f"agribank-{month}.csv",
                "mimeType": "text/csv",
                "buffer": ("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8"),
            }
        )
        partner.get_by_role("button", name="Kiểm tra tệp").click()
        expect(partner.get_by_role("heading", name="Dòng hợp lệ (3)")).to_be_visible()
        expect(partner.get_by_role("heading", name="Dòng chưa hợp lệ (0)")).to_be_visible()
        assert partner.evaluate(SIDEWAYS) == ""
        screenshot(partner, "activity-upload-preview")
        partner.get_by_role("button", name=re.compile("Ghi báo cáo")).click()
        expect(partner.get_by_text(re.compile("Đã ghi báo cáo"))).to_be_visible()
        screenshot(partner, "activity-upload-written")

        district.reload()
        assert paid_headline(district) == (has_qr, paid + 3)
        screenshot(district, "activity-dashboard-after")
    finally:
        officer.close()
        bank.close()
