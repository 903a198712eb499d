"""The Agribank partner signs up the vendor trading at a stall, on a phone, through the
real pages.

The demo district has no vacant stall: as in real markets, the partner adds an account
for the vendor already at the stall. A different person is refused without naming anyone
(only the market board changes who trades there), then the vendor's own name and phone
add the account to their record. It picks a stall that is not accepting QR payments, so
the district's acceptance figures other browser tests may check stay as they were.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from market4.extensions import db
from market4.registry.markets import Market, Stall
from market4.registry.stalls import current_occupant

NAME = "Nguyễn Thị Bích Thủy"


def occupant_of(live_app, market_code: str, stall_code: str):
    """The vendor at the stall, as the partner learns it from the person in front of them."""
    with live_app.app_context():
        stall = db.session.scalar(
            select(Stall).join(Market).where(Market.code == market_code, Stall.code == stall_code)
        )
        vendor = current_occupant(stall)
        return vendor.display_name, "0" + vendor.phone_e164[3:]


def test_partner_adds_the_account_of_the_vendor_at_a_stall(
    phone_page, sign_in, screenshot, live_app
):
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
    expect(
        page.get_by_role("heading", name="Thêm tài khoản cho tiểu thương đang ở sạp")
    ).to_be_visible()
    name, phone_number = occupant_of(live_app, "CD-KIMLONG", stall_code)

    # The bank is the partner's own and cannot be changed.
    expect(page.locator("#bank-fixed")).to_contain_text("Agribank")
    expect(page.locator("select[name=bank_bin]")).to_have_count(0)
    consent = page.get_by_label("Tiểu thương đã đồng ý cho lưu và xử lý các thông tin trên")
    expect(consent).not_to_be_checked()

    # Typing the name fills the bank-style name in, folded by the server.
    page.get_by_label("Họ tên tiểu thương").press_sequentially(NAME, delay=30)
    expect(page.get_by_label("Tên không dấu (như ngân hàng hiển thị)")).to_have_value(
        "NGUYEN THI BICH THUY"
    )
    # A live check shows a mistake next to its field before anything is sent.
    phone = page.get_by_label("Số điện thoại di động")
    phone.fill("899123456")
    phone.blur()
    expect(page.locator("#phone-error")).to_contain_text("mất số 0")
    phone.fill("0899 123 456")
    phone.blur()
    expect(page.locator("#phone-error")).to_have_count(0)
    # Agribank's own rule: digits only, 13 of them.
    account = page.get_by_label("Số tài khoản")
    account.fill("12345ABC678")
    account.blur()
    expect(page.locator("#account_number-error")).to_contain_text("chỉ gồm chữ số")
    account.fill("0012 3456 78901")
    account.blur()
    expect(page.locator("#account_number-error")).to_have_count(0)
    page.get_by_label("Ngành hàng").select_option("Trái cây")
    consent.check()
    screenshot(page, "partner-register-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Thêm tài khoản", exact=True).click()
    # Someone else than the vendor at the stall: refused, nobody named, nobody evicted;
    # what was typed is kept, and the way out is a request to the market board.
    expect(page.locator("#occupied")).to_contain_text("không khớp")
    expect(page.get_by_label("Họ tên tiểu thương")).to_have_value(NAME)
    expect(page.get_by_label("Thay tiểu thương đang ở sạp này")).to_have_count(0)
    expect(page.get_by_role("button", name="Gửi đề nghị cho ban quản lý chợ")).to_be_visible()

    page.get_by_label("Họ tên tiểu thương").fill(name)
    page.get_by_label("Số điện thoại di động").fill(phone_number)
    page.get_by_label("Tên không dấu (như ngân hàng hiển thị)").fill("")
    page.get_by_role("button", name="Thêm tài khoản", exact=True).click()

    expect(page.locator(".flash-success")).to_contain_text(f"Đã thêm tài khoản cho {name}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("main")).to_contain_text("0012345678901")
    screenshot(page, "partner-registered")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
