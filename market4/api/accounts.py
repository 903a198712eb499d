"""``/api/v1/vendors/{id}/accounts``: a vendor's accounts, one by one.

A vendor often has accounts at two or three banks; each bank manages its own. These
endpoints name the account, so a bank never changes or closes another bank's account by
accident (the vendor-level PATCH and DELETE act on the caller's own account). Writes go
through ``vendors.services`` and ``auth.policy``, like the web pages and the import.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from market4.api import new_blueprint
from market4.api.auth import current_user, roles_allowed
from market4.api.idempotency import HEADER_DOC, idempotent
from market4.api.schemas import (
    AccountCreateSchema,
    AccountListSchema,
    AccountSchema,
    AccountUpdateSchema,
    AccountWrittenSchema,
    DeleteArgs,
)
from market4.api.vendors import DEFAULT_CLOSE_REASON, VENDOR_ROLES, account_dict
from market4.auth.models import User
from market4.db import today
from market4.errors import FieldError, NotFound, ValidationFailed
from market4.registry import scope
from market4.registry.vendors import PaymentAccount
from market4.vendors import services
from market4.vocabulary import Role

blp = new_blueprint("accounts", "The accounts of one vendor, each managed by its own bank.")

ID = "int(max=2147483647)"


def _account_of(user: User, vendor_id: int, account_id: int) -> PaymentAccount:
    vendor = scope.get_vendor_or_404(user, vendor_id)
    account = next((a for a in scope.visible_accounts(user, vendor) if a.id == account_id), None)
    if account is None:
        raise NotFound(_l("Không có tài khoản này trong phạm vi của bạn."), code="not_found")
    return account


def _written(
    user: User, account: PaymentAccount, outcome: str, warnings: Any = (), superseded: Any = ()
) -> dict[str, Any]:
    return {
        **account_dict(user, account),
        "outcome": outcome,
        "warnings": [w.as_dict() for w in warnings],
        "superseded_placards": [p.serial for p in superseded],
    }


@blp.route(f"/vendors/<{ID}:vendor_id>/accounts")
@roles_allowed(*VENDOR_ROLES)
@blp.response(200, AccountListSchema)
def list_accounts(vendor_id: int):
    """The vendor's accounts you may see (a bank: its own only)."""
    user = current_user()
    vendor = scope.get_vendor_or_404(user, vendor_id)
    return {
        "items": [account_dict(user, account) for account in scope.visible_accounts(user, vendor)]
    }


@blp.route(f"/vendors/<{ID}:vendor_id>/accounts", methods=["POST"])
@blp.doc(parameters=[HEADER_DOC])
@roles_allowed(Role.BANK_PARTNER, Role.ADMIN)
@idempotent
@blp.arguments(AccountCreateSchema())
@blp.response(201, AccountWrittenSchema)
@blp.alt_response(409, response="CONFLICT")
def add_account(payload: dict[str, Any], vendor_id: int):
    """Add an account at your bank to one of your vendors (201), or update it when the
    number is already theirs (200, ``account_updated`` / ``unchanged``).

    It goes on the placard only when the vendor has no placard account yet. To add an
    account for a stall's current vendor who has none at your bank yet, ``POST /vendors``
    with their stall, name and phone: it is matched to them.
    """
    user = current_user()
    vendor = scope.get_vendor_or_404(user, vendor_id)
    bank_bin = payload.get("bank_bin") or scope.user_bank_bin(user)
    if not bank_bin:
        raise ValidationFailed(
            [FieldError("bank_bin", _l("Cần mã BIN của ngân hàng."), "required")]
        )
    data = services.AccountData(
        bank_bin=bank_bin,
        account_number=payload["account_number"],
        holder_name=payload.get("holder_name"),
        partner_reference=payload.get("partner_reference"),
    )
    result = services.add_account(
        vendor,
        data,
        organisation=user.organisation,
        actor=user,
        channel="api",
        consent_given=payload["consent"],
    )
    status = 201 if result.outcome == services.ACCOUNT_ADDED else 200
    return _written(user, result.account, result.outcome, result.warnings), status


@blp.route(f"/vendors/<{ID}:vendor_id>/accounts/<{ID}:account_id>")
@roles_allowed(*VENDOR_ROLES)
@blp.response(200, AccountSchema)
def get_account(vendor_id: int, account_id: int):
    """One account of the vendor, if you may see it."""
    user = current_user()
    return account_dict(user, _account_of(user, vendor_id, account_id))


@blp.route(f"/vendors/<{ID}:vendor_id>/accounts/<{ID}:account_id>", methods=["PATCH"])
@roles_allowed(Role.BANK_PARTNER, Role.ADMIN)
@blp.arguments(AccountUpdateSchema())
@blp.response(200, AccountWrittenSchema)
@blp.alt_response(409, response="CONFLICT")
def update_account(changes: dict[str, Any], vendor_id: int, account_id: int):
    """Change the bank, number, holder name or reference of one of your accounts.

    A new bank, number or holder name supersedes the printed placards (their serials
    come back in ``superseded_placards``).
    """
    user = current_user()
    account = _account_of(user, vendor_id, account_id)
    result = services.update_registration(
        account, changes, organisation=user.organisation, actor=user, channel="api"
    )
    return _written(
        user,
        account,
        "account_updated" if result.changed else "unchanged",
        result.warnings,
        result.superseded,
    )


@blp.route(f"/vendors/<{ID}:vendor_id>/accounts/<{ID}:account_id>", methods=["DELETE"])
@roles_allowed(Role.BANK_PARTNER, Role.ADMIN)
@blp.arguments(DeleteArgs(), location="query", as_kwargs=True)
@blp.response(204)
@blp.alt_response(409, response="CONFLICT")
def close_account(vendor_id: int, account_id: int, reason: str | None = None):
    """Close one of your accounts: its placards stop being valid."""
    user = current_user()
    account = _account_of(user, vendor_id, account_id)
    services.deactivate_registration(
        account,
        organisation=user.organisation,
        actor=user,
        reason=reason or DEFAULT_CLOSE_REASON,
        channel="api",
        on=today(),
    )
    return None
