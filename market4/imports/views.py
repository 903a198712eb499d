"""Bulk import pages (/nhap-excel): upload → preview → "Ghi vào hệ thống", reports, templates.

Bank partners import for their own bank; admins choose the bank. A user sees only the
batches of their organisation (admins see all); any other batch answers 404.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market4 import unit_of_work
from market4.auth.access import role_required
from market4.banks.models import Bank
from market4.errors import DomainError
from market4.extensions import db
from market4.imports import report, services, template
from market4.imports.forms import ConfirmForm, UploadForm
from market4.imports.reading import COLUMN_LABELS, MAX_BYTES, MAX_ROWS
from market4.registry import scope
from market4.registry.imports import ROW_OUTCOMES, ImportBatch, ImportRow
from market4.vocabulary import BatchStatus, Role

bp = Blueprint("imports", __name__, url_prefix="/nhap-excel")

ROLES = (Role.BANK_PARTNER, Role.ADMIN)
ROWS_SHOWN = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _batches_query():
    return scope.organisation_rows(current_user, ImportBatch)


def _batch_or_404(batch_id: int) -> ImportBatch:
    return db.first_or_404(_batches_query().where(ImportBatch.id == batch_id))


def _fixed_bank() -> Bank | None:
    """A bank partner imports only at their own bank; None for admins (they choose)."""
    if current_user.role == Role.ADMIN:
        return None
    organisation = current_user.organisation
    bank = (
        db.session.get(Bank, organisation.bank_bin)
        if organisation and organisation.bank_bin
        else None
    )
    if bank is None:
        abort(403)
    return bank


@bp.route("/", methods=["GET", "POST"])
@role_required(*ROLES)
def index():
    form = UploadForm(fixed_bank=_fixed_bank())
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = services.import_vendors(
                upload.read(MAX_BYTES + 1),
                upload.filename or "",
                bank_bin=form.bank_bin.data,
                organisation=current_user.organisation,
                actor=current_user,
                dry_run=True,
            )
        except DomainError as error:
            unit_of_work.discard()
            form.file.errors = [*form.file.errors, error.message]
        else:
            return redirect(url_for("imports.preview", batch_id=batch.id))
    batches = db.session.scalars(
        _batches_query().order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(50)
    ).all()
    status = 422 if form.errors else 200
    return render_template(
        "imports/index.html",
        form=form,
        batches=batches,
        max_mb=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
    ), status


@bp.get("/<int:batch_id>")
@role_required(*ROLES)
def preview(batch_id: int):
    batch = _batch_or_404(batch_id)
    sections = {}
    for outcome in ROW_OUTCOMES:
        sections[outcome] = db.session.scalars(
            select(ImportRow)
            .where(ImportRow.batch_id == batch.id, ImportRow.outcome == outcome)
            .order_by(ImportRow.row_number)
            .limit(ROWS_SHOWN)
        ).all()
    return render_template(
        "imports/preview.html",
        batch=batch,
        sections=sections,
        confirm=ConfirmForm(),
        bank=db.session.get(Bank, batch.bank_bin),
        rows_shown=ROWS_SHOWN,
        columns=COLUMN_LABELS,
        outcome_label=report.outcome_label,
        masked=report.masked,
        total_rows=batch.summary.get("rows", 0),
    )


@bp.post("/<int:batch_id>/ghi")
@role_required(*ROLES)
def commit(batch_id: int):
    batch = _batch_or_404(batch_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ hoặc phiên làm việc đã hết hạn, vui lòng thử lại."), "error")
        return redirect(url_for("imports.preview", batch_id=batch.id))
    try:
        services.commit_batch(
            batch, organisation=current_user.organisation, actor=current_user, channel="web"
        )
    except DomainError as error:
        unit_of_work.discard()
        flash(error.message, "error")
        return redirect(url_for("imports.preview", batch_id=batch_id))
    summary = batch.summary
    if batch.status == BatchStatus.COMMITTED and not (
        summary.get("create") or summary.get("add_account") or summary.get("update")
    ):
        flash(_("Không có gì để ghi: các dòng hợp lệ đã có sẵn trong hệ thống."), "info")
    elif batch.status == BatchStatus.COMMITTED:
        flash(
            _(
                "Đã ghi vào hệ thống: %(create)s tiểu thương mới, %(added)s tài khoản thêm cho tiểu thương "
                "đang ở sạp, %(update)s cập nhật.",
                create=summary.get("create", 0),
                added=summary.get("add_account", 0),
                update=summary.get("update", 0),
            ),
            "success",
        )
    else:
        flash(
            _("Ghi thất bại, không dòng nào được ghi: %(error)s", error=batch.error or ""), "error"
        )
    return redirect(url_for("imports.preview", batch_id=batch.id))


@bp.get("/<int:batch_id>/bao-cao.<any(csv, xlsx):extension>")
@role_required(*ROLES)
def report_download(batch_id: int, extension: str):
    batch = _batch_or_404(batch_id)
    data = report.report_xlsx(batch) if extension == "xlsx" else report.report_csv(batch)
    return send_file(
        BytesIO(data),
        mimetype=XLSX if extension == "xlsx" else "text/csv; charset=utf-8",
        as_attachment=True,
        download_name=report.report_filename(batch, extension),
    )


@bp.get("/mau.<any(csv, xlsx):extension>")
@role_required(*ROLES)
def template_download(extension: str):
    data = template.template_xlsx() if extension == "xlsx" else template.template_csv()
    return send_file(
        BytesIO(data),
        mimetype=XLSX if extension == "xlsx" else "text/csv; charset=utf-8",
        as_attachment=True,
        download_name=f"mau-nhap-tieu-thuong.{extension}",
    )


@bp.app_template_filter("import_status")
def import_status(status: str) -> str:
    return {
        "previewed": _("Đã kiểm tra, chưa ghi"),
        "committed": _("Đã ghi"),
        "failed": _("Ghi thất bại, đã hoàn tác"),
    }.get(status, status)
