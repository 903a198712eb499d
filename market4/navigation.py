"""The main menu each role sees; entries appear once their pages are registered."""

from __future__ import annotations

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# (endpoint, label, roles that see it)
MENU = (
    ("dashboard.index", _l("Tổng quan"), {"admin", "area_staff", "market_manager", "bank_partner"}),
    ("markets.index", _l("Chợ và sạp"), {"admin", "market_manager", "bank_partner", "area_staff"}),
    ("vendors.index", _l("Tiểu thương"), {"admin", "bank_partner", "market_manager"}),
    ("imports.index", _l("Nhập từ Excel"), {"admin", "bank_partner"}),
    ("tokens.index", _l("Khóa API"), {"bank_partner", "admin", "area_staff", "market_manager"}),
    ("admin.index", _l("Quản trị"), {"admin"}),
)


def menu() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [
        (url_for(endpoint), str(label))
        for endpoint, label, roles in MENU
        if current_user.role in roles and endpoint in current_app.view_functions
    ]


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"main_menu": menu})
