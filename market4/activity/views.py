"""The monthly QR payment report upload (/bao-cao-qr): template, upload → check → write.

Bank partners report on their own bank's accounts; admins on any. A user sees the
uploads of their organisation only (admins: all); any other answers 404.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market4 import unit_of_work
from market4.activity import uploads
from market4.activity.forms import ConfirmForm, UploadForm
from market4.activity.models import ActivityUpload
from market4.activity.services import CREATED, REPLACED, UNCHANGED
from market4.auth.access import role_required
from market4.errors import DomainError, ValidationFailed
from market4.extensions import db
from market4.imports.reading import MAX_BYTES, MAX_ROWS
from market4.registry import scope
from market4.vocabulary import QR_COUNT_BAND_LABELS, QrCountBand, Role

bp = Blueprint("activity", __name__, url_prefix="/bao-cao-qr")

ROLES = (Role.BANK_PARTNER, Role.ADMIN)
ROWS_SHOWN = 200


def _uploads_query():
    return scope.organisation_rows(current_user, ActivityUpload)


def _upload_or_404(upload_id: int) -> ActivityUpload:
    return db.first_or_404(_uploads_query().where(ActivityUpload.id == upload_id))


@bp.route("/", methods=["GET", "POST"])
@role_required(*ROLES)
def index():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            checked = uploads.preview_upload(
                upload.read(MAX_BYTES + 1), upload.filename or "", actor=current_user
            )
        except DomainError as error:
            unit_of_work.discard()
            form.file.errors = [*form.file.errors, error.message]
        else:
            return redirect(url_for("activity.preview", upload_id=checked.id))
    recent = db.session.scalars(_uploads_query().order_by(ActivityUpload.id.desc()).limit(20)).all()
    return render_template(
        "activity/index.html",
        form=form,
        uploads=recent,
        columns=uploads.COLUMN_LABELS,
        bands=[(band.value, QR_COUNT_BAND_LABELS[band]) for band in QrCountBand],
        max_mb=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
    ), (422 if form.errors else 200)


@bp.get("/<int:upload_id>")
@role_required(*ROLES)
def preview(upload_id: int):
    upload = _upload_or_404(upload_id)
    problems = uploads.errors_by_row(upload)
    return render_template(
        "activity/preview.html",
        upload=upload,
        problems=problems[:ROWS_SHOWN],
        problems_total=len(problems),
        rows=[row for row in upload.rows if not row["errors"]][:ROWS_SHOWN],
        confirm=ConfirmForm(),
        band_labels={band.value: label for band, label in QR_COUNT_BAND_LABELS.items()},
        rows_shown=ROWS_SHOWN,
    )


@bp.post("/<int:upload_id>/ghi")
@role_required(*ROLES)
def commit(upload_id: int):
    upload = _upload_or_404(upload_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ hoặc phiên làm việc đã hết hạn, vui lòng thử lại."), "error")
        return redirect(url_for("activity.preview", upload_id=upload.id))
    try:
        summary = uploads.commit_upload(upload, actor=current_user, channel="web")
    except ValidationFailed as error:
        unit_of_work.discard()
        flash(_("Không ghi dòng nào: dữ liệu đã thay đổi từ lúc kiểm tra."), "error")
        for problem in error.errors[:20]:
            flash(problem.message, "error")
        return redirect(url_for("activity.preview", upload_id=upload_id))
    except DomainError as error:
        unit_of_work.discard()
        flash(error.message, "error")
        return redirect(url_for("activity.preview", upload_id=upload_id))
    flash(
        _(
            "Đã ghi báo cáo: %(created)s dòng mới, %(replaced)s dòng thay báo cáo cũ, "
            "%(unchanged)s dòng không đổi.",
            created=summary.count(CREATED),
            replaced=summary.count(REPLACED),
            unchanged=summary.count(UNCHANGED),
        ),
        "success",
    )
    return redirect(url_for("activity.preview", upload_id=upload.id))


@bp.get("/mau.csv")
@role_required(*ROLES)
def template_download():
    return send_file(
        BytesIO(uploads.template_csv()),
        mimetype="text/csv",  # Flask adds "; charset=utf-8"
        as_attachment=True,
        download_name="mau-bao-cao-qr.csv",
    )
