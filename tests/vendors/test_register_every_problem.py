"""The registration form shows every reason it refuses at once (an occupied stall, a phone
and a bank account that are other vendors'), each beside its field and listed in the
summary at the top, with what was typed kept: one submission finds them all."""

from __future__ import annotations

import html as html_text
import re

from market4.markets import services as markets
from tests import factories as f
from tests.vendors.test_views import agribank_vendor, counts, form_data, next_to, signed_in


def summary_links(page: str) -> dict[str, str]:
    """The error summary's items: the field each links to, and its text."""
    start = page.index('class="error-summary"')
    summary = page[start : page.index("</div>", start)]
    return {
        field: html_text.unescape(re.sub(r"\s+", " ", text)).strip()
        for field, text in re.findall(r'<a href="#([\w-]+)">(.*?)</a>', summary, re.S)
    }


def test_an_occupied_stall_a_taken_phone_and_a_taken_account_are_shown_together(
    app, session, world
):
    occupied = f.stall(world.market, "Sạp 9")
    occupant = agribank_vendor(world, occupied, display_name="Lê Thị Hạnh")
    phone_owner = agribank_vendor(world, display_name="Phạm Văn Sáu")
    account_owner = agribank_vendor(world, display_name="Đỗ Thị Lan")
    phone = "0" + phone_owner.vendor.phone_e164[3:]
    number = account_owner.account.account_number
    client = signed_in(app, world.agribank)
    before = counts(session)

    typed = form_data(display_name="Trần Văn Ơn", phone=phone, account_number=number)
    response = client.post(f"/tieu-thuong/dang-ky/{world.market.code}/{occupied.id}", data=typed)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Sạp 9 đang có tiểu thương khác" in next_to(page, "display_name")
    assert "Số điện thoại đã được đăng ký cho tiểu thương khác" in next_to(page, "phone")
    assert "Tài khoản ngân hàng này đã được đăng ký" in next_to(page, "account_number")
    links = summary_links(page)
    assert list(links) == ["display_name", "phone", "account_number"]
    assert "Chưa lưu: 3 chỗ cần sửa" in page
    assert links["phone"].startswith("Số điện thoại di động:") and phone[:4] in links["phone"]
    # Each way out is on the page: tick to keep the phone, open the account's vendor (the
    # branch's own customer), the market board for the stall.
    assert 'name="acknowledge_phone"' in page
    assert f'href="/tieu-thuong/{account_owner.vendor.id}"' in page
    assert 'id="occupied"' in page
    # Nothing typed is lost, nothing is written, and no message names another person.
    for value in ("Trần Văn Ơn", phone, number):
        assert f'value="{value}"' in page
    assert counts(session) == before and markets.current_occupant(occupied) is occupant.vendor
    for other in (phone_owner, account_owner):
        assert other.vendor.display_name not in " ".join(links.values())


def test_once_the_phone_is_acknowledged_the_other_problems_remain(app, session, world):
    occupied = f.stall(world.market, "Sạp 9")
    agribank_vendor(world, occupied, display_name="Lê Thị Hạnh")
    phone_owner = agribank_vendor(world)
    client = signed_in(app, world.agribank)
    typed = form_data(
        display_name="Trần Văn Ơn",
        phone="0" + phone_owner.vendor.phone_e164[3:],
        acknowledge_phone="y",
    )
    page = client.post(
        f"/tieu-thuong/dang-ky/{world.market.code}/{occupied.id}", data=typed
    ).get_data(as_text=True)
    assert list(summary_links(page)) == ["display_name"]
    assert "Số điện thoại đã được đăng ký" in next_to(page, "phone", "warning")
