"""Placard pages (/bang-ma): a market's placards, printing, revoking, and the inspector check.

Printing issues placards (new serials, earlier ones superseded), so only the managers of
that market and admins may print; markets outside a user's scope answer 404
(``auth.scope``), other roles 403 (``role_required``). The inspector page is open to
every signed-in user but shows a placard's details only inside the user's scope.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market4.auth.access import role_required
from market4.auth.scope import can_see_account_number, get_market_or_404, market_ids
from market4.db import today
from market4.domain.placard_layout import PlacardLayoutError
from market4.errors import DomainError, NotFound
from market4.extensions import db
from market4.markets.models import Market, Stall
from market4.placards import printing, services
from market4.placards.forms import (
    REVOKE_REASONS,
    InspectForm,
    MarketPrintForm,
    RevokeForm,
    StallPrintForm,
)
from market4.placards.models import Placard

bp = Blueprint("placards", __name__, url_prefix="/bang-ma")

PRINTERS = ("admin", "market_manager")


def _pdf_response(pdf: bytes, name: str):
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name,
                     max_age=0)


def _stall_in_scope(stall_id: int) -> Stall:
    stall = db.get_or_404(Stall, stall_id)
    get_market_or_404(current_user, stall.market.code)
    return stall


def _overview(market: Market, form: MarketPrintForm, status: int = 200):
    rows = printing.market_overview(market)
    return render_template("placards/market.html", market=market, rows=rows, form=form,
                           stall_form=StallPrintForm(formdata=None),
                           reprint=[row for row in rows if row.reprint_reason]), status


@bp.get("/cho/<market_code>")
@role_required(*PRINTERS)
def market(market_code: str):
    return _overview(get_market_or_404(current_user, market_code), MarketPrintForm(formdata=None))


@bp.post("/cho/<market_code>/in")
@role_required(*PRINTERS)
def market_sheet(market_code: str):
    market = get_market_or_404(current_user, market_code)
    form = MarketPrintForm()
    if not form.validate_on_submit():
        return _overview(market, form, 400)
    try:
        result = printing.print_market(market, layout=form.layout.data, actor=current_user, channel="web",
                                       cover_page=form.cover_page.data, only_outdated=form.only_outdated.data)
    except PlacardLayoutError as error:
        db.session.rollback()
        form.layout.errors = [_("Khổ giấy này quá nhỏ cho mã QR (%(reason)s).", reason=str(error))]
        return _overview(market, form, 422)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info" if error.code == "nothing_to_print" else "error")
        return redirect(url_for("placards.market", market_code=market.code))
    db.session.commit()
    return _pdf_response(result.pdf, f"bang-ma-{market.code}-{today().isoformat()}.pdf")


@bp.post("/sap/<int:stall_id>/in")
@role_required(*PRINTERS)
def stall_pdf(stall_id: int):
    stall = _stall_in_scope(stall_id)
    form = StallPrintForm()
    back = url_for("placards.market", market_code=stall.market.code)
    if not form.validate_on_submit():
        flash(_("Khổ giấy không hợp lệ."), "error")
        return redirect(back)
    try:
        result = printing.print_stalls([stall], layout=form.layout.data, actor=current_user, channel="web",
                                       cover_page=False)
    except (PlacardLayoutError, DomainError) as error:
        db.session.rollback()
        flash(getattr(error, "message", str(error)), "error")
        return redirect(back)
    db.session.commit()
    return _pdf_response(result.pdf, f"bang-ma-{stall.market.code}-{result.placards[0].serial}.pdf")


@bp.get("/sap/<int:stall_id>.png")
@role_required(*PRINTERS)
def stall_png(stall_id: int):
    stall = _stall_in_scope(stall_id)
    try:
        png = printing.png_for_stall(stall)
    except NotFound as error:
        abort(404, description=error.message)
    return send_file(io.BytesIO(png), mimetype="image/png", max_age=0,
                     download_name=f"bang-ma-{stall.market.code}-{stall.id}.png")


@bp.route("/<int:placard_id>/thu-hoi", methods=["GET", "POST"])
@role_required(*PRINTERS)
def revoke(placard_id: int):
    placard = db.get_or_404(Placard, placard_id)
    market = get_market_or_404(current_user, placard.stall.market.code)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_placard(placard, reason=form.reason_text(), actor=current_user, channel="web")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Đã thu hồi bảng mã %(serial)s. Sạp cần được in bảng mới.", serial=placard.serial),
                  "success")
        return redirect(url_for("placards.market", market_code=market.code))
    status = 400 if request.method == "POST" else 200
    return render_template("placards/revoke.html", placard=placard, market=market, form=form,
                           reasons=REVOKE_REASONS), status


@bp.get("/kiem-tra")
@login_required
def inspect():
    form = InspectForm(request.args)
    result = in_scope = None
    if request.args and form.validate():
        result = printing.inspect_payload(form.payload.data)
        if result.placard is not None:
            in_scope = result.placard.stall.market_id in market_ids(current_user)
    account = result.placard.payment_account if result and result.placard else None
    return render_template("placards/inspect.html", form=form, result=result, in_scope=in_scope,
                           account=account,
                           full_number=bool(account and can_see_account_number(current_user, account)))
