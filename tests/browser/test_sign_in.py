"""Sign-in and the language switch in a real browser, on a laptop and on a phone."""

from __future__ import annotations


def test_home_then_sign_in_as_each_role(page, sign_in, screenshot):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    screenshot(page, "home-signed-out")
    sign_in(page, "xangaigiao")
    assert page.get_by_role("button", name="Đăng xuất").is_visible()
    page.get_by_role("button", name="Đăng xuất").click()
    assert page.get_by_role("link", name="Đăng nhập").first.is_visible()


def test_wrong_password_shows_the_error_next_to_the_field(page, screenshot):
    page.goto("/dang-nhap")
    page.get_by_label("Email").fill("nobody@demo.market4.vn")
    page.get_by_label("Mật khẩu").fill("wrong password")
    page.get_by_role("button", name="Đăng nhập").click()
    error = page.locator("#password-error")
    assert "Email hoặc mật khẩu không đúng." in error.inner_text()
    screenshot(page, "sign-in-error")


def test_phone_layout_and_english_switch(phone_page, screenshot):
    phone_page.goto("/")
    screenshot(phone_page, "home-phone")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the home page must not scroll sideways on a phone"
    phone_page.get_by_role("button", name="English").click()
    assert phone_page.locator("html").get_attribute("lang") == "en"
