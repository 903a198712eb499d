"""Creating and correcting markets. Flush only; every change is audited."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market4.areas.lookup import unit_key
from market4.areas.models import SCHEME_2008, SCHEME_2025, AdminUnit
from market4.audit import services as audit
from market4.auth.models import User
from market4.domain.text import nfc
from market4.errors import Duplicate, FieldError, ValidationFailed
from market4.extensions import db
from market4.registry.markets import MARKET_CLASSES, MARKET_KINDS, Market

logger = logging.getLogger(__name__)

# Upper-case ASCII letters and digits in dash-separated groups: safe in a URL, a file
# name and an Excel cell, e.g. "CD-NGAIGIAO".
MARKET_CODE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
MARKET_CODE_MAX = 40


@dataclass(frozen=True)
class MarketData:
    code: str
    name: str
    kind: str
    commune: AdminUnit | None
    market_class: int | None = None
    address: str | None = None
    legacy_district: AdminUnit | None = None
    programme_joined_on: date | None = None


def normalise_code(code: str) -> str:
    """What people type ("cd-ngaigiao ") as stored ("CD-NGAIGIAO")."""
    return code.strip().upper()


def market_snapshot(market: Market) -> dict[str, Any]:
    def area(unit: AdminUnit | None) -> str | None:
        return f"{unit.full_name} ({unit_key(unit)})" if unit else None

    return {
        "code": market.code,
        "name": market.name,
        "kind": market.kind,
        "market_class": market.market_class,
        "address": market.address,
        "commune": area(market.commune),
        "legacy_district": area(market.legacy_district),
        "programme_joined_on": market.programme_joined_on.isoformat()
        if market.programme_joined_on
        else None,
    }


def _check(data: MarketData, existing: Market | None) -> None:
    errors = []
    code = normalise_code(data.code)
    if not code:
        errors.append(FieldError("code", _l("Vui lòng nhập mã chợ."), "required"))
    elif len(code) > MARKET_CODE_MAX or not MARKET_CODE.match(code):
        errors.append(
            FieldError(
                "code",
                _l(
                    "Mã chợ chỉ gồm chữ in hoa không dấu, chữ số và dấu gạch ngang "
                    "(ví dụ CD-NGAIGIAO), tối đa %(n)d ký tự.",
                    n=MARKET_CODE_MAX,
                ),
                "invalid_code",
            )
        )
    if not nfc(data.name).strip():
        errors.append(FieldError("name", _l("Vui lòng nhập tên chợ."), "required"))
    if data.kind not in MARKET_KINDS:
        errors.append(FieldError("kind", _l("Loại chợ không hợp lệ."), "invalid_kind"))
    if data.market_class is not None and data.market_class not in MARKET_CLASSES:
        errors.append(
            FieldError("market_class", _l("Hạng chợ phải là 1, 2 hoặc 3."), "invalid_class")
        )
    commune = data.commune
    if commune is None or (commune.scheme, commune.level) != (SCHEME_2025, "commune"):
        errors.append(
            FieldError(
                "commune", _l("Chọn một xã/phường/đặc khu theo địa giới 2025."), "commune_required"
            )
        )
    district = data.legacy_district
    if district is not None and (district.scheme, district.level) != (SCHEME_2008, "district"):
        errors.append(
            FieldError(
                "legacy_district",
                _l("Huyện cũ phải là một quận/huyện theo địa giới trước 01/07/2025."),
                "invalid_district",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    taken = db.session.scalar(select(Market.id).where(func.upper(Market.code) == code))
    if taken is not None and (existing is None or taken != existing.id):
        raise Duplicate(
            _l("Mã chợ %(code)s đã được dùng.", code=code),
            field="code",
            object_type="Market",
            object_ids=[taken],
            code="duplicate_code",
        )


def _apply(market: Market, data: MarketData) -> None:
    market.code = normalise_code(data.code)
    market.name = nfc(data.name).strip()
    market.kind = data.kind
    market.market_class = data.market_class
    market.address = nfc(data.address or "").strip() or None
    market.commune = data.commune
    market.legacy_district = data.legacy_district
    market.programme_joined_on = data.programme_joined_on


def create_market(data: MarketData, *, actor: User, channel: str = "web") -> Market:
    """A new market; raises ValidationFailed, or Duplicate when the code is taken."""
    _check(data, None)
    market = Market()
    _apply(market, data)
    db.session.add(market)
    db.session.flush()
    audit.record("create", market, actor=actor, channel=channel, after=market_snapshot(market))
    logger.info("Market %r created by %r", market, actor)
    return market


def update_market(market: Market, data: MarketData, *, actor: User, channel: str = "web") -> Market:
    _check(data, market)
    before = market_snapshot(market)
    _apply(market, data)
    db.session.flush()
    after = market_snapshot(market)
    if after != before:
        audit.record("update", market, actor=actor, channel=channel, before=before, after=after)
    return market
