"""A file of monthly QR payment reports: read, checked and shown, then written at once.

The file is read by the vendor import's reader (:func:`market4.imports.reading.read_table`:
CSV in UTF-8, UTF-16 or Windows-1258, or XLSX; size, row and structure limits; headers
matched without diacritics or case), with the columns of :data:`LAYOUT`. Every row is
checked by :func:`market4.activity.services.check_reports`, the API's rules, and kept
with its errors by column in an :class:`ActivityUpload`. The confirm writes the rows
only when none has an error (all or nothing, as the API), after checking them again
against the registry as it is then.

A column the layout does not know (an amount, a customer name) is read past and never
stored; the preview names it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from flask_babel import lazy_gettext as _l

from market4.activity.models import ActivityUpload
from market4.activity.services import (
    CheckedReport,
    ReportInput,
    ReportSummary,
    check_reports,
    write_reports,
)
from market4.auth.models import User
from market4.db import now_utc
from market4.errors import Conflict, FieldError, ValidationFailed
from market4.extensions import db
from market4.imports.reading import ACCOUNT_NUMBER_ALIASES, BANK_ALIASES, TableLayout, read_table
from market4.vocabulary import ActivitySource, BatchStatus

__all__ = ["COLUMN_LABELS", "LAYOUT", "commit_upload", "preview_upload", "template_csv"]

# The file format: column key -> header of the template (Vietnamese in every locale).
COLUMN_LABELS: dict[str, str] = {
    "bank": "Ngân hàng",
    "account_number": "Số tài khoản / số thẻ",
    "month": "Tháng",
    "received": "Có nhận tiền qua QR",
    "count_band": "Số giao dịch QR",
}
LAYOUT = TableLayout(
    labels=COLUMN_LABELS,
    required=("account_number", "month"),
    aliases={
        "bank": BANK_ALIASES,
        "account_number": ACCOUNT_NUMBER_ALIASES,
        "month": ("thang", "thang bao cao", "ky bao cao", "month", "period"),
        "received": (
            "nhan tien qua qr",
            "co nhan qr",
            "da nhan qr",
            "nhan qr",
            "received",
            "received qr",
            "paid by qr",
        ),
        "count_band": (
            "so giao dich",
            "so giao dich qr",
            "khoang so giao dich",
            "count band",
            "band",
            "transactions",
        ),
    },
)
# Which column of the file each of the service's fields comes from.
_COLUMN_OF = {"bank_bin": "bank"}


def template_csv() -> bytes:
    """The header row, UTF-8 with a BOM so that Excel on Windows reads the diacritics."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(COLUMN_LABELS.values())
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def preview_upload(content: bytes, filename: str, *, actor: User) -> ActivityUpload:
    """Read and check a file; the upload is added (and flushed) with every row and its
    errors. Nothing is reported yet.

    Raises before anything is stored: ``ImportFileError`` (the file is refused: type,
    encoding, size, rows, missing columns), ``PermissionDenied`` (the actor may not report).
    """
    sheet = read_table(content, filename, LAYOUT)
    inputs = [_input(row.values) for row in sheet.rows]
    checked = check_reports(inputs, actor=actor, positions=[row.row_number for row in sheet.rows])
    upload = ActivityUpload(
        organisation_id=actor.organisation_id,
        user_id=actor.id,
        filename=(filename or "bao-cao-qr")[-255:],
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_format=sheet.file_format,
        status=BatchStatus.PREVIEWED,
        rows=[_stored(report) for report in checked],
        summary=_summary(checked),
        ignored_columns=list(sheet.ignored_headers),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def commit_upload(upload: ActivityUpload, *, actor: User, channel: str) -> ReportSummary:
    """Write every row of a checked upload, or none.

    ``Conflict`` when it was written already or its check found errors;
    ``ValidationFailed`` (by row and column) when checking again today finds some (an
    account closed to the reporter since, a month that the clock has not reached…).
    """
    if upload.status == BatchStatus.COMMITTED:
        raise Conflict(_l("Tệp báo cáo này đã được ghi vào hệ thống."), code="upload_committed")
    if upload.has_errors:
        raise Conflict(
            _l("Tệp còn dòng chưa hợp lệ: hãy sửa trong tệp rồi tải lên lại."),
            code="upload_has_errors",
        )
    rows = list(upload.rows)
    checked = check_reports(
        [_input(row["values"]) for row in rows],
        actor=actor,
        positions=[row["row"] for row in rows],
    )
    errors = [
        FieldError(
            f"{report.position}.{_COLUMN_OF.get(error.field, error.field)}",
            _l(
                "Dòng %(row)s, cột %(column)s: %(message)s",
                row=report.position,
                column=COLUMN_LABELS[_COLUMN_OF.get(error.field, error.field)],
                message=error.message,
            ),
            error.code,
        )
        for report in checked
        for error in report.errors
    ]
    if errors:
        raise ValidationFailed(errors)
    summary = write_reports(
        checked, actor=actor, source=ActivitySource.CSV, channel=channel, upload_id=upload.id
    )
    upload.status = BatchStatus.COMMITTED
    upload.committed_at = now_utc()
    upload.summary = {**upload.summary, **summary.as_dict()}
    db.session.flush()
    return summary


def errors_by_row(upload: ActivityUpload) -> list[dict[str, Any]]:
    """Every problem of the file: row number, column header, message (for the page,
    the CLI and tests)."""
    return [
        {**error, "row": row["row"], "column": COLUMN_LABELS.get(error["column"], error["column"])}
        for row in upload.rows
        for error in row["errors"]
    ]


def _input(values: dict[str, Any]) -> ReportInput:
    return ReportInput(
        bank=values.get("bank"),
        account_number=values.get("account_number"),
        month=values.get("month"),
        received=values.get("received"),
        count_band=values.get("count_band"),
    )


def _stored(report: CheckedReport) -> dict[str, Any]:
    """A row as the upload keeps it: the values as read (normalised where they were
    valid), and each error with the file's column, in the uploader's language."""
    values = dict(report.values)
    values.pop("bank_bin", None)
    if report.values.get("bank_bin") and not report.for_field("bank_bin"):
        values["bank"] = report.values["bank_bin"]
    return {
        "row": report.position,
        "values": {key: values.get(key) for key in COLUMN_LABELS},
        "errors": [
            {
                "column": _COLUMN_OF.get(error.field, error.field),
                "code": error.code,
                "message": error.message,
            }
            for error in report.errors
        ],
    }


def _summary(checked: list[CheckedReport]) -> dict[str, Any]:
    return {
        "rows": len(checked),
        "invalid": sum(1 for report in checked if report.errors),
        "received": sum(1 for report in checked if report.received and not report.errors),
        "months": sorted({report.values["month"] for report in checked if report.month}),
    }
