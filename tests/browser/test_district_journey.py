"""The district officer's journey: a stall is verified at the market, the district
dashboard shows the rate change, and the officer exports the table as XLSX."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from market4.extensions import db
from market4.registry.markets import Market, Stall, StallStatusChange
from market4.registry.stalls import current_status
from market4.registry.vendors import Occupancy, PaymentAccount


def accepting_headline(page) -> tuple[int, int]:
    text = page.locator("main").inner_text()
    match = re.search(r"(\d{1,3}(?:\.\d{3})*)/(\d{1,3}(?:\.\d{3})*) tiểu thương", text)
    assert match, "the headline '…/… tiểu thương' is missing"
    return tuple(int(group.replace(".", "")) for group in match.groups())


def a_registered_stall_not_yet_accepting(live_app) -> Stall:
    with live_app.app_context():
        market = db.session.scalar(select(Market).where(Market.code == "CD-NGAIGIAO"))
        candidates = db.session.scalars(
            select(Stall)
            .join(Occupancy, Occupancy.stall_id == Stall.id)
            .join(PaymentAccount, PaymentAccount.vendor_id == Occupancy.vendor_id)
            .where(
                Stall.market_id == market.id,
                Occupancy.ended_on.is_(None),
                PaymentAccount.is_on_placard,
                PaymentAccount.status == "active",
            )
            .order_by(Stall.id)
        )
        for stall in candidates:
            if current_status(stall) != "accepting":
                db.session.expunge(stall)
                return stall
    raise AssertionError("the demo has no registered stall without a placard")


def test_verification_moves_the_district_rate_and_xlsx_export(
    browser, live_server, live_app, sign_in, screenshot
):
    officer = browser.new_context(
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    manager = browser.new_context(
        base_url=live_server, locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    try:
        district = officer.new_page()
        sign_in(district, "huyenchauduc")
        district.goto("/tong-quan/")
        before_accepting, total = accepting_headline(district)
        screenshot(district, "district-dashboard-before")

        stall = a_registered_stall_not_yet_accepting(live_app)
        aisle = manager.new_page()
        sign_in(aisle, "quanlycho")
        aisle.goto(f"/cho/CD-NGAIGIAO/sap/{stall.id}")
        aisle.get_by_role("button", name=re.compile("chuyển thử", re.IGNORECASE)).first.click()
        aisle.wait_for_load_state()
        screenshot(aisle, "manager-test-payment-recorded")
        with live_app.app_context():
            latest = db.session.scalars(
                select(StallStatusChange)
                .where(StallStatusChange.stall_id == stall.id)
                .order_by(StallStatusChange.id.desc())
            ).first()
            assert latest.status == "accepting" and latest.reason == "test_payment_ok"

        district.reload()
        after_accepting, after_total = accepting_headline(district)
        assert (after_accepting, after_total) == (before_accepting + 1, total)
        screenshot(district, "district-dashboard-after")

        with district.expect_download() as download_info:
            district.get_by_role("link", name=re.compile(r"\.xlsx")).first.click()
        workbook = load_workbook(io.BytesIO(download_info.value.path().read_bytes()))
        cells = [
            cell
            for row in workbook.worksheets[0].iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, int)
        ]
        assert after_accepting in cells and total in cells
    finally:
        officer.close()
        manager.close()
