"""The Agribank partner registers a vendor at a stall, on a phone, through the real pages.

The demo district has no vacant stall, so the journey takes the "replace the vendor at
this stall" confirmation. It picks a stall that is not accepting QR payments, so the
district's acceptance figures other browser tests may check stay as they were.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

NAME = "Nguyễn Thị Bích Thủy"


def test_partner_registers_a_vendor_at_a_stall(phone_page, sign_in, screenshot):
    page = phone_page
    sign_in(page, "agribank")
    page.get_by_role("link", name="Tiểu thương", exact=True).click()
    expect(page.get_by_role("heading", name="Tiểu thương đã đăng ký")).to_be_visible()
    page.get_by_role("link", name="Đăng ký tiểu thương").click()

    # Step 1: find the market (accents optional), step 2: a stall that is not accepting yet.
    page.get_by_label("Tìm chợ").fill("kim long")
    page.get_by_role("button", name="Tìm chợ").click()
    page.get_by_role("link", name=re.compile("Chọn chợ này Chợ Kim Long")).click()
    expect(page.get_by_role("heading", name=re.compile("chọn sạp ở Chợ Kim Long"))).to_be_visible()
    page.get_by_label("Chỉ hiện sạp chưa nhận QR").check()
    page.get_by_role("button", name="Tìm sạp").click()
    row = page.locator("tbody tr").filter(has=page.locator(".badge-warn")).first
    stall_code = row.locator("td").first.inner_text().strip()
    row.get_by_role("link", name=re.compile("Đăng ký tại sạp này")).click()
    expect(page.get_by_role("heading", name="Đăng ký tiểu thương")).to_be_visible()

    # The bank is the partner's own and cannot be changed.
    expect(page.locator("#bank-fixed")).to_contain_text("Agribank")
    expect(page.locator("select[name=bank_bin]")).to_have_count(0)
    consent = page.get_by_label("Tiểu thương đã đồng ý cho lưu và xử lý các thông tin trên")
    expect(consent).not_to_be_checked()

    # Typing the name fills the bank-style name in, folded by the server.
    page.get_by_label("Họ tên tiểu thương").press_sequentially(NAME, delay=30)
    expect(page.get_by_label("Tên không dấu (như ngân hàng hiển thị)")).to_have_value("NGUYEN THI BICH THUY")
    # A live check shows a mistake next to its field before anything is sent.
    phone = page.get_by_label("Số điện thoại di động")
    phone.fill("899123456")
    phone.blur()
    expect(page.locator("#phone-error")).to_contain_text("mất số 0")
    phone.fill("0899 123 456")
    phone.blur()
    expect(page.locator("#phone-error")).to_have_count(0)
    page.get_by_label("Số tài khoản").fill("0012 3456 7890")
    page.get_by_label("Ngành hàng").select_option("Trái cây")
    consent.check()
    screenshot(page, "partner-register-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Đăng ký", exact=True).click()
    # The stall has a vendor: the page asks before replacing them, and keeps what was typed.
    expect(page.locator("#occupied")).to_contain_text("đang có tiểu thương")
    expect(page.get_by_label("Họ tên tiểu thương")).to_have_value(NAME)
    page.get_by_label("Thay tiểu thương đang ở sạp này").check()
    page.get_by_role("button", name="Đăng ký", exact=True).click()

    expect(page.locator(".flash-success")).to_contain_text(f"Đã đăng ký {NAME} tại {stall_code}")
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    expect(page.locator("main")).to_contain_text("001234567890")
    screenshot(page, "partner-registered")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
