"""At phone width nothing scrolls sideways: the dashboard's market table and the market
list fold into cards (each cell with its label), as the stall tables already do."""

from __future__ import annotations

import pytest

PAGES = {
    "xangaigiao": ["/tong-quan/", "/cho/"],
    "quanlycho": ["/cho/", "/tong-quan/", "/cho/CD-NGAIGIAO/di-kiem-tra?ds=all"],
    "agribank": ["/tieu-thuong/", "/tong-quan/"],
    "admin": ["/tong-quan/", "/cho/", "/quan-tri/"],
}


# The page wider than the screen, or a box on it that scrolls sideways (a table in a
# scrolling wrapper is still a table to scroll sideways with a thumb).
SIDEWAYS = """
(() => {
  const root = document.documentElement;
  const found = [];
  if (root.scrollWidth > root.clientWidth) found.push(`page +${root.scrollWidth - root.clientWidth}px`);
  for (const box of document.querySelectorAll("body *")) {
    const style = getComputedStyle(box).overflowX;
    if ((style === "auto" || style === "scroll") && box.scrollWidth > box.clientWidth + 1) {
      found.push(`${box.tagName.toLowerCase()}.${box.className} +${box.scrollWidth - box.clientWidth}px`);
    }
  }
  return found.join(", ");
})()
"""


@pytest.mark.parametrize("login", sorted(PAGES))
def test_no_page_scrolls_sideways_on_a_phone(phone_page, sign_in, screenshot, login):
    sign_in(phone_page, login)
    wide = []
    for path in PAGES[login]:
        phone_page.goto(path)
        overflow = phone_page.evaluate(SIDEWAYS)
        if overflow:
            wide.append(f"{path}: {overflow}")
            screenshot(phone_page, f"phone-wide-{login}-{path.strip('/').replace('/', '-')}")
    assert not wide, "\n".join(wide)
