"""What the admin changes: organisations, accounts and the bank table.

Every function flushes, never commits, writes an audit event with the values before
and after, and raises :class:`~market4.errors.ValidationFailed` with Vietnamese
messages per field. Markets live in :mod:`market4.admin.market_services`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market4.areas.lookup import unit_key
from market4.areas.models import SCHEME_2008, SCHEME_2025, AdminUnit
from market4.audit import services as audit
from market4.auth import sessions
from market4.auth.models import ORGANISATION_KINDS, ROLES, Organisation, User
from market4.auth.services import check_new_password
from market4.banks.models import Bank
from market4.banks.services import sync_banks
from market4.domain.text import nfc
from market4.errors import FieldError, Text, ValidationFailed
from market4.extensions import db
from market4.registry.markets import Market
from market4.vocabulary import OrganisationKind, Role

logger = logging.getLogger(__name__)

# Which administrative units each kind of organisation may cover. Offices watch exactly
# one level; a branch or a market board may name any unit that scopes markets (a 2008
# commune cannot: market reports never roll up by pre-2025 commune).
_SCOPING_LEVELS = frozenset(
    {
        (SCHEME_2025, "province"),
        (SCHEME_2025, "commune"),
        (SCHEME_2008, "province"),
        (SCHEME_2008, "district"),
    }
)
AREA_LEVELS_BY_KIND: dict[str, frozenset[tuple[str, str]]] = {
    "commune_office": frozenset({(SCHEME_2025, "commune")}),
    "district_office": frozenset({(SCHEME_2008, "district")}),
    "province_office": frozenset({(SCHEME_2025, "province")}),
    "bank_branch": _SCOPING_LEVELS,
    "market_board": _SCOPING_LEVELS,
    "operator": frozenset(),
}
AREA_REQUIRED_KINDS = frozenset({"commune_office", "district_office", "province_office"})


@dataclass(frozen=True)
class OrganisationData:
    kind: str
    name: str
    bank_bin: str | None = None
    area: AdminUnit | None = None


def organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    """The audited fields, readable in the log without looking ids up."""
    area = organisation.area
    return {
        "kind": organisation.kind,
        "name": organisation.name,
        "bank_bin": organisation.bank_bin,
        "area": f"{area.full_name} ({unit_key(area)})" if area else None,
    }


def _area_message(kind: str) -> Text:
    return {
        "commune_office": _l("UBND xã/phường phải gắn với một xã/phường theo địa giới 2025."),
        "district_office": _l(
            "Phòng ban cấp huyện phải gắn với một huyện theo địa giới trước 01/07/2025."
        ),
        "province_office": _l("Sở/UBND tỉnh phải gắn với một tỉnh/thành phố theo địa giới 2025."),
        "operator": _l("Đơn vị vận hành không gắn với địa bàn."),
    }.get(kind, _l("Địa bàn phải là tỉnh, xã/phường (2025) hoặc tỉnh, huyện (trước 01/07/2025)."))


def _check_organisation(data: OrganisationData, existing: Organisation | None) -> None:
    errors = []
    if data.kind not in ORGANISATION_KINDS:
        errors.append(FieldError("kind", _l("Loại đơn vị không hợp lệ."), "invalid_kind"))
    if not data.name.strip():
        errors.append(FieldError("name", _l("Vui lòng nhập tên đơn vị."), "required"))
    if data.kind == OrganisationKind.BANK_BRANCH:
        if not data.bank_bin:
            errors.append(
                FieldError(
                    "bank_bin", _l("Chi nhánh ngân hàng phải chọn ngân hàng."), "bank_required"
                )
            )
        elif db.session.get(Bank, data.bank_bin) is None:
            errors.append(
                FieldError("bank_bin", _l("Không có ngân hàng với BIN này."), "unknown_bank")
            )
    elif data.bank_bin:
        errors.append(
            FieldError(
                "bank_bin", _l("Chỉ chi nhánh ngân hàng mới chọn ngân hàng."), "bank_forbidden"
            )
        )
    if data.area is None:
        if data.kind in AREA_REQUIRED_KINDS:
            errors.append(FieldError("area", _area_message(data.kind), "area_required"))
    elif (data.area.scheme, data.area.level) not in AREA_LEVELS_BY_KIND.get(data.kind, ()):
        errors.append(FieldError("area", _area_message(data.kind), "area_level"))
    if existing is not None:
        errors.extend(_members_still_fit(existing, data))
    if errors:
        raise ValidationFailed(errors)


def _members_still_fit(organisation: Organisation, data: OrganisationData) -> list[FieldError]:
    """A change may not strand users: bank partners need a bank, area staff an area."""
    roles = {user.role for user in organisation.users}
    errors = []
    if Role.BANK_PARTNER in roles and (
        data.kind != OrganisationKind.BANK_BRANCH or not data.bank_bin
    ):
        errors.append(
            FieldError(
                "bank_bin",
                _l("Đơn vị còn tài khoản đối tác ngân hàng nên phải giữ ngân hàng."),
                "members_need_bank",
            )
        )
    if Role.AREA_STAFF in roles and data.area is None:
        errors.append(
            FieldError(
                "area",
                _l("Đơn vị còn tài khoản cán bộ địa phương nên phải có địa bàn."),
                "members_need_area",
            )
        )
    return errors


def create_organisation(
    data: OrganisationData, *, actor: User | None, channel: str = "web"
) -> Organisation:
    _check_organisation(data, None)
    organisation = Organisation(
        kind=data.kind, name=nfc(data.name).strip(), bank_bin=data.bank_bin or None, area=data.area
    )
    db.session.add(organisation)
    db.session.flush()
    audit.record(
        "create",
        organisation,
        actor=actor,
        channel=channel,
        after=organisation_snapshot(organisation),
    )
    logger.info("Organisation %r created by %r", organisation, actor)
    return organisation


def update_organisation(
    organisation: Organisation, data: OrganisationData, *, actor: User, channel: str = "web"
) -> Organisation:
    _check_organisation(data, organisation)
    before = organisation_snapshot(organisation)
    organisation.kind = data.kind
    organisation.name = nfc(data.name).strip()
    organisation.bank_bin = data.bank_bin or None
    organisation.area = data.area
    db.session.flush()
    after = organisation_snapshot(organisation)
    if after != before:
        audit.record(
            "update", organisation, actor=actor, channel=channel, before=before, after=after
        )
    return organisation


# --- users ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserChanges:
    name: str
    role: str
    organisation: Organisation | None
    markets: Sequence[Market] = ()
    is_active: bool = True


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role,
        "organisation_id": user.organisation_id,
        "organisation": user.organisation.name if user.organisation else None,
        "markets": sorted(market.code for market in user.markets),
        "is_active": user.is_active,
    }


def _check_user(user: User, changes: UserChanges, actor: User) -> None:
    errors = []
    if not changes.name.strip():
        errors.append(FieldError("name", _l("Vui lòng nhập họ tên."), "required"))
    if changes.role not in ROLES:
        errors.append(FieldError("role", _l("Vai trò không hợp lệ."), "invalid_role"))
    organisation = changes.organisation
    if changes.role == Role.BANK_PARTNER and (
        organisation is None or organisation.bank_bin is None
    ):
        errors.append(
            FieldError(
                "organisation",
                _l("Đối tác ngân hàng phải thuộc một chi nhánh ngân hàng."),
                "organisation_required",
            )
        )
    if changes.role == Role.AREA_STAFF and (organisation is None or organisation.area_id is None):
        errors.append(
            FieldError(
                "organisation",
                _l("Cán bộ địa phương phải thuộc một đơn vị có địa bàn."),
                "organisation_required",
            )
        )
    if changes.markets and changes.role != Role.MARKET_MANAGER:
        errors.append(
            FieldError(
                "markets", _l("Chỉ tài khoản quản lý chợ mới được giao chợ."), "markets_forbidden"
            )
        )
    # The admin editing themself must keep a way back in.
    if user.id == actor.id and changes.role != Role.ADMIN:
        errors.append(
            FieldError("role", _l("Bạn không thể tự bỏ vai trò quản trị của mình."), "self_lockout")
        )
    if user.id == actor.id and not changes.is_active:
        errors.append(
            FieldError("is_active", _l("Bạn không thể tự khóa tài khoản của mình."), "self_lockout")
        )
    if errors:
        raise ValidationFailed(errors)


def update_user(user: User, changes: UserChanges, *, actor: User, channel: str = "web") -> User:
    """Change a user's name, role, organisation, managed markets and active flag."""
    _check_user(user, changes, actor)
    before = user_snapshot(user)
    user.name = nfc(changes.name).strip()
    user.role = changes.role
    user.organisation = changes.organisation
    user.markets = list(changes.markets) if changes.role == Role.MARKET_MANAGER else []
    user.is_active = changes.is_active
    db.session.flush()
    after = user_snapshot(user)
    if after != before:
        audit.record("update", user, actor=actor, channel=channel, before=before, after=after)
    if before["is_active"] and not user.is_active:
        sessions.revoke_all(user, reason="deactivated", actor=actor, channel=channel)
    return user


def set_user_active(user: User, active: bool, *, actor: User, channel: str = "web") -> User:
    """Deactivate (never delete: audit events point at users) or reactivate an account."""
    if user.id == actor.id and not active:
        raise ValidationFailed(
            [
                FieldError(
                    "is_active", _l("Bạn không thể tự khóa tài khoản của mình."), "self_lockout"
                )
            ]
        )
    if user.is_active != active:
        user.is_active = active
        db.session.flush()
        audit.record(
            "activate" if active else "deactivate",
            user,
            actor=actor,
            channel=channel,
            before={"is_active": not active},
            after={"is_active": active},
        )
        if not active:
            sessions.revoke_all(user, reason="deactivated", actor=actor, channel=channel)
    return user


def reset_password(user: User, new_password: str, *, actor: User, channel: str = "web") -> None:
    """Set a password the admin hands over; the hash itself never enters the log."""
    check_new_password(new_password)
    user.password_hash = generate_password_hash(new_password)
    db.session.flush()
    # A flag, not text: the log renders it in the reader's language.
    audit.record(
        "reset_password",
        user,
        actor=actor,
        channel=channel,
        before={"password_reset": False},
        after={"password_reset": True},
    )
    # Whoever held the old password may be signed in with it: their sessions end here.
    sessions.revoke_all(user, reason="password_reset", actor=actor, channel=channel)


# --- banks ------------------------------------------------------------------------------


def _bank_snapshot(bank: Bank) -> dict[str, Any]:
    return {
        "code": bank.code,
        "short_name": bank.short_name,
        "name": bank.name,
        "vietqr_status": bank.vietqr_status,
        "is_wallet": bank.is_wallet,
    }


def sync_bank_directory(*, actor: User, channel: str = "web") -> tuple[int, int]:
    """Copy ``market4/data/banks.csv`` into the table; one audit event per changed BIN."""
    before = {bank.bin: _bank_snapshot(bank) for bank in db.session.scalars(select(Bank))}
    added, updated = sync_banks()
    for bank in db.session.scalars(select(Bank).order_by(Bank.bin)):
        after = _bank_snapshot(bank)
        if bank.bin not in before:
            audit.record("create", bank, actor=actor, channel=channel, after=after)
        elif before[bank.bin] != after:
            audit.record(
                "update", bank, actor=actor, channel=channel, before=before[bank.bin], after=after
            )
    db.session.flush()
    logger.info("Bank directory synced by %r: %d added, %d updated", actor, added, updated)
    return added, updated
