"""The main menu each role sees; entries appear once their pages are registered."""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market4.vocabulary import Role

# (endpoint, label, roles that see it)
MENU = (
    (
        "dashboard.index",
        _l("Tổng quan"),
        {Role.ADMIN, Role.AREA_STAFF, Role.MARKET_MANAGER, Role.BANK_PARTNER},
    ),
    (
        "markets.index",
        _l("Chợ và sạp"),
        {Role.ADMIN, Role.MARKET_MANAGER, Role.BANK_PARTNER, Role.AREA_STAFF},
    ),
    ("vendors.index", _l("Tiểu thương"), {Role.ADMIN, Role.BANK_PARTNER, Role.MARKET_MANAGER}),
    ("imports.index", _l("Nhập từ Excel"), {Role.ADMIN, Role.BANK_PARTNER}),
    ("activity.index", _l("Báo cáo QR"), {Role.ADMIN, Role.BANK_PARTNER}),
    (
        "tokens.index",
        _l("Khóa API"),
        {Role.BANK_PARTNER, Role.ADMIN, Role.AREA_STAFF, Role.MARKET_MANAGER},
    ),
    ("admin.index", _l("Quản trị"), {Role.ADMIN}),
)


# Where each role works: the page it lands on after signing in.
HOME_BY_ROLE = {
    Role.ADMIN: "dashboard.index",
    Role.AREA_STAFF: "dashboard.index",
    Role.MARKET_MANAGER: "markets.index",
    Role.BANK_PARTNER: "vendors.index",
}


def home_for(user: object) -> str:
    """The URL of the page ``user`` works on (the home page when its feature is off)."""
    endpoint = HOME_BY_ROLE.get(getattr(user, "role", None), "home.index")
    if endpoint not in current_app.view_functions:
        endpoint = "home.index"
    return url_for(endpoint)


def menu() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [
        (url_for(endpoint), str(label))
        for endpoint, label, roles in MENU
        if current_user.role in roles and endpoint in current_app.view_functions
    ]


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"main_menu": menu, "home_for": home_for})
