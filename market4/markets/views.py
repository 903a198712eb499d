"""Markets and stalls (/cho): the lists everyone in scope reads, and the market manager's
stall management, vendor assignment, verification visits and printing forms.

Reads admit every role that has markets in scope (``scope.markets_query``); writes admit
admins and market managers, and ``scope.get_market_or_404`` answers 404 for a market
outside the manager's list, so ids cannot be probed. Each write parses a form, calls one
``markets.services`` function, commits once and redirects; a refusal re-renders the page
with the service's Vietnamese message next to the form that caused it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market4 import unit_of_work
from market4.auth.access import role_required
from market4.dashboard.queries import figures_for_markets
from market4.db import today
from market4.errors import DomainError
from market4.extensions import db
from market4.markets import forms, queries, services
from market4.markets import requests as stall_requests
from market4.paging import STALLS_PER_PAGE, paginate
from market4.parsing import ascii_int
from market4.placards import services as placard_services
from market4.registry import activity, policy, scope
from market4.registry.markets import (
    ACCEPTING,
    MARKET_KINDS,
    Market,
    Stall,
    StallRequest,
)
from market4.registry.policy import Action
from market4.registry.vendors import PaymentAccount, Vendor
from market4.vocabulary import OUTCOME_LABELS, Role, StallStatus
from market4.vocabulary import PLACARD_STATUS_LABELS as PLACARD_LABELS
from market4.vocabulary import STALL_STATUS_LABELS as STATUS_LABELS
from market4.vocabulary import STATUS_REASON_LABELS as REASON_LABELS

bp = Blueprint("markets", __name__, url_prefix="/cho")

READERS = (Role.ADMIN, Role.MARKET_MANAGER, Role.BANK_PARTNER, Role.AREA_STAFF)
WRITERS = (Role.ADMIN, Role.MARKET_MANAGER)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "MARKET_KINDS": MARKET_KINDS,
        "STATUS_LABELS": STATUS_LABELS,
        "REASON_LABELS": REASON_LABELS,
        "PLACARD_LABELS": PLACARD_LABELS,
        "VISIT_LABELS": OUTCOME_LABELS,
        "account_label": account_label,
        "account_number_shown": account_number_shown,
        "phone_display": phone_display,
        "can_manage": can_manage,
        "REVOKE_REASONS": forms.REVOKE_REASONS,
    }


def can_manage() -> bool:
    return current_user.is_authenticated and current_user.role in WRITERS


def account_label(account: PaymentAccount | None) -> str | None:
    """What the viewer may read about a placard account: "Agribank ··5678", the bank only
    (area staff), or None (a bank partner looking at another bank's account)."""
    if account is None:
        return None
    bank = account.bank.short_name if account.bank else account.bank_bin
    if current_user.role in WRITERS or scope.can_see_account_number(current_user, account):
        return f"{bank} …{account.last4}"
    if current_user.role == Role.AREA_STAFF:
        return bank
    return None


def account_number_shown(account: PaymentAccount) -> str | None:
    """The full number for admins and the account's own bank, "…5678" for managers."""
    if scope.can_see_account_number(current_user, account):
        return account.account_number
    if current_user.role == Role.MARKET_MANAGER:
        return f"…{account.last4}"
    return None


def phone_display(phone_e164: str | None) -> str:
    """ "+84912345678" → "0912 345 678", the way vendors write their numbers."""
    if not phone_e164:
        return ""
    if phone_e164.startswith("+84") and len(phone_e164) == 12:
        national = "0" + phone_e164[3:]
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return phone_e164


def visible_vendor_ids(vendors: list[Vendor]) -> set[int]:
    """Which of ``vendors`` the viewer may name (a bank partner: their bank's customers)."""
    ids = {vendor.id for vendor in vendors}
    if not ids:
        return set()
    query = scope.vendors_query(current_user).with_only_columns(Vendor.id).where(Vendor.id.in_(ids))
    return set(db.session.scalars(query))


# --- reading ---------------------------------------------------------------------------


@bp.get("/")
@role_required(*READERS)
def index():
    search = forms.MarketSearchForm(request.args)
    markets_query = queries.search_markets(scope.markets_query(current_user), search.q.data or "")
    figures = figures_for_markets(markets_query)
    markets = queries.markets_with_communes(markets_query)
    return render_template(
        "markets/index.html",
        search=search,
        figures=figures,
        markets=markets,
    )


@bp.get("/<code>")
@role_required(*READERS)
def show(code: str):
    market = scope.get_market_or_404(current_user, code)
    rows = queries.stall_rows(market)
    filters = forms.StallFilterForm(request.args, stalls=[row.stall for row in rows])
    named = visible_vendor_ids([row.vendor for row in rows if row.vendor])
    shown = (
        _filter_rows(rows, filters, named) if filters.validate() else [r for r in rows if r.is_open]
    )
    page = paginate(shown, ascii_int(request.args.get("trang")), STALLS_PER_PAGE)
    [figures] = figures_for_markets(select(Market).where(Market.id == market.id)).markets
    return render_template(
        "markets/show.html",
        market=market,
        rows=page.items,
        page=page,
        figures=figures,
        filters=filters,
        named=named,
        reprint_count=sum(row.needs_reprint for row in rows),
        visit_count=sum(row.needs_visit for row in rows if row.is_open),
    )


def _filter_rows(
    rows: list[queries.StallRow], filters: forms.StallFilterForm, named: set[int]
) -> list[queries.StallRow]:
    status = filters.status.data
    kept = []
    for row in rows:
        if (status == "closed") == row.is_open:
            continue
        if (
            status in (ACCEPTING, StallStatus.NOT_ACCEPTING)
            and (row.status or "not_accepting") != status
        ):
            continue
        if (status == "reprint" and not row.needs_reprint) or (status == "vacant" and row.vendor):
            continue
        if status == "visit" and not row.needs_visit:
            continue
        if filters.keeps(
            row.stall, row.vendor.display_name if row.vendor and row.vendor.id in named else ""
        ):
            kept.append(row)
    return kept


@bp.get("/<code>/sap/<int:stall_id>")
@role_required(*READERS)
def stall(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    return _stall_page(market, scope.get_stall_or_404(current_user, market, stall_id))


def _stall_page(market: Market, stall: Stall, status: int = 200, **overrides: Any):
    """The stall page; ``overrides`` replace a default form (with its errors) or add context."""
    vendor = services.current_occupant(stall)
    accounts = scope.visible_accounts(current_user, vendor) if vendor else []
    changes, visits, placards = queries.stall_history(stall)
    search = forms.VendorSearchForm(request.args)
    found = (
        queries.search_vendors(scope.vendors_query(current_user), search.q.data or "")
        if can_manage() and search.validate()
        else []
    )
    move = forms.MoveForm(formdata=None)
    others = [
        s for s in services.stalls_in_order(market) if s.id != stall.id and s.is_open_on(today())
    ]
    move.to_stall_id.choices = [("", _("— Chọn sạp —")), *((str(s.id), s.code) for s in others)]
    context = {
        "market": market,
        "stall": stall,
        "vendor": vendor,
        "accounts": accounts,
        "vendor_named": bool(vendor) and vendor.id in visible_vendor_ids([vendor]),
        "status": services.current_status(stall),
        "last_paid_month": activity.last_paid_month(stall),
        "changes": changes,
        "visits": visits,
        "placards": placards,
        "needs_reprint": _needs_reprint(stall, vendor),
        "search": search,
        "found": found,
        "found_at": queries.occupant_stalls([v.id for v in found], market),
        "visit_form": forms.VisitForm(formdata=None),
        # What the visit form says it showed: a visit sent later is refused if it changed.
        "seen_placard": placard_services.live_placard(stall),
        "assign_form": forms.AssignForm(formdata=None),
        "new_vendor_form": forms.NewVendorForm(formdata=None),
        "move_form": move,
        "end_form": forms.EndOccupancyForm(formdata=None),
        "visit_errors": [],
        "stall_is_open": stall.is_open_on(today()),
        "requests": _visible_requests(stall),
        "may_resolve": policy.may(Action.OCCUPANCY, current_user, stalls=[stall]),
        "may_request": vendor is not None and policy.may(Action.REQUEST, current_user, stall=stall),
    }
    context.update(overrides)
    if "move_form" in overrides:
        overrides["move_form"].to_stall_id.choices = move.to_stall_id.choices
    return render_template("markets/stall.html", **context), status


def _needs_reprint(stall: Stall, vendor: Vendor | None) -> bool:
    """``placards.services.needs_reprint``'s rule for one stall, without scanning the market."""
    account = vendor.placard_account if vendor is not None and vendor.is_active else None
    return (
        account is not None
        and stall.is_open_on(today())
        and placard_services.current_placard(stall, account) is None
    )


# --- stalls ----------------------------------------------------------------------------


@bp.route("/<code>/sap/moi", methods=["GET", "POST"])
@role_required(*WRITERS)
def stall_new(code: str):
    market = scope.get_market_or_404(current_user, code)
    form = forms.StallForm()
    if form.validate_on_submit():
        try:
            stall = services.create_stall(market, **form.to_data(), actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            _flash_all(forms.show_errors(form, error))
        else:
            flash(_("Đã thêm sạp “%(code)s”.", code=stall.code), "success")
            return redirect(url_for("markets.stall", code=market.code, stall_id=stall.id))
    return render_template(
        "markets/stall_form.html", market=market, stall=None, form=form, close_form=None
    ), 200 if not form.errors else 422


@bp.route("/<code>/sap/<int:stall_id>/sua", methods=["GET", "POST"])
@role_required(*WRITERS)
def stall_edit(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    form = forms.StallForm(obj=stall)
    if form.validate_on_submit():
        renamed = services.stall_code_key(form.code.data) != services.stall_code_key(stall.code)
        try:
            services.update_stall(stall, **form.to_data(), actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            _flash_all(forms.show_errors(form, error))
        else:
            flash(_("Đã lưu sạp “%(code)s”.", code=stall.code), "success")
            if renamed:
                flash(_("Mã sạp đã đổi: bảng mã cũ hết hiệu lực, cần in lại."), "warning")
            return redirect(url_for("markets.stall", code=market.code, stall_id=stall.id))
    return render_template(
        "markets/stall_form.html",
        market=market,
        stall=stall,
        form=form,
        close_form=forms.CloseStallForm(formdata=None),
        has_placard=_has_live_placard(stall),
    ), 200 if not form.errors else 422


@bp.post("/<code>/sap/<int:stall_id>/dong")
@role_required(*WRITERS)
def stall_close(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    close_form = forms.CloseStallForm()
    if close_form.validate_on_submit():
        try:
            services.close_stall(stall, on=close_form.closed_on.data, actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            _flash_all(forms.show_errors(close_form, error, {"on": "closed_on"}))
        else:
            flash(_("Đã đóng sạp “%(code)s”.", code=stall.code), "success")
            return redirect(url_for("markets.stall", code=market.code, stall_id=stall.id))
    return render_template(
        "markets/stall_form.html",
        market=market,
        stall=stall,
        form=forms.StallForm(formdata=None, obj=stall),
        close_form=close_form,
        has_placard=_has_live_placard(stall),
    ), 422


def _has_live_placard(stall: Stall) -> bool:
    return placard_services.live_placard(stall) is not None


def _flash_all(messages: list[str]) -> None:
    for message in messages:
        flash(message, "error")


# --- who trades at the stall -----------------------------------------------------------


@bp.post("/<code>/sap/<int:stall_id>/gan")
@role_required(*WRITERS)
def assign(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    form = forms.AssignForm()
    vendor_id = ascii_int(form.vendor_id.data)
    if not form.validate_on_submit() or vendor_id is None:
        return _stall_page(market, stall, 422, assign_form=form)
    vendor = scope.get_vendor_or_404(current_user, vendor_id)
    try:
        services.assign_vendor(
            stall,
            vendor,
            actor=current_user,
            on=form.started_on.data,
            replace_occupant=form.replace_occupant.data,
        )
    except DomainError as error:
        return _refused(market, stall, error, form, confirm_vendor=vendor)
    flash(
        _("%(name)s đã được gán vào “%(code)s”.", name=vendor.display_name, code=stall.code),
        "success",
    )
    return _back_to(market, stall)


@bp.post("/<code>/sap/<int:stall_id>/nguoi-moi")
@role_required(*WRITERS)
def new_vendor(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    form = forms.NewVendorForm()
    if not form.validate_on_submit():
        return _stall_page(market, stall, 422, new_vendor_form=form)
    try:
        services.add_new_vendor(
            stall,
            display_name=form.display_name.data,
            phone=form.phone.data,
            consent_given=form.consent.data,
            actor=current_user,
            on=form.started_on.data,
            replace_occupant=form.replace_occupant.data,
        )
    except DomainError as error:
        unit_of_work.discard()
        loose = forms.show_errors(form, error, {"on": "started_on"})
        _flash_all([_(message) for message in loose])
        return _stall_page(market, stall, error.status, new_vendor_form=form)
    flash(
        _(
            "%(name)s đã được ghi nhận tại “%(code)s”; ngân hàng của tiểu thương thêm tài khoản nhận tiền.",
            name=form.display_name.data.strip(),
            code=stall.code,
        ),
        "success",
    )
    return _back_to(market, stall)


@bp.post("/<code>/sap/<int:stall_id>/chuyen")
@role_required(*WRITERS)
def move(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    vendor = services.current_occupant(stall)
    form = forms.MoveForm()
    form.to_stall_id.choices = [(str(s.id), s.code) for s in services.stalls_in_order(market)]
    if vendor is None or not form.validate_on_submit():
        return _stall_page(market, stall, 422, move_form=form)
    target = scope.get_stall_or_404(current_user, market, int(form.to_stall_id.data))
    try:
        services.move_vendor(
            vendor,
            stall,
            target,
            actor=current_user,
            on=form.moved_on.data,
            replace_occupant=form.replace_occupant.data,
        )
    except DomainError as error:
        return _refused(market, stall, error, form, confirm_target=target)
    flash(
        _(
            "Đã chuyển %(name)s sang “%(code)s”; cần in bảng mã mới.",
            name=vendor.display_name,
            code=target.code,
        ),
        "success",
    )
    return _back_to(market, target)


@bp.post("/<code>/sap/<int:stall_id>/roi-sap")
@role_required(*WRITERS)
def end_occupancy(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    form = forms.EndOccupancyForm()
    if not form.validate_on_submit():
        return _stall_page(market, stall, 422, end_form=form)
    try:
        services.end_occupancy(stall, actor=current_user, on=form.ended_on.data)
    except DomainError as error:
        forms.show_errors(form, error, {"on": "ended_on"})
        return _stall_page(market, stall, error.status, end_form=form)
    flash(_("Đã ghi nhận tiểu thương rời “%(code)s”.", code=stall.code), "success")
    return _back_to(market, stall)


def _refused(market: Market, stall: Stall, error: DomainError, form: Any, **confirm: Any):
    """An occupied stall asks to confirm the replacement; other refusals show the message."""
    if error.code == "stall_occupied":
        occupant = db.session.get(Vendor, error.details.get("vendor_id"))
        return render_template(
            "markets/confirm_replace.html",
            market=market,
            stall=stall,
            form=form,
            occupant=occupant,
            action=request.path,
            **confirm,
        ), 409
    flash(error.message, "error")
    return _stall_page(market, stall, error.status)


def _back_to(market: Market, stall: Stall):
    return redirect(url_for("markets.stall", code=market.code, stall_id=stall.id))


# Verification visits (the form on this page and in walk mode): markets/visits.py.


# --- stall requests: a bank asks the market board to change who trades here -------------


def _visible_requests(stall: Stall) -> list[StallRequest]:
    """Open requests: all of them for those who settle them, one's own for a bank."""
    found = stall_requests.open_requests([stall.id])
    if policy.may(Action.OCCUPANCY, current_user, stalls=[stall]):
        return found
    return [r for r in found if r.requested_by_id == current_user.id]


@bp.post("/<code>/sap/<int:stall_id>/de-nghi")
@role_required(Role.ADMIN, Role.MARKET_MANAGER, Role.BANK_PARTNER)
def stall_request(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    try:
        stall_requests.request_stall_change(stall, request.form.get("message"), actor=current_user)
    except DomainError as error:
        unit_of_work.discard()
        _flash_all([_(problem.message) for problem in getattr(error, "errors", [error])])
    else:
        flash(_("Đã gửi đề nghị cho ban quản lý chợ; đề nghị hiện trên trang của sạp."), "success")
    return _back_to(market, stall)


@bp.post("/<code>/sap/<int:stall_id>/de-nghi/<int:request_id>")
@role_required(*WRITERS)
def resolve_request(code: str, stall_id: int, request_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    pending = db.get_or_404(StallRequest, request_id)
    if pending.stall_id != stall.id:
        abort(404)
    # A refusal goes back to the stall's page with its message (errors_pages).
    stall_requests.resolve_stall_request(
        pending, status=request.form.get("status", ""), actor=current_user
    )
    flash(_("Đã xử lý đề nghị."), "success")
    return _back_to(market, stall)


@bp.post("/<code>/sap/<int:stall_id>/tai-khoan-in/<int:account_id>")
@role_required(*WRITERS)
def choose_placard_account(code: str, stall_id: int, account_id: int):
    """The vendor asks for their placard to pay another of their accounts."""
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    vendor = services.current_occupant(stall)
    account = scope.get_account_or_404(current_user, account_id)
    if vendor is None or account.vendor_id != vendor.id:
        abort(404)
    # A refusal goes back to the stall's page with its message (errors_pages).
    superseded = placard_services.choose_placard_account(
        account, organisation=current_user.organisation, actor=current_user
    )
    flash(
        _(
            "Bảng mã của sạp sẽ trả vào tài khoản %(bank)s …%(last4)s; cần in và dán bảng mới.",
            bank=account.bank.short_name,
            last4=account.last4,
        ),
        "success",
    )
    if superseded:
        flash(
            _(
                "Bảng mã cũ %(serials)s hết hiệu lực.",
                serials=", ".join(p.serial for p in superseded),
            ),
            "warning",
        )
    return _back_to(market, stall)
