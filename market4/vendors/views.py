"""The vendor pages (tiểu thương): list, register at a stall, view, edit, deactivate.

A bank partner works at their own bank only: the bank is fixed on the form, lists and
pages show their bank's accounts and nothing of other banks' (``presenters``), and an
id outside their scope answers 404 (``auth.scope``). Every write goes through
``vendors.services`` and is committed once here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market4 import unit_of_work
from market4.auth.access import role_required
from market4.banks.models import Bank
from market4.errors import (
    Conflict,
    DomainError,
    Duplicate,
    FieldError,
    PermissionDenied,
    Problems,
    ValidationFailed,
)
from market4.extensions import db
from market4.formatting import vn_phone
from market4.paging import paginate
from market4.parsing import ascii_int, int_arg
from market4.registry import activity, policy, scope
from market4.registry.markets import Stall
from market4.registry.ordering import sorted_stalls
from market4.registry.policy import Action, acts_for_one_bank
from market4.registry.stalls import current_occupant
from market4.vendors import presenters, services
from market4.vendors.forms import (
    DeactivateForm,
    EditForm,
    ListFilterForm,
    RegistrationForm,
    StallSearchForm,
)
from market4.vocabulary import PLACARD_STATUS_LABELS as PLACARD_LABELS
from market4.vocabulary import STALL_STATUS_LABELS as STATUS_LABELS
from market4.vocabulary import STATUS_REASON_LABELS as REASON_LABELS
from market4.vocabulary import AccountStatus, Role

bp = Blueprint("vendors", __name__, url_prefix="/tieu-thuong")
# No field of the registration form is longer; the live check refuses more.
MAX_CHECKED_LENGTH = 500

READERS = (Role.ADMIN, Role.BANK_PARTNER, Role.MARKET_MANAGER)
# Registering writes an account number: banks (and the operator) only, never a market
# manager (``auth.policy``); the page would only end in a refusal.
REGISTRARS = (Role.ADMIN, Role.BANK_PARTNER)
ACCOUNT_EDITORS = (Role.ADMIN, Role.BANK_PARTNER)

OUTCOME_MESSAGES = {
    services.REGISTERED: _l("Đã đăng ký %(name)s tại %(stall)s, %(market)s."),
    services.ACCOUNT_ADDED: _l(
        "Đã thêm tài khoản cho %(name)s, tiểu thương đang ở %(stall)s, %(market)s."
    ),
    services.ACCOUNT_UPDATED: _l("Đã cập nhật tài khoản của %(name)s tại %(stall)s, %(market)s."),
    services.UNCHANGED: _l(
        "Tài khoản này đã được đăng ký cho %(name)s tại %(stall)s — không có gì thay đổi."
    ),
}


def _fixed_bank_bin() -> str | None:
    """A bank branch registers at its own bank only; None means "choose a bank"."""
    organisation = current_user.organisation
    return organisation.bank_bin if acts_for_one_bank(organisation) else None


# --- list ---------------------------------------------------------------------------------


@bp.get("/")
@role_required(*READERS)
def index():
    filters = ListFilterForm(request.args)
    filters.cho.choices = [("", _("Tất cả chợ")), *presenters.market_choices(current_user)]
    page = presenters.registration_page(
        current_user,
        q=filters.q.data or "",
        market_code=filters.cho.data or "",
        status=filters.trang_thai.data or "",
        page=request.args.get("trang", 1, type=int_arg),
    )
    return render_template(
        "vendors/index.html",
        filters=filters,
        page=page,
        bank=db.session.get(Bank, _fixed_bank_bin() or ""),
        may_register=current_user.role in REGISTRARS,
    )


# --- registering: find a market and stall, then the form -------------------------------------


@bp.get("/dang-ky")
@role_required(*REGISTRARS)
def register_start():
    search = StallSearchForm(request.args)
    code, stall_id = request.args.get("cho", ""), request.args.get("sap", type=int_arg)
    if code and stall_id:
        market = scope.get_market_or_404(current_user, code)
        scope.get_stall_or_404(current_user, market, stall_id)
        return redirect(url_for("vendors.register", market_code=market.code, stall_id=stall_id))
    if code:
        market = scope.get_market_or_404(current_user, code)
        stalls = presenters.stall_rows(
            market,
            text=search.tim.data or "",
            vacant_only=bool(search.trong.data),
            not_accepting_only=bool(search.chua_nhan.data),
            named=lambda ids: presenters.nameable_vendor_ids(current_user, ids),
        )
        page = paginate(stalls, request.args.get("trang", 1, type=int_arg), presenters.PAGE_SIZE)
        return render_template(
            "vendors/choose_stall.html",
            search=search,
            market=market,
            page=page,
            labels=STATUS_LABELS,
            named=presenters.nameable_vendor_ids(
                current_user, [row.occupant.id for row in page.items if row.occupant]
            ),
        )
    markets = presenters.find_markets(current_user, search.q.data or "")
    return render_template("vendors/choose_market.html", search=search, markets=markets)


@bp.route("/dang-ky/<market_code>/<int:stall_id>", methods=["GET", "POST"])
@role_required(*REGISTRARS)
def register(market_code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, market_code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    fixed_bin = _fixed_bank_bin()
    form = RegistrationForm(bank_choices=None if fixed_bin else presenters.bank_choices())
    if not form.is_submitted():
        form.goods_category.data = stall.goods_category
    if form.validate_on_submit():
        result = _register(form, stall, fixed_bin)
        if result is not None:
            flash(
                OUTCOME_MESSAGES[result.outcome]
                % {"name": result.vendor.display_name, "stall": stall.code, "market": market.name},
                "success",
            )
            for warning in result.warnings:
                flash(warning.message, "warning")
            return redirect(url_for("vendors.show", vendor_id=result.vendor.id))
    elif (
        form.is_submitted()
        and getattr(form, "csrf_token", None) is not None
        and form.csrf_token.errors
    ):
        form.top_errors.append(_("Phiên làm việc đã hết hạn — vui lòng gửi lại."))
    status = 422 if form.is_submitted() else 200  # re-shown: not registered/saved
    occupant = current_occupant(stall)
    return render_template(
        "vendors/register.html",
        form=form,
        market=market,
        stall=stall,
        occupant=occupant,
        occupant_named=occupant is not None
        and occupant.id in presenters.nameable_vendor_ids(current_user, [occupant.id]),
        may_replace=occupant is not None
        and policy.may(Action.OCCUPANCY, current_user, stalls=[stall]),
        may_request=policy.may(Action.REQUEST, current_user, stall=stall),
        bank=db.session.get(Bank, fixed_bin or ""),
        check_url=url_for("vendors.check"),
    ), status


def _register(form: RegistrationForm, stall: Stall, fixed_bin: str | None) -> Any:
    """Call the service; on refusal put every reason on the form and return None."""
    try:
        return services.register_vendor(
            form.to_registration(stall, fixed_bin),
            organisation=current_user.organisation,
            actor=current_user,
            channel="web",
            strict_phone=not form.acknowledge_phone.data,
            replace_occupant=bool(form.replace_occupant.data),
        )
    except PermissionDenied as denied:
        form.top_errors.append(_(denied.message))
    except DomainError as refused:
        _show_refusal(form, refused)
    unit_of_work.discard()
    return None


def _show_refusal(form: RegistrationForm | EditForm, refused: DomainError) -> None:
    """Each reason of a refusal next to the field it is about (``Problems``: all of them)."""
    for problem in refused.problems if isinstance(refused, Problems) else [refused]:
        if isinstance(problem, ValidationFailed):
            form.show_problems(problem.errors)
        elif isinstance(problem, Duplicate):
            _show_duplicate(form, problem)
        elif problem.code == "stall_occupied":
            # The stall is chosen already; what the user can change here is who they
            # typed (the occupant's own name and phone), and the panel under the stall
            # offers the rest of the way out (replace, or ask the market board).
            form.stall_occupied = True
            form.show_problems([FieldError("display_name", problem.message, problem.code)])
        else:
            form.top_errors.append(problem.message)
    # What a success would have said too (a phone already acknowledged, names that differ).
    form.show_problems(refused.warnings, as_warnings=True)


def _show_duplicate(form: RegistrationForm | EditForm, duplicate: Duplicate) -> None:
    """Same phone: an error until acknowledged (the box to tick comes with it). Same
    bank + account: an error at the account field, linking to the existing vendor only
    when the viewer may open them."""
    if duplicate.field == "phone":
        form.phone_duplicate = True
        form.show_problems([FieldError("phone", duplicate.message, duplicate.code)])
        return
    vendor_ids = duplicate.details.get("vendor_ids", [])
    form.duplicate_vendor_ids = presenters.openable_vendor_ids(current_user, vendor_ids)
    # Same bank + number: for a bank partner that is always their own bank, so the
    # message and the link (when given) reveal nothing about other banks.
    form.show_problems([FieldError(duplicate.field, duplicate.message, duplicate.code)])


@bp.post("/kiem-tra")
@role_required(*REGISTRARS)
def check():
    """Live check for the form's JavaScript: the same rules and duplicate search as the
    service, as JSON. CSRF-protected like every POST (X-CSRFToken header)."""
    values = request.get_json(silent=True) or request.form.to_dict()
    problem = _unreadable_check_values(values)
    if problem is not None:
        return jsonify({"error": "bad_request", "message": problem}), 400
    # On the edit page the account being edited is not its own duplicate.
    account, vendor_id = None, None
    account_id = ascii_int(values.get("account_id"))
    wanted_vendor_id = ascii_int(values.get("vendor_id"))
    stall_id = ascii_int(values.get("stall_id"))
    if account_id is not None:
        account = presenters.visible_account(current_user, account_id)
    if wanted_vendor_id is not None and presenters.vendor_is_visible(
        current_user, wanted_vendor_id
    ):
        vendor_id = wanted_vendor_id
    elif stall_id is not None:
        # Registering at a stall: its current vendor's own phone is not "another vendor's".
        vendor_id = presenters.occupant_id(current_user, stall_id)
    bank_bin = (
        _fixed_bank_bin()
        or (account.bank_bin if account else str(values.get("bank_bin") or ""))
        or None
    )
    result = presenters.live_check(
        values,
        viewer=current_user,
        bank_bin=bank_bin,
        exclude_account_id=account.id if account else None,
        exclude_vendor_id=vendor_id,
    )
    for duplicate in result["duplicates"]:
        duplicate["links"] = [
            url_for("vendors.show", vendor_id=i) for i in duplicate.pop("vendor_ids")
        ]
    return jsonify(result)


def _unreadable_check_values(values: Any) -> str | None:
    """Why the live check cannot read ``values`` (an object of short texts), or None."""
    if not isinstance(values, dict):
        return _("Cần một đối tượng JSON gồm các trường của biểu mẫu.")
    for name, value in values.items():
        if value is not None and not isinstance(value, str | int) or isinstance(value, bool):
            return _("Trường “%(field)s” phải là chữ hoặc số.", field=str(name)[:40])
        if isinstance(value, str) and len(value) > MAX_CHECKED_LENGTH:
            return _("Trường “%(field)s” quá dài.", field=str(name)[:40])
    return None


# --- one vendor ----------------------------------------------------------------------------


def _show_page(
    vendor: Any, deactivate_forms: dict[int, DeactivateForm] | None = None, status: int = 200
):
    accounts = scope.visible_accounts(current_user, vendor)
    forms = deactivate_forms or {}
    may_change = current_user.role in ACCOUNT_EDITORS and scope.can_write(current_user)
    if may_change:
        for account in accounts:
            if account.status == AccountStatus.ACTIVE:
                forms.setdefault(account.id, DeactivateForm(formdata=None))
    return render_template(
        "vendors/show.html",
        vendor=vendor,
        accounts=accounts,
        phone=vn_phone(vendor.phone_e164),
        numbers={a.id: presenters.shown_account_number(current_user, a) for a in accounts},
        history=presenters.status_history(vendor),
        placards=presenters.placards_of(accounts),
        last_received=activity.last_received_month(account.id for account in accounts),
        deactivate_forms=forms,
        may_change=may_change,
        placard_labels=PLACARD_LABELS,
        status_labels=STATUS_LABELS,
        reason_labels=REASON_LABELS,
    ), status


@bp.get("/<int:vendor_id>")
@role_required(*READERS)
def show(vendor_id: int):
    return _show_page(scope.get_vendor_or_404(current_user, vendor_id))


@bp.route("/<int:vendor_id>/sua", methods=["GET", "POST"])
@role_required(*ACCOUNT_EDITORS)
def edit(vendor_id: int):
    vendor = scope.get_vendor_or_404(current_user, vendor_id)
    wanted = request.args.get("tk", type=int_arg)
    account = presenters.editable_account(current_user, vendor, wanted)
    if wanted is not None and account is None:
        abort(404)
    form = EditForm(vendor=vendor, account=account)
    if form.validate_on_submit():
        try:
            result = services.update_registration(
                account or vendor,
                form.to_changes(),
                organisation=current_user.organisation,
                actor=current_user,
                channel="web",
                strict_phone=not form.acknowledge_phone.data,
            )
        except (ValidationFailed, Duplicate, Problems) as refused:
            _show_refusal(form, refused)
        except (Conflict, PermissionDenied) as refused:
            form.top_errors.append(refused.message)
        else:
            flash(_("Đã lưu thay đổi của %(name)s.", name=vendor.display_name), "success")
            for warning in result.warnings:
                flash(warning.message, "warning")
            if result.superseded:
                codes = ", ".join(
                    s.code for s in sorted_stalls({p.stall for p in result.superseded})
                )
                flash(
                    _(
                        "Bảng mã QR cũ của sạp %(codes)s không còn đúng — cần in lại và dán bảng mới.",
                        codes=codes,
                    ),
                    "warning",
                )
            return redirect(url_for("vendors.show", vendor_id=vendor.id))
        unit_of_work.discard()
    status = 422 if form.is_submitted() else 200  # re-shown: not registered/saved
    return render_template(
        "vendors/edit.html",
        form=form,
        vendor=vendor,
        account=account,
        check_url=url_for("vendors.check"),
    ), status


@bp.post("/tai-khoan/<int:account_id>/ngung")
@role_required(*ACCOUNT_EDITORS)
def deactivate(account_id: int):
    account = scope.get_account_or_404(current_user, account_id)
    vendor = account.vendor
    form = DeactivateForm()
    if form.validate_on_submit():
        try:
            services.deactivate_registration(
                account,
                organisation=current_user.organisation,
                actor=current_user,
                reason=form.reason.data or "",
                channel="web",
            )
        except ValidationFailed as failure:
            form.reason.errors = [error.message for error in failure.errors]
        except (Conflict, PermissionDenied) as refused:
            unit_of_work.discard()
            flash(refused.message, "error")
            return redirect(url_for("vendors.show", vendor_id=vendor.id))
        else:
            flash(
                _(
                    "Đã ngừng tài khoản …%(last4)s. Bảng mã QR của tài khoản này không còn hiệu lực.",
                    last4=account.last4,
                ),
                "success",
            )
            return redirect(url_for("vendors.show", vendor_id=vendor.id))
        unit_of_work.discard()
    return _show_page(vendor, {account.id: form}, status=422)
