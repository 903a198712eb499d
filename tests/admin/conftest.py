"""Fixtures for the admin area: a signed-in admin, a few real administrative units, banks.

Most tests need only Thành phố Hồ Chí Minh (2025) and Bà Rịa - Vũng Tàu (2008), loaded
from the shipped data (~0.3 s); the full demo district is seeded only where a test
needs every demo role. Helpers are fixtures, not imports, so test modules never depend
on this conftest's module name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from market4.areas import services as area_services
from market4.areas.models import AdminUnit
from market4.auth.models import Organisation, User
from market4.auth.services import create_user
from market4.banks.services import sync_banks

PASSWORD = "mật khẩu đủ dài"


@dataclass(frozen=True)
class Areas:
    ngai_giao: AdminUnit  # 2025 xã Ngãi Giao (code 26575), Thành phố Hồ Chí Minh
    ho_chi_minh: AdminUnit  # 2025 province 79
    chau_duc: AdminUnit  # 2008 huyện Châu Đức (code 750), Bà Rịa - Vũng Tàu
    ngai_giao_2008: AdminUnit  # 2008 thị trấn Ngãi Giao: same code 26575, another scheme


@pytest.fixture
def areas(session) -> Areas:
    area_services.load_provinces({"2025": {"79"}, "2008": {"77"}})
    find = area_services.find_unit
    return Areas(
        find("2025", "commune", "26575"),
        find("2025", "province", "79"),
        find("2008", "district", "750"),
        find("2008", "commune", "26575"),
    )


@pytest.fixture
def banks(session) -> None:
    sync_banks()


def _sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/dang-nhap", data={"email": email, "password": password})


def _make_user(
    email: str,
    role: str = "admin",
    organisation: Organisation | None = None,
    name: str = "Người dùng thử",
) -> User:
    return create_user(
        email=email, name=name, role=role, password=PASSWORD, organisation=organisation
    )


@pytest.fixture
def sign_in():
    """``sign_in(client, email, password=PASSWORD)`` → the sign-in response."""
    return _sign_in


@pytest.fixture
def make_user(session):
    """``make_user(email, role="admin", organisation=None, name=…)`` with password PASSWORD."""
    return _make_user


@pytest.fixture
def admin(session) -> User:
    operator = Organisation(kind="operator", name="Vận hành market4")
    session.add(operator)
    session.flush()
    return _make_user("quantri@example.vn", "admin", operator, name="Trần Quản Trị")


@pytest.fixture
def admin_client(client, admin):
    assert _sign_in(client, admin.email).status_code == 302
    return client


@pytest.fixture
def error_next_to():
    """``error_next_to(page, field_id)`` → the error text shown beside that field."""
    return _error_next_to


def _error_next_to(page: str, field_id: str) -> str:
    """The error text rendered for ``field_id`` by macros/forms.html (or the area picker)."""
    marker = f'id="{field_id}-error">'
    assert marker in page, f"no error shown next to {field_id}"
    start = page.index(marker) + len(marker)
    return page[start : page.index("</p>", start)]
