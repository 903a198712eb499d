"""``market4 vendors import FILE --bank BIN [--org ID] [--dry-run] [--strict] [--report OUT]``

- Valid rows are written and invalid/duplicate rows are skipped and listed, unless
  ``--strict``: then nothing is written when any row is invalid or duplicate.
  ``--dry-run`` only validates (the batch is kept as "previewed").
- Exit status: 0 every row was valid (and written unless --dry-run); 1 some rows are
  invalid or duplicate (listed; valid rows written unless --dry-run/--strict);
  2 the file or the request was refused (one line on stderr), nothing stored;
  3 writing failed and was rolled back (the batch is kept as "failed").
- Without ``--org`` the import runs as the system ("cli" channel, no organisation):
  accounts are not marked as verified by a bank. With ``--org`` it acts for that
  organisation (a bank branch only at its own BIN).
- By importing, the operator confirms that every vendor in the file agreed to the
  processing of their data (Law 91/2025), as on the web form.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from market4 import unit_of_work
from market4.auth.models import Organisation
from market4.errors import DomainError
from market4.extensions import db
from market4.vocabulary import BatchStatus

MAX_ERRORS_SHOWN = 200


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--bank", "bank_bin", required=True, help="BIN of the bank the accounts are at, e.g. 970405."
)
@click.option(
    "--org", "organisation_id", type=int, default=None, help="Organisation id to act for."
)
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--strict", is_flag=True, help="Write nothing if any row is invalid or duplicate.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the per-row report to OUT.csv or OUT.xlsx.",
)
@unit_of_work.cli_command
def import_command(
    file: Path,
    bank_bin: str,
    organisation_id: int | None,
    dry_run: bool,
    strict: bool,
    report_path: Path | None,
) -> None:
    """Import vendors from FILE (xlsx or csv) — see the module docstring for exit codes."""
    from market4.imports import report, services

    if report_path is not None and report_path.suffix.lower() not in (".csv", ".xlsx"):
        _refuse("--report must end in .csv or .xlsx")
    organisation = None
    if organisation_id is not None:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            _refuse(f"no organisation with id {organisation_id}")
    try:
        # --strict must see the summary before anything is written: preview, then commit.
        batch = services.import_vendors(
            file.read_bytes(),
            file.name,
            bank_bin=bank_bin,
            organisation=organisation,
            actor=None,
            dry_run=dry_run or strict,
            channel="cli",
        )
        rejected = batch.summary.get("invalid", 0) + batch.summary.get("duplicate", 0)
        if strict and not dry_run and not rejected:
            services.commit_batch(batch, organisation=organisation, actor=None, channel="cli")
    except DomainError as error:
        _refuse(error.message)
    # The batch is the record of this import, kept whatever the exit status says of its rows.
    unit_of_work.keep_despite_refusal()

    summary = batch.summary
    click.echo(
        f"Lô nhập #{batch.id} ({batch.file_format}): {summary['rows']} dòng — "
        f"tạo mới {summary['create']}, cập nhật {summary['update']}, không đổi {summary['unchanged']}, "
        f"không hợp lệ {summary['invalid']}, trùng {summary['duplicate']}."
    )
    problems = [
        (row.row_number, error)
        for row in batch.rows
        for error in row.errors or []
        if error.get("severity") == "error"
    ]
    for row_number, error in problems[:MAX_ERRORS_SHOWN]:
        click.echo(
            f"  dòng {row_number}, cột {report.COLUMN_LABELS.get(error['column'], error['column'])}: "
            f"{error['message']}"
        )
    if len(problems) > MAX_ERRORS_SHOWN:
        click.echo(f"  … và {len(problems) - MAX_ERRORS_SHOWN} lỗi khác (xem báo cáo).")
    if report_path is not None:
        data = (
            report.report_xlsx(batch)
            if report_path.suffix.lower() == ".xlsx"
            else report.report_csv(batch)
        )
        report_path.write_bytes(data)
        click.echo(f"Báo cáo: {report_path}")
    if batch.status == BatchStatus.FAILED:
        click.echo(f"THẤT BẠI — đã hoàn tác, không ghi dòng nào: {batch.error}", err=True)
        sys.exit(3)
    if batch.status == BatchStatus.COMMITTED:
        click.echo("Đã ghi vào hệ thống.")
    elif dry_run:
        click.echo("Chạy thử (--dry-run): chưa ghi gì.")
    else:
        click.echo("--strict: tệp có dòng lỗi nên chưa ghi gì.")
    sys.exit(1 if rejected else 0)


def _refuse(message: str) -> None:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(2)
