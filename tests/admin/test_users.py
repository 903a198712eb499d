"""Accounts: create (then sign in), roles and scopes, managed markets, reset, deactivate."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from market4.audit.models import AuditEvent
from market4.auth.models import Organisation, User
from market4.registry.markets import Market


@pytest.fixture
def markets(session, areas) -> list[Market]:
    rows = [
        Market(code=code, name=name, commune=areas.ngai_giao)
        for code, name in (
            ("CD-NGAIGIAO", "Chợ Ngãi Giao"),
            ("CD-DEM-NGAIGIAO", "Chợ đêm Ngãi Giao"),
        )
    ]
    session.add_all(rows)
    session.flush()
    return rows


@pytest.fixture
def board(session, areas) -> Organisation:
    organisation = Organisation(
        kind="market_board", name="Ban quản lý chợ Ngãi Giao", area=areas.ngai_giao
    )
    session.add(organisation)
    session.flush()
    return organisation


def events_for(session, user: User, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "User",
                AuditEvent.object_id == str(user.id),
                AuditEvent.action == action,
            )
        )
    )


def test_create_a_user_who_can_then_sign_in(admin_client, session, board, sign_in):
    response = admin_client.post(
        "/quan-tri/tai-khoan/moi",
        data={
            "email": "Hong.Le@Example.vn",
            "name": "Lê Thị Hồng",
            "role": "market_manager",
            "organisation_id": str(board.id),
            "password": "chợ bốn chấm không",
            "confirm": "chợ bốn chấm không",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "hong.le@example.vn"))
    assert response.headers["Location"] == f"/quan-tri/tai-khoan/{user.id}"
    assert user.organisation_id == board.id and user.role == "market_manager"
    assert events_for(session, user, "create")

    admin_client.post("/dang-xuat")
    assert sign_in(admin_client, "hong.le@example.vn", "chợ bốn chấm không").status_code == 302
    assert "Lê Thị Hồng" in admin_client.get("/").get_data(as_text=True)


def test_create_user_errors_are_shown_next_to_the_fields(admin_client, admin, error_next_to):
    page = admin_client.post(
        "/quan-tri/tai-khoan/moi",
        data={
            "email": admin.email,
            "name": "Trùng",
            "role": "bank_partner",
            "organisation_id": "",
            "password": "ngắn",
            "confirm": "khác",
        },
    ).get_data(as_text=True)
    assert error_next_to(page, "password") == "Mật khẩu cần ít nhất 10 ký tự."
    assert error_next_to(page, "confirm") == "Hai mật khẩu không khớp."
    page = admin_client.post(
        "/quan-tri/tai-khoan/moi",
        data={
            "email": admin.email,
            "name": "Trùng",
            "role": "bank_partner",
            "organisation_id": "",
            "password": "đủ mười ký tự",
            "confirm": "đủ mười ký tự",
        },
    ).get_data(as_text=True)
    assert error_next_to(page, "email") == "Email này đã có tài khoản."
    assert (
        error_next_to(page, "organisation_id")
        == "Đối tác ngân hàng phải thuộc một chi nhánh ngân hàng."
    )


def test_edit_a_market_managers_markets(admin_client, session, board, markets, make_user):
    manager = make_user("quanly@example.vn", "market_manager", board, name="Lê Thị Hồng")
    response = admin_client.post(
        f"/quan-tri/tai-khoan/{manager.id}",
        data={
            "name": "Lê Thị Hồng",
            "role": "market_manager",
            "organisation_id": str(board.id),
            "market_ids": [str(markets[0].id), str(markets[1].id)],
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    session.refresh(manager)
    assert {market.code for market in manager.markets} == {"CD-NGAIGIAO", "CD-DEM-NGAIGIAO"}
    [event] = events_for(session, manager, "update")
    assert event.before["markets"] == [] and event.after["markets"] == [
        "CD-DEM-NGAIGIAO",
        "CD-NGAIGIAO",
    ]

    page = admin_client.get(f"/quan-tri/tai-khoan/{manager.id}").get_data(as_text=True)
    checked = re.findall(
        r'<input checked id="market_ids-\d+" name="market_ids" type="checkbox" value="(\d+)"', page
    )
    assert sorted(checked) == sorted(str(market.id) for market in markets)


def test_only_market_managers_get_markets(admin_client, board, markets, make_user, error_next_to):
    staff = make_user("canbo@example.vn", "area_staff", board)
    page = admin_client.post(
        f"/quan-tri/tai-khoan/{staff.id}",
        data={
            "name": staff.name,
            "role": "area_staff",
            "organisation_id": str(board.id),
            "market_ids": [str(markets[0].id)],
            "is_active": "y",
        },
    ).get_data(as_text=True)
    assert error_next_to(page, "market_ids") == "Chỉ tài khoản quản lý chợ mới được giao chợ."


def test_an_admin_cannot_lock_themself_out(admin_client, session, admin, error_next_to):
    form = {
        "name": admin.name,
        "role": "bank_partner",
        "organisation_id": str(admin.organisation_id),
        "is_active": "y",
    }
    page = admin_client.post(f"/quan-tri/tai-khoan/{admin.id}", data=form).get_data(as_text=True)
    assert "Bạn không thể tự bỏ vai trò quản trị của mình." in error_next_to(page, "role")
    page = admin_client.post(
        f"/quan-tri/tai-khoan/{admin.id}", data={**form, "role": "admin", "is_active": ""}
    ).get_data(as_text=True)
    assert "Bạn không thể tự khóa tài khoản của mình." in error_next_to(page, "is_active")
    response = admin_client.post(
        f"/quan-tri/tai-khoan/{admin.id}/trang-thai", data={"active": "0"}, follow_redirects=True
    )
    assert "Bạn không thể tự khóa tài khoản của mình." in response.get_data(as_text=True)
    session.refresh(admin)
    assert admin.role == "admin" and admin.is_active
    assert admin_client.get("/quan-tri/").status_code == 200


def test_deactivate_and_reactivate(admin_client, session, board, make_user, sign_in, client):
    manager = make_user("quanly@example.vn", "market_manager", board)
    response = admin_client.post(
        f"/quan-tri/tai-khoan/{manager.id}/trang-thai", data={"active": "0"}, follow_redirects=True
    )
    assert "Đã khóa tài khoản quanly@example.vn." in response.get_data(as_text=True)
    assert not manager.is_active and session.get(User, manager.id) is not None  # never deleted
    [event] = events_for(session, manager, "deactivate")
    assert event.before == {"is_active": True} and event.after == {"is_active": False}

    admin_client.post(f"/quan-tri/tai-khoan/{manager.id}/trang-thai", data={"active": "1"})
    assert manager.is_active and events_for(session, manager, "activate")


def test_reset_password(admin_client, session, board, make_user, sign_in, error_next_to):
    manager = make_user("quanly@example.vn", "market_manager", board)
    page = admin_client.post(
        f"/quan-tri/tai-khoan/{manager.id}/mat-khau",
        data={"new_password": "ngắn", "confirm": "ngắn"},
    ).get_data(as_text=True)
    assert error_next_to(page, "new_password") == "Mật khẩu cần ít nhất 10 ký tự."
    response = admin_client.post(
        f"/quan-tri/tai-khoan/{manager.id}/mat-khau",
        data={"new_password": "mật khẩu mới tinh", "confirm": "mật khẩu mới tinh"},
    )
    assert response.status_code == 302
    [event] = events_for(session, manager, "reset_password")
    assert manager.password_hash not in str(event.after) + str(event.before)

    admin_client.post("/dang-xuat")
    assert sign_in(admin_client, manager.email, "mật khẩu mới tinh").status_code == 302


def test_list_filters_and_search_ignore_diacritics(admin_client, board, make_user):
    make_user("hong@example.vn", "market_manager", board, name="Lê Thị Hồng")
    make_user("tai@example.vn", "admin", None, name="Phạm Văn Tài")
    page = admin_client.get("/quan-tri/tai-khoan?q=le+thi+hong").get_data(as_text=True)
    assert "hong@example.vn" in page and "tai@example.vn" not in page
    page = admin_client.get("/quan-tri/tai-khoan?role=market_manager").get_data(as_text=True)
    assert "hong@example.vn" in page and "tai@example.vn" not in page
    page = admin_client.get(f"/quan-tri/tai-khoan?organisation={board.id}&active=1").get_data(
        as_text=True
    )
    assert "hong@example.vn" in page and "tai@example.vn" not in page
    page = admin_client.get("/quan-tri/tai-khoan?active=0").get_data(as_text=True)
    assert "hong@example.vn" not in page


def test_the_new_user_form_preselects_no_role(admin_client, error_next_to):
    page = admin_client.get("/quan-tri/tai-khoan/moi").get_data(as_text=True)
    role_select = page[page.index('id="role"') : page.index("</select>", page.index('id="role"'))]
    assert '<option selected value="">— Chọn vai trò —</option>' in role_select
    assert "selected" not in role_select.replace('<option selected value="">', "")
    page = admin_client.post(
        "/quan-tri/tai-khoan/moi",
        data={
            "email": "moi@example.vn",
            "name": "Người mới",
            "role": "",
            "organisation_id": "",
            "password": "đủ mười ký tự",
            "confirm": "đủ mười ký tự",
        },
    ).get_data(as_text=True)
    assert error_next_to(page, "role") == "Chọn vai trò."
