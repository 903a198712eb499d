"""A failed form says everything that is wrong at the top, each problem a link to its
field, and takes the focus there (on a phone, where the fields are far below)."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_failed_registration_shows_its_error_summary_with_focus(phone_page, sign_in, screenshot):
    page = phone_page
    sign_in(page, "agribank")
    page.goto("/tieu-thuong/dang-ky")
    page.get_by_label("Tìm chợ").fill("kim long")
    page.get_by_role("button", name="Tìm chợ").click()
    page.get_by_role("link", name=re.compile("Chọn chợ này Chợ Kim Long")).click()
    page.get_by_role("link", name=re.compile("Đăng ký tại sạp này")).first.click()
    form = page.locator("#register-form")
    form.get_by_label("Số điện thoại di động").fill("074 123")
    form.locator("button[type=submit]").last.click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_contain_text("chỗ cần sửa")
    links = summary.get_by_role("link")
    assert links.count() >= 2  # every problem at once, not the first only
    phone = summary.get_by_role("link", name=re.compile("^Số điện thoại di động"))
    expect(phone).to_have_attribute("href", "#phone")
    expect(phone).to_contain_text("6 chữ số — số di động cần 10")  # the value's own fault
    screenshot(page, "error-summary")
    phone.click()
    expect(form.get_by_label("Số điện thoại di động")).to_be_focused()
    expect(form.get_by_label("Số điện thoại di động")).to_have_value("074 123")  # kept
