"""Partner-API fixtures: users with tokens, and a client that sends the bearer header."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from market4.api import tokens
from market4.auth.models import User
from tests import factories


@dataclass
class ApiUser:
    """A user, one of their tokens' secret, and the headers to send it."""

    user: User
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture
def make_api_user(app) -> Callable[..., ApiUser]:
    """make_api_user(role, org=None) -> ApiUser with a fresh token."""

    def make(role: str = "bank_partner", org: Any = None) -> ApiUser:
        user = factories.user(role, org=org)
        return ApiUser(
            user=user, secret=tokens.create_token(user, "test", actor=None, channel="cli").secret
        )

    return make


@pytest.fixture
def partner(make_api_user) -> ApiUser:
    """A Vietcombank branch's partner user (no area: every market in scope)."""
    return make_api_user("bank_partner", factories.organisation(bank_bin=factories.VCB))


@pytest.fixture
def other_partner(make_api_user) -> ApiUser:
    """A partner at another bank (Agribank)."""
    return make_api_user("bank_partner", factories.organisation(bank_bin=factories.AGRIBANK))


@pytest.fixture
def stall():
    return factories.stall()


@pytest.fixture
def staff_for(make_api_user) -> Callable[..., ApiUser]:
    """staff_for(area) -> an area_staff user of a commune or province office."""

    def make(area: Any) -> ApiUser:
        kind = "commune_office" if area.level == "commune" else "province_office"
        return make_api_user(
            "area_staff", factories.organisation(kind=kind, bank_bin=None, area=area)
        )

    return make


@pytest.fixture
def body_for() -> Callable[..., dict[str, Any]]:
    """body_for(stall, **overrides) -> a valid POST /api/v1/vendors body at Vietcombank."""

    def make(stall: Any, **overrides: Any) -> dict[str, Any]:
        body = {
            "market_code": stall.market.code,
            "stall_code": stall.code,
            "display_name": "Nguyễn Thị Đào",
            "phone": factories.phone(),
            "bank_bin": factories.VCB,
            "consent": True,
        }
        body.update(overrides)
        body.setdefault("account_number", factories.account_number(body["bank_bin"]))
        return body

    return make
