"""The admin area (/quan-tri): organisations, accounts, banks, markets and the audit log.

Every view parses a form, calls a service, commits once and redirects (POST-redirect-GET);
a refused change re-renders the form with the service's messages next to the fields.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market4 import unit_of_work
from market4.admin import audit_log, market_services, queries, services
from market4.admin.filters import AuditFilterForm, MarketFilter, OrganisationFilter, UserFilter
from market4.admin.forms import (
    ConfirmForm,
    MarketForm,
    OrganisationForm,
    PasswordResetForm,
    UserActiveForm,
    UserCreateForm,
    UserEditForm,
    show_errors,
)
from market4.areas.lookup import as_json, search_units, unit_label
from market4.auth import sessions
from market4.auth.access import role_required
from market4.auth.models import ORGANISATION_KINDS, ROLES, Organisation, User
from market4.auth.services import create_user, sign_out_everywhere
from market4.errors import DomainError
from market4.extensions import db
from market4.parsing import int_arg
from market4.registry.markets import MARKET_KINDS, Market
from market4.vocabulary import Role

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")

STALE_FORM = _l("Yêu cầu không hợp lệ hoặc phiên làm việc đã hết hạn, vui lòng thử lại.")
# Service field names that the forms call differently.
USER_FIELDS = {"organisation": "organisation_id", "markets": "market_ids"}


def _page() -> int:
    return request.args.get("page", 1, type=int_arg) or 1


@bp.context_processor
def labels() -> dict:
    return {
        "ORGANISATION_KINDS": ORGANISATION_KINDS,
        "ROLES": ROLES,
        "MARKET_KINDS": MARKET_KINDS,
        "area_label": unit_label,
    }


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return render_template("admin/index.html", overview=queries.overview())


# --- organisations ----------------------------------------------------------------------


@bp.get("/don-vi")
@role_required(Role.ADMIN)
def organisations():
    filters = OrganisationFilter()
    rows = queries.organisations(kind=filters.kind.data or None, query=filters.query)
    return render_template(
        "admin/organisations.html", filters=filters, page=queries.page_of(rows, _page())
    )


@bp.route("/don-vi/moi", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def organisation_new():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            services.create_organisation(form.to_data(), actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            show_errors(form, error)
        else:
            flash(_("Đã tạo đơn vị “%(name)s”.", name=form.name.data), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, organisation=None)


@bp.route("/don-vi/<int:organisation_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def organisation_edit(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation, form.to_data(), actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            show_errors(form, error)
        else:
            flash(_("Đã lưu đơn vị “%(name)s”.", name=organisation.name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, organisation=organisation)


@bp.get("/dia-ban.json")
@role_required(Role.ADMIN)
def area_search():
    """Autocomplete suggestions: ``?q=ngai giao&scheme=2025&level=commune``, or
    ``?q=…&kind=bank_branch`` for the units an organisation of that kind may cover."""
    scheme, level, kind = (request.args.get(name) for name in ("scheme", "level", "kind"))
    if kind in services.AREA_LEVELS_BY_KIND:
        levels = services.AREA_LEVELS_BY_KIND[kind]
        if not levels:
            return jsonify(results=[])
    else:
        levels = {(scheme, level)} if scheme and level else None
    units = search_units(request.args.get("q", ""), levels=levels)
    return jsonify(results=[as_json(unit) for unit in units])


# --- users ------------------------------------------------------------------------------


@bp.get("/tai-khoan")
@role_required(Role.ADMIN)
def users():
    filters = UserFilter()
    rows = queries.users(
        role=filters.role.data or None,
        organisation_id=filters.organisation.data,
        active=filters.active_flag,
        query=filters.query,
    )
    return render_template("admin/users.html", filters=filters, page=queries.page_of(rows, _page()))


@bp.route("/tai-khoan/moi", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
                organisation=form.organisation,
                actor=current_user,
            )
        except DomainError as error:
            unit_of_work.discard()
            show_errors(form, error, USER_FIELDS)
        else:
            flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


@bp.route("/tai-khoan/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user, market_ids=[market.id for market in user.markets])
    if form.validate_on_submit():
        try:
            services.update_user(user, form.to_changes(), actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            show_errors(form, error, USER_FIELDS)
        else:
            flash(_("Đã lưu tài khoản %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        password_form=PasswordResetForm(formdata=None),
        active_form=_active_form(user),
        **_session_panel(user),
    )


@bp.post("/tai-khoan/<int:user_id>/mat-khau")
@role_required(Role.ADMIN)
def user_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new_password.data, actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            show_errors(form, error)
        else:
            flash(_("Đã đặt mật khẩu mới cho %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=UserEditForm(
            formdata=None, obj=user, market_ids=[market.id for market in user.markets]
        ),
        password_form=form,
        active_form=_active_form(user),
        **_session_panel(user),
    )


def _session_panel(user: User) -> dict:
    """How many sessions the user has open, and the "sign out everywhere" button."""
    return {
        "open_sessions": len(sessions.active(user, sessions.lifetimes())),
        "sign_out_form": ConfirmForm(formdata=None),
    }


def _active_form(user: User) -> UserActiveForm:
    """The button that flips the account: deactivate an active one, reactivate the others."""
    return UserActiveForm(formdata=None, active="0" if user.is_active else "1")


@bp.post("/tai-khoan/<int:user_id>/trang-thai")
@role_required(Role.ADMIN)
def user_active(user_id: int):
    """Deactivate or reactivate (``active=1``); accounts are never deleted."""
    user = db.get_or_404(User, user_id)
    form = UserActiveForm()
    if not form.validate_on_submit():
        flash(str(STALE_FORM), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    active = form.active.data == "1"
    # A refusal goes back to the user's page with its message (errors_pages).
    services.set_user_active(user, active, actor=current_user)
    flash(
        _("Đã mở lại tài khoản %(email)s.", email=user.email)
        if active
        else _("Đã khóa tài khoản %(email)s.", email=user.email),
        "success",
    )
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/tai-khoan/<int:user_id>/dang-xuat-moi-noi")
@role_required(Role.ADMIN)
def user_sign_out_everywhere(user_id: int):
    """End every session of the user at once (a lost phone, a leaked password)."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash(str(STALE_FORM), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    count = sign_out_everywhere(user, actor=current_user)
    flash(
        _("Đã đăng xuất %(email)s khỏi %(n)s phiên.", email=user.email, n=count),
        "success",
    )
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- banks ------------------------------------------------------------------------------


@bp.get("/ngan-hang")
@role_required(Role.ADMIN)
def banks():
    query = request.args.get("q", "").strip()
    return render_template(
        "admin/banks.html",
        banks=queries.banks(query),
        query=query,
        total=queries.overview().banks,
        confirm=ConfirmForm(),
    )


@bp.post("/ngan-hang/dong-bo")
@role_required(Role.ADMIN)
def banks_sync():
    if not ConfirmForm().validate_on_submit():
        flash(str(STALE_FORM), "error")
        return redirect(url_for("admin.banks"))
    added, updated = services.sync_bank_directory(actor=current_user)
    flash(
        _(
            "Đã đồng bộ danh mục ngân hàng: thêm %(added)d, cập nhật %(updated)d.",
            added=added,
            updated=updated,
        ),
        "success",
    )
    return redirect(url_for("admin.banks"))


# --- markets ----------------------------------------------------------------------------


@bp.get("/cho")
@role_required(Role.ADMIN)
def markets():
    filters = MarketFilter()
    rows = queries.markets(
        commune_id=filters.commune.data,
        kind=filters.kind.data or None,
        in_programme=filters.in_programme,
        query=filters.query,
    )
    return render_template(
        "admin/markets.html", filters=filters, page=queries.page_of(rows, _page())
    )


@bp.route("/cho/moi", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def market_new():
    form = MarketForm()
    if form.validate_on_submit():
        try:
            market = market_services.create_market(form.to_data(), actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            show_errors(form, error)
        else:
            flash(_("Đã tạo chợ %(code)s.", code=market.code), "success")
            return redirect(url_for("admin.markets"))
    return render_template("admin/market_form.html", form=form, market=None)


@bp.route("/cho/<int:market_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def market_edit(market_id: int):
    market = db.get_or_404(Market, market_id)
    form = MarketForm(obj=market)
    if form.validate_on_submit():
        try:
            market_services.update_market(market, form.to_data(), actor=current_user)
        except DomainError as error:
            unit_of_work.discard()
            show_errors(form, error)
        else:
            flash(_("Đã lưu chợ %(code)s.", code=market.code), "success")
            return redirect(url_for("admin.markets"))
    return render_template("admin/market_form.html", form=form, market=market)


# --- audit log --------------------------------------------------------------------------


@bp.get("/nhat-ky")
@role_required(Role.ADMIN)
def audit():
    filters = AuditFilterForm()
    pagination, entries = audit_log.page_of_events(filters.to_filters(), _page())
    return render_template(
        "admin/audit_log.html", filters=filters, page=pagination, entries=entries
    )


# Pages defined in their own modules, registered on ``bp`` when they are imported.
from market4.admin import vendor_merges  # noqa: E402, F401  (duplicated vendor records)
