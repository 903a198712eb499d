"""A market manager's walk through the aisle: market page, a stall, two visit outcomes,
a check of the code posted there, then a reprint of the stall's placard (which asks first,
since the posted one stops working) and the new one posted; on a laptop and on a phone."""

from __future__ import annotations

import re
from pathlib import Path

from market4.extensions import db
from market4.placards.services import live_placard
from market4.registry.markets import Stall


def test_manager_records_visits_and_prints_a_stall_placard(
    page, phone_page, sign_in, screenshot, live_server, live_app
):
    sign_in(page, "quanlycho")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Chợ và sạp"
    ).click()
    page.get_by_role("link", name="Chợ Ngãi Giao", exact=True).click()
    page.wait_for_url(re.compile(r"/cho/CD-NGAIGIAO$"))
    assert page.get_by_role("heading", name="Chợ Ngãi Giao").is_visible()
    screenshot(page, "manager-market")

    # A stall that already accepts, so it has a placard printed for its current account.
    page.get_by_label("Trạng thái").select_option("accepting")
    page.get_by_role("button", name="Lọc").click()
    page.locator("table tbody tr").first.locator("td").first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/cho/CD-NGAIGIAO/sap/\d+$"))
    stall_url = page.url

    page.get_by_role("button", name="Đã dán bảng mã QR").click()
    assert "Trạng thái sạp: Đang nhận QR." in page.locator(".flash-success").inner_text()
    page.get_by_role("button", name="Đã chuyển thử thành công").click()
    assert "Đã ghi nhận “Đã chuyển thử thành công”" in page.locator(".flash-success").inner_text()
    visits = page.get_by_role("region", name="Các lần kiểm tra")
    assert (
        "Đã chuyển thử thành công" in visits.inner_text()
        and "Đã dán bảng mã QR" in visits.inner_text()
    )
    screenshot(page, "manager-stall")

    sign_in(phone_page, "quanlycho")
    phone_page.goto(stall_url)
    assert phone_page.get_by_role("button", name="Đã dán bảng mã QR").is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the stall page must not scroll sideways on a phone"
    screenshot(phone_page, "manager-stall-phone")

    # The code posted at the stall, checked against this stall: it matches.
    with live_app.app_context():
        stall = db.session.get(Stall, int(stall_url.rsplit("/", 1)[1]))
        payload = live_placard(stall).payload
    phone_page.get_by_role("link", name="Kiểm tra mã QR đang dán tại sạp").click()
    phone_page.get_by_label("Nội dung mã QR").fill(payload)
    phone_page.get_by_role("button", name="Kiểm tra").click()
    assert "KHỚP với" in phone_page.locator("#ket-qua").inner_text()
    screenshot(phone_page, "manager-stall-check")

    # Reprinting a posted placard asks first and says how many stop working.
    page.get_by_role("link", name="In bảng mã cho sạp này").click()
    page.get_by_role("button", name="In (cấp mã bảng mới)").click()
    assert "1 bảng mã đang dán sẽ hết hiệu lực" in page.locator("main").inner_text()
    screenshot(page, "manager-confirm-reprint")
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("In lại, 1 bảng đang dán hết hiệu lực")).click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    # The new placard goes up: the stall accepts again, as before the walk.
    page.goto(stall_url)
    page.get_by_role("button", name="Đã dán bảng mã QR").click()
    assert "Trạng thái sạp: Đang nhận QR." in page.locator(".flash-success").inner_text()
