"""The admin pages for duplicated vendor records: the list, the preview, the merge."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.placards import services as placards
from market4.registry.vendors import PaymentAccount, Vendor
from tests import factories as f

LIST_URL = "/quan-tri/tieu-thuong-trung"


def merge_url(keep: Vendor, duplicate: Vendor) -> str:
    return f"/quan-tri/tieu-thuong/{keep.id}/gop/{duplicate.id}"


@pytest.fixture
def pair(session):
    """A vendor registered twice at their stall: ``new`` has the posted placard."""
    old = f.registered_vendor(
        f.stall(f.market(name="Chợ Kim Long"), "Sạp 12"), display_name="Nguyễn Thị Đào"
    )
    new = f.registered_again(old)
    placards.mark_posted(
        placards.issue_placard(new.occupancy.stall, new.account, actor=None), actor=None
    )
    return old, new


def state(session) -> tuple:
    session.expire_all()
    return (
        session.scalar(select(func.count(AuditEvent.id))),
        tuple(
            session.execute(
                select(Vendor.id, Vendor.is_active, Vendor.merged_into_id).order_by(Vendor.id)
            )
        ),
        tuple(
            session.execute(
                select(
                    PaymentAccount.id, PaymentAccount.vendor_id, PaymentAccount.is_on_placard
                ).order_by(PaymentAccount.id)
            )
        ),
    )


def test_the_list_shows_groups_with_a_link_to_the_preview(admin_client, pair):
    old, new = pair
    page = admin_client.get(LIST_URL).get_data(as_text=True)
    assert "Tiểu thương trùng" in page and 'aria-current="page"' in page
    assert "Gần như chắc chắn trùng" in page and "Nguyễn Thị Đào" in page
    assert "Sạp 12 · Chợ Kim Long" in page
    # The record with the posted placard is suggested as the one to keep.
    assert f'href="{merge_url(new.vendor, old.vendor)}"' in page
    assert f'href="{merge_url(old.vendor, new.vendor)}"' not in page
    assert f'href="{LIST_URL}"' in admin_client.get("/quan-tri/").get_data(
        as_text=True
    )  # in the menu


def test_an_empty_list_says_so(admin_client):
    assert "Không có hồ sơ tiểu thương nào nghi trùng." in admin_client.get(LIST_URL).get_data(
        as_text=True
    )


def test_the_preview_shows_what_moves_and_offers_the_swap(admin_client, session, pair):
    old, new = pair
    before = state(session)
    response = admin_client.get(merge_url(old.vendor, new.vendor))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (
        f"Giữ lại: hồ sơ #{old.vendor.id}" in page
        and f"Gộp vào và ngừng: hồ sơ #{new.vendor.id}" in page
    )
    assert f'href="{merge_url(new.vendor, old.vendor)}"' in page  # swap
    assert f"…{new.account.last4}" in page and new.account.account_number not in page
    assert "Thành tài khoản thường, không in trên bảng mã" in page
    assert "Cần in (lại) bảng mã cho:" in page and "Sạp 12 · Chợ Kim Long" in page
    assert f'action="{merge_url(old.vendor, new.vendor)}"' in page
    assert state(session) == before

    swapped = admin_client.get(merge_url(new.vendor, old.vendor)).get_data(as_text=True)
    assert "Không cần in lại bảng mã." in swapped and "Vẫn in trên bảng mã" not in swapped


def test_a_pair_that_cannot_be_merged_shows_why_without_a_button(admin_client, pair):
    old, _ = pair
    stranger = f.registered_vendor(display_name="Hoàng Văn Nam")
    page = admin_client.get(merge_url(old.vendor, stranger.vendor)).get_data(as_text=True)
    assert "Không gộp được" in page and "không trùng số điện thoại" in page
    assert "Xác nhận gộp" not in page and 'method="post"' not in page.split('class="admin-nav"')[-1]
    assert admin_client.get(f"/quan-tri/tieu-thuong/{old.vendor.id}/gop/999999").status_code == 404


def test_posting_merges_commits_and_goes_to_the_kept_vendor(admin_client, session, admin, pair):
    old, new = pair
    response = admin_client.post(merge_url(new.vendor, old.vendor))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tieu-thuong/{new.vendor.id}"
    shown = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Đã gộp hồ sơ #{old.vendor.id} vào hồ sơ của Nguyễn Thị Đào." in shown
    session.rollback()  # only what the view committed remains
    session.expire_all()
    assert (old.vendor.is_active, old.vendor.merged_into_id) == (False, new.vendor.id)
    assert old.account.vendor_id == new.vendor.id and not old.account.is_on_placard
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "merge"))
    assert (event.object_id, event.actor_id, event.channel) == (str(new.vendor.id), admin.id, "web")


def test_posting_when_the_placard_changes_warns_about_the_reprint(admin_client, pair):
    old, new = pair
    response = admin_client.post(merge_url(old.vendor, new.vendor), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Bảng mã QR cũ của sạp Sạp 12 không còn đúng — cần in lại và dán bảng mới." in page


def test_a_refused_post_shows_the_reason_and_changes_nothing(admin_client, session, pair):
    old, new = pair
    assert admin_client.post(merge_url(new.vendor, old.vendor)).status_code == 302
    before = state(session)
    response = admin_client.post(merge_url(new.vendor, old.vendor))
    assert response.status_code == 409
    assert "đã được gộp vào hồ sơ" in response.get_data(as_text=True)
    assert admin_client.post(merge_url(new.vendor, new.vendor)).status_code == 422
    assert state(session) == before


def test_the_confirm_form_is_csrf_protected(app, admin_client, session, pair):
    old, new = pair
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = admin_client.get(merge_url(new.vendor, old.vendor)).get_data(as_text=True)
        assert 'name="csrf_token"' in page
        before = state(session)
        assert (
            admin_client.post(merge_url(new.vendor, old.vendor)).status_code == 400
        )  # CSRFProtect
        assert state(session) == before
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("role", ["bank_partner", "market_manager", "area_staff"])
def test_other_roles_are_refused(client, session, make_user, sign_in, pair, role):
    old, new = pair
    organisation = {
        "bank_partner": f.organisation(),
        "market_manager": f.organisation("market_board", bank_bin=None),
        "area_staff": f.organisation("commune_office", bank_bin=None, area=f.commune()),
    }[role]
    user = make_user(f"{role}@example.vn", role, organisation)
    assert sign_in(client, user.email).status_code == 302
    before = state(session)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(merge_url(new.vendor, old.vendor)).status_code == 403
    assert client.post(merge_url(new.vendor, old.vendor)).status_code == 403
    assert state(session) == before
