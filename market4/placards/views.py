"""Placard pages (/bang-ma): a market's placards, printing, revoking, and the inspector check.

Printing issues placards (new serials, earlier ones superseded), so only the managers of
that market and admins may print; markets outside a user's scope answer 404
(``auth.scope``), other roles 403 (``role_required``). The inspector page is open to
every signed-in user but shows a placard's details only inside the user's scope.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound as HTTPNotFound

from market4 import idempotency, queued, unit_of_work
from market4.areas.models import AdminUnit
from market4.auth.access import role_required
from market4.db import today
from market4.domain import banks as directory
from market4.domain.placard_layout import PlacardLayoutError
from market4.domain.qr_scan import MAX_PHOTO_BYTES, QrPhotoError, read_qr_texts
from market4.errors import DomainError, NotFound
from market4.extensions import db
from market4.formatting import vn_number
from market4.paging import STALLS_PER_PAGE, paginate
from market4.parsing import int_arg
from market4.placards import checks, jobs, printing, services
from market4.placards.forms import (
    REVOKE_REASONS,
    InspectForm,
    MarketSettingsForm,
    PlacardFilterForm,
    PrintForm,
    PrintJobForm,
    RevokeForm,
    StallCheckForm,
)
from market4.problem_json import wants_json
from market4.registry import policy
from market4.registry.markets import Market, Stall
from market4.registry.placards import Placard
from market4.registry.policy import Action
from market4.registry.print_jobs import PrintJob
from market4.registry.scope import (
    can_see_account_number,
    get_market_or_404,
    market_ids,
    markets_query,
    restrict_markets_to_area,
)
from market4.registry.stalls import current_status
from market4.vocabulary import (
    CHECK_RESULT_LABELS,
    PLACARD_LAYOUT_LABELS,
    PRINT_JOB_STATUS_LABELS,
    PlacardStatus,
    PrintJobStatus,
    Role,
)

bp = Blueprint("placards", __name__, url_prefix="/bang-ma")

PRINTERS = (Role.ADMIN, Role.MARKET_MANAGER)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "PRINT_JOB_STATUS_LABELS": PRINT_JOB_STATUS_LABELS,
        "PLACARD_LAYOUT_LABELS": PLACARD_LAYOUT_LABELS,
    }


def _pdf_response(pdf: bytes, name: str, *, attachment: bool = True):
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=attachment,
        download_name=name,
        max_age=0,
    )


def _stall_in_scope(stall_id: int) -> Stall:
    stall = db.get_or_404(Stall, stall_id)
    get_market_or_404(current_user, stall.market.code)
    return stall


def _overview(
    market: Market, form: PrintForm, status: int = 200, settings: MarketSettingsForm | None = None
):
    rows = printing.market_overview(market)
    single = next((row for row in rows if row.stall.id == form.single_stall_id), None)
    filters = PlacardFilterForm(request.args, stalls=[row.stall for row in rows])
    shown = _filter_rows(rows, filters) if filters.validate() else rows
    return render_template(
        "placards/market.html",
        market=market,
        rows=rows,
        # The summary counts every stall; the table shows the filtered ones, 100 a page.
        stall_page=paginate(shown, request.args.get("trang", type=int_arg), STALLS_PER_PAGE),
        filters=filters,
        form=form,
        single=single,
        settings=settings
        or MarketSettingsForm(formdata=None, mask_account=market.mask_account_on_placards),
        may_configure=policy.may(Action.STALLS, current_user, market=market),
        reprint=[row for row in rows if row.reprint_reason],
        to_visit=sum(row.needs_visit for row in rows),
        posted_with_account=sum(
            1
            for row in rows
            if row.account and row.live and row.live.status == PlacardStatus.POSTED
        ),
    ), status


def _filter_rows(
    rows: list[printing.StallRow], filters: PlacardFilterForm
) -> list[printing.StallRow]:
    status = filters.status.data
    wanted = {
        "": lambda row: True,
        "reprint": lambda row: row.reprint_reason is not None,
        "issued": lambda row: row.live is not None and row.live.status == PlacardStatus.ISSUED,
        "posted": lambda row: row.live is not None and row.live.status == PlacardStatus.POSTED,
        "visit": lambda row: row.needs_visit,
        "no_account": lambda row: row.account is None,
    }[status or ""]
    # Printers see every vendor name of their market, so the name is searchable.
    return [
        row
        for row in rows
        if wanted(row) and filters.keeps(row.stall, row.vendor.display_name if row.vendor else "")
    ]


@bp.get("/cho/<market_code>")
@role_required(*PRINTERS)
def market(market_code: str):
    market = get_market_or_404(current_user, market_code)
    form = PrintForm(formdata=None)
    stall_id = request.args.get("sap", type=int_arg)
    if stall_id is not None:
        form.stall_id.data = str(_stall_of(market, stall_id).id)
        form.layout.data = "a6"
        form.scope.data = "all"
        form.cover_page.data = False
    return _overview(market, form)


def _stall_of(market: Market, stall_id: int) -> Stall:
    stall = db.session.get(Stall, stall_id)
    if stall is None or stall.market_id != market.id:
        abort(404)
    return stall


@bp.post("/cho/<market_code>/in")
@role_required(*PRINTERS)
def market_sheet(market_code: str):
    """Print (issue serials) or preview (issue nothing) a market's placards, or one stall's."""
    market = get_market_or_404(current_user, market_code)
    form = PrintForm()
    if not form.validate_on_submit():
        return _overview(market, form, 400)
    single = _stall_of(market, form.single_stall_id) if form.single_stall_id is not None else None
    stalls = (
        [single]
        if single is not None
        else list(db.session.scalars(select(Stall).where(Stall.market_id == market.id)))
    )
    options = dict(
        layout=form.layout.data,
        cover_page=form.cover_page.data and single is None,
        only_outdated=single is None and form.scope.data != "all",
        title=None if single else _("Bảng mã VietQR – %(name)s", name=market.name),
    )
    name = f"bang-ma-{market.code}-{today().isoformat()}.pdf"
    try:
        if request.form.get("action") == "preview":
            pdf = printing.preview_stalls(stalls, **options)
            return _pdf_response(pdf, "mau-" + name, attachment=False)
        result = printing.print_stalls(
            stalls, actor=current_user, channel="web", confirm_superseding=form.confirmed, **options
        )
    except PlacardLayoutError as error:
        unit_of_work.discard()
        form.layout.errors = [_("Khổ giấy này quá nhỏ cho mã QR (%(reason)s).", reason=str(error))]
        return _overview(market, form, 422)
    except DomainError as error:
        unit_of_work.discard()
        if error.code == "confirm_superseding":
            form.confirm_superseding.data = str(error.details["posted"])
            return render_template(
                "placards/confirm_print.html",
                market=market,
                form=form,
                single=single,
                posted=error.details["posted"],
            ), 409
        flash(_(error.message), "info" if error.code == "nothing_to_print" else "error")
        return redirect(url_for("placards.market", market_code=market.code))
    if single is not None:
        name = f"bang-ma-{market.code}-{result.placards[0].serial}.pdf"
    return _pdf_response(result.pdf, name)


@bp.post("/cho/<market_code>/cai-dat")
@role_required(*PRINTERS)
def market_settings(market_code: str):
    market = get_market_or_404(current_user, market_code)
    settings = MarketSettingsForm()
    if not settings.validate_on_submit():
        return _overview(market, PrintForm(formdata=None), 400, settings=settings)
    # A refusal goes back to the market's page with its message (errors_pages).
    services.set_account_display(market, masked=settings.mask_account.data, actor=current_user)
    flash(_("Đã lưu cách in số tài khoản cho %(market)s.", market=market.name), "success")
    return redirect(url_for("placards.market", market_code=market.code))


@bp.get("/sap/<int:stall_id>.png")
@role_required(*PRINTERS)
def stall_png(stall_id: int):
    stall = _stall_in_scope(stall_id)
    try:
        png = printing.png_for_stall(stall)
    except NotFound as error:
        abort(404, description=error.message)
    return send_file(
        io.BytesIO(png),
        mimetype="image/png",
        max_age=0,
        download_name=f"bang-ma-{stall.market.code}-{stall.id}.png",
    )


@bp.route("/<int:placard_id>/thu-hoi", methods=["GET", "POST"])
@role_required(*PRINTERS)
def revoke(placard_id: int):
    placard = db.get_or_404(Placard, placard_id)
    market = get_market_or_404(current_user, placard.stall.market.code)
    form = RevokeForm()
    if not form.is_submitted() and request.args.get("back") == "stall":
        form.back.data = "stall"  # opened from the stall's check: return there
    if form.validate_on_submit():
        try:
            services.revoke_placard(
                placard, reason=form.reason_text(), actor=current_user, channel="web"
            )
        except DomainError as error:
            unit_of_work.discard()
            flash(error.message, "error")
        else:
            flash(
                _(
                    "Đã thu hồi bảng mã %(serial)s. Sạp cần được in bảng mới.",
                    serial=placard.serial,
                ),
                "success",
            )
        if form.back.data == "stall":
            return redirect(url_for("markets.stall", code=market.code, stall_id=placard.stall_id))
        return redirect(url_for("placards.market", market_code=market.code))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "placards/revoke.html", placard=placard, market=market, form=form, reasons=REVOKE_REASONS
    ), status


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
    return render_template(
        "placards/inspect.html",
        form=form,
        result=result,
        in_scope=in_scope,
        account=account,
        full_number=bool(account and can_see_account_number(current_user, account)),
    )


# --- the check of what is posted at one stall ------------------------------------------


def _readable_stall(stall_id: int) -> Stall:
    """The stall, when its market is in the viewer's scope (404 otherwise)."""
    stall = db.get_or_404(Stall, stall_id)
    get_market_or_404(current_user, stall.market.code)
    return stall


def _scanned_text(form: StallCheckForm) -> str | None:
    """The payload typed or pasted, else the first QR read from the photo (None: neither)."""
    if (form.payload.data or "").strip():
        return form.payload.data
    upload = form.photo.data
    if not upload:
        form.payload.errors = [
            *form.payload.errors,
            _("Dán nội dung mã QR hoặc chụp ảnh mã tại sạp."),
        ]
        return None
    try:
        texts = read_qr_texts(upload.read(MAX_PHOTO_BYTES + 1))
    except QrPhotoError:
        form.photo.errors = [
            *form.photo.errors,
            _("Không mở được ảnh này; hãy chụp lại (JPEG hoặc PNG)."),
        ]
        return None
    if not texts:
        form.photo.errors = [
            *form.photo.errors,
            _("Không tìm thấy mã QR trong ảnh; chụp gần hơn, đủ sáng, không bị lóa."),
        ]
        return None
    # A stand may carry several codes; the VietQR one is what shoppers pay.
    return next((text for text in texts if text.startswith("000201")), texts[0])


@bp.route("/sap/<int:stall_id>/kiem-tra", methods=["GET", "POST"])
@login_required
def check_stall(stall_id: int):
    """Check the code posted at a stall; recorded as a visit for those who may record it.

    A walk step's scan may carry an ``idempotency_key`` (``static/js/offline.js`` keeps
    the scan on the phone first) and may come again later from the phone's queue as
    JSON (:func:`_answer_queued_check`): it is recorded once either way.
    """
    if request.method == "POST" and wants_json():
        return _answer_queued_check(stall_id)
    stall = _readable_stall(stall_id)
    form = StallCheckForm()
    may_record = policy.may(Action.CHECK_CODE, current_user, stall=stall)
    result, status = None, 200
    key, seen, stored = idempotency.page_key(current_user.id) if may_record else (None, "", None)
    if form.validate_on_submit():
        text = _scanned_text(form)
        if text is not None:
            try:
                result = checks.check_posted_code(
                    stall,
                    text,
                    actor=current_user,
                    record=may_record and stored is None,
                    note=form.note.data,
                    observed_at=form.observed_at.data,
                )
            except DomainError as error:
                unit_of_work.discard()
                flash(_(error.message), "error")
    if result is not None and key is not None:
        if stored is None and result.visit is not None:
            try:
                idempotency.remember(current_user.id, key, seen, 201, _check_answer(result, form))
            except idempotency.KeyRefused:
                abort(409)  # the queue sent the same scan at the same moment, and won
        # Shown here, so the phone need not send it again (a code that is no VietQR
        # included: the page has said so, and there is nothing to record).
        idempotency.note_recorded(key)
        if stored is not None:
            flash(_("Lần quét này đã được ghi nhận trước đó từ hàng chờ của điện thoại."), "info")
    if form.is_submitted() and result is None:
        status = 422
    return _check_page(stall, form, result, may_record), status


def _check_page(stall: Stall, form: StallCheckForm, result: checks.StallCheck | None, may_record):
    account = result.account if result else None
    scanned_bank = (
        directory.by_bin(result.decoded.transfer.bin) if result and result.decoded else None
    )
    return render_template(
        "placards/check_stall.html",
        stall=stall,
        market=stall.market,
        form=form,
        result=result,
        may_record=may_record,
        scanned_bank=scanned_bank,
        holder_shown=bool(
            account
            and (
                can_see_account_number(current_user, account)
                or current_user.role == Role.MARKET_MANAGER
            )
        ),
        may_manage=policy.may(Action.REVOKE, current_user, placard=result.placard)
        if result and result.placard and result.placard.stall_id == stall.id
        else False,
    )


def _check_answer(result: checks.StallCheck, form: StallCheckForm) -> dict[str, Any]:
    """What a recorded check answers as JSON: the verdict, in the words of the page."""
    stall = result.stall
    outcome = checks.VISIT_OUTCOME[result.verdict]
    check_url = url_for("placards.check_stall", stall_id=stall.id)
    following = (
        url_for(
            "markets.walk_next", code=stall.market.code, stall_id=stall.id, ds=form.walk_list.data
        )
        if form.walk_list.data
        else check_url
    )
    message = f"{CHECK_RESULT_LABELS[outcome]}."
    if result.is_wrong_code:
        message += " " + _(
            "Khách chuyển theo mã này sẽ trả tiền cho người khác: gỡ mã, dán lại đúng bảng "
            "của sạp và báo ban quản lý chợ."
        )
    elif result.verdict == checks.OUTDATED:
        message += " " + _("Gỡ bảng cũ và dán bảng mới nhất của sạp.")
    visit = result.visit
    return {
        "check": {
            "verdict": result.verdict,
            "matches": result.verdict == checks.MATCHES,
            "wrong_code": result.is_wrong_code,
            "visit_id": visit.id if visit else None,
            "visited_on": visit.visited_on.isoformat() if visit else None,
            "url": check_url,
        },
        "stall": {"id": stall.id, "code": stall.code, "status": current_status(stall)},
        "message": message,
        "next": following,
    }


# --- a scan sent by the offline queue -------------------------------------------------------


def _answer_queued_check(stall_id: int):
    """201 with :func:`_check_answer`, or a refusal (``market4.queued``), as
    ``markets.visits`` answers a queued outcome (docs/offline.md)."""
    return queued.answer_once(current_user.id, lambda: _record_queued_check(stall_id))


def _record_queued_check(stall_id: int):
    try:
        stall = _readable_stall(stall_id)
    except HTTPNotFound:
        return queued.stall_not_found()
    if not policy.may(Action.CHECK_CODE, current_user, stall=stall):
        return queued.refusal("forbidden", _("Bạn không còn quyền ghi kiểm tra tại sạp này."), 403)
    form = StallCheckForm()
    if not form.validate_on_submit():
        return queued.form_refusal(form)
    try:
        result = checks.check_posted_code(
            stall,
            form.payload.data,
            actor=current_user,
            note=form.note.data,
            observed_at=form.observed_at.data,
        )
    except DomainError as error:
        return queued.domain_refusal(error)
    if result.verdict == checks.INVALID:
        message = _(
            "Mã đã quét không phải mã VietQR chuyển khoản (%(detail)s); hãy quét lại tại sạp.",
            detail=result.detail,
        )
        error = {"field": "payload", "message": message, "code": "invalid_payload"}
        return queued.refusal("invalid_payload", message, 422, [error])
    return _check_answer(result, form), 201


# --- print jobs: many markets in one run ------------------------------------------------


def _job_areas() -> list[tuple[str, str]]:
    """The form's choice of markets: the whole scope, or one province of it."""
    scope_query = markets_query(current_user)
    everything = _("Mọi chợ bạn được in (%(n)s chợ)", n=_count(scope_query))
    provinces = jobs.provinces_with_markets(scope_query)
    return [("", everything), *((str(unit.id), unit.full_name) for unit in provinces)]


def _count(query) -> str:
    return vn_number(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _jobs_page(form: PrintJobForm, status: int = 200):
    return render_template(
        "placards/jobs.html", form=form, jobs=jobs.visible_jobs(current_user)
    ), status


@bp.get("/in-lo")
@role_required(*PRINTERS)
def print_jobs():
    return _jobs_page(PrintJobForm(formdata=None, areas=_job_areas()))


@bp.post("/in-lo")
@role_required(*PRINTERS)
def start_print_job():
    form = PrintJobForm(areas=_job_areas())
    if not form.validate_on_submit():
        return _jobs_page(form, 400)
    query = markets_query(current_user)
    title = _("Mọi chợ")
    if form.area.data:
        area = db.get_or_404(AdminUnit, int_arg(form.area.data))
        query, title = restrict_markets_to_area(query, area), area.full_name
    try:
        job = jobs.create_job(
            jobs.markets_in_order(query),
            actor=current_user,
            title=title,
            layout=form.layout.data,
            cover_page=form.cover_page.data,
            include_current=form.include_current,
        )
        queued = jobs.dispatch(job)
    except DomainError as error:
        unit_of_work.discard()
        flash(_(error.message), "error")
        return redirect(url_for("placards.print_jobs"))
    if queued:
        flash(_("Đã xếp lượt in vào hàng chờ; trang này tự cập nhật tiến độ."), "success")
    return redirect(url_for("placards.print_job", job_id=job.id), 303)


def _job_of_user(job_id: int) -> PrintJob:
    job = db.get_or_404(PrintJob, job_id)
    if not jobs.may_follow(current_user, job):
        abort(404)
    return job


@bp.get("/in-lo/<int:job_id>")
@role_required(*PRINTERS)
def print_job(job_id: int):
    job = _job_of_user(job_id)
    return render_template(
        "placards/job.html",
        job=job,
        has_zip=jobs.zip_path(job).is_file(),
        files_removed=jobs.files_removed(job),
        running=job.status in (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING)
        and not job.is_stale(),
    )


@bp.post("/in-lo/<int:job_id>/dung")
@role_required(*PRINTERS)
def cancel_print_job(job_id: int):
    job = _job_of_user(job_id)
    try:
        jobs.cancel(job)
    except DomainError as error:
        unit_of_work.discard()
        flash(_(error.message), "error")
    else:
        flash(_("Lượt in sẽ dừng sau chợ đang in; các chợ đã in vẫn tải về được."), "success")
    return redirect(url_for("placards.print_job", job_id=job_id), 303)


@bp.post("/in-lo/<int:job_id>/tiep-tuc")
@role_required(*PRINTERS)
def resume_print_job(job_id: int):
    job = _job_of_user(job_id)
    try:
        jobs.prepare_resume(job)
        jobs.dispatch(job)
    except DomainError as error:
        unit_of_work.discard()
        flash(_(error.message), "error")
    return redirect(url_for("placards.print_job", job_id=job_id), 303)


@bp.get("/in-lo/<int:job_id>/tai-ve")
@role_required(*PRINTERS)
def download_print_job(job_id: int):
    job = _job_of_user(job_id)
    path = jobs.zip_path(job)
    if not path.is_file():
        abort(404)
    # Streamed from disk in chunks: a province's ZIP is hundreds of megabytes.
    response = Response(_chunks(path), mimetype="application/zip")
    response.headers.set("Content-Disposition", "attachment", filename=jobs.download_name(job))
    response.headers["Content-Length"] = str(path.stat().st_size)
    return response


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as file:  # opened only when the body is sent
        while chunk := file.read(size):
            yield chunk
