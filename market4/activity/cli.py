"""``market4 activity import FILE --user EMAIL [--dry-run]``: a bank's monthly QR report.

The file is read and checked exactly as on the upload page (``/bao-cao-qr``), as the
user named: a bank partner reports only its own bank's accounts. All or nothing: when
any row is invalid nothing is written and every problem is listed by row and column.

Exit status: 0 every row was valid (and written unless ``--dry-run``); 1 some rows are
invalid (listed; nothing written); 2 the file or the user was refused (one line on
stderr), nothing stored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import func, select

from market4 import unit_of_work
from market4.auth.models import User
from market4.errors import DomainError
from market4.extensions import db

MAX_ERRORS_SHOWN = 200


@click.group("activity")
def activity_group() -> None:
    """Banks' monthly QR payment reports: import a CSV or XLSX file."""


@activity_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", required=True, help="E-mail of the user who reports.")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@unit_of_work.cli_command
def import_command(file: Path, email: str, dry_run: bool) -> None:
    """Report from FILE whether accounts received QR payments, month by month."""
    from market4.activity import uploads
    from market4.activity.services import CREATED, REPLACED, UNCHANGED

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        _refuse(f"no active user with e-mail {email}")
    try:
        upload = uploads.preview_upload(file.read_bytes(), file.name, actor=user)
    except DomainError as error:
        _refuse(error.message)
    summary = upload.summary
    click.echo(
        f"Báo cáo QR #{upload.id} ({upload.file_format}): {summary['rows']} dòng — "
        f"{summary['received']} tài khoản có nhận tiền qua QR, "
        f"{summary['invalid']} dòng chưa hợp lệ."
    )
    problems = uploads.errors_by_row(upload)
    for problem in problems[:MAX_ERRORS_SHOWN]:
        click.echo(f"  dòng {problem['row']}, cột {problem['column']}: {problem['message']}")
    if len(problems) > MAX_ERRORS_SHOWN:
        click.echo(f"  … và {len(problems) - MAX_ERRORS_SHOWN} lỗi khác.")
    if problems:
        # The checked upload is the record of what was refused, like the web page's.
        unit_of_work.keep_despite_refusal()
        click.echo("Tệp có dòng chưa hợp lệ nên chưa ghi gì.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("Chạy thử (--dry-run): chưa ghi gì.")
        return
    try:
        written = uploads.commit_upload(upload, actor=user, channel="cli")
    except DomainError as error:
        _refuse(error.message)
    click.echo(
        f"Đã ghi: {written.count(CREATED)} mới, {written.count(REPLACED)} thay báo cáo cũ, "
        f"{written.count(UNCHANGED)} không đổi."
    )


def _refuse(message: str) -> None:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(2)
