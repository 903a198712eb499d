"""``market4 vendors …``: vendor commands for operators, calling the same services as the web.

``market4 vendors import FILE --bank BIN [--org ID] [--dry-run] [--strict] [--report OUT]``

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

``market4 vendors merge KEEP_ID DUPLICATE_ID [--yes]``

- Prints what merging the duplicated record DUPLICATE_ID into KEEP_ID would move and
  which stalls would need a new placard (``vendors.merging``). Without ``--yes``
  nothing is written (exit 0); with it the merge is made and committed ("cli" channel).
- A refused merge (unknown id, same record, inactive or already merged, records that
  share neither phone nor folded name) exits 2 with one ``error:`` line on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from market4 import unit_of_work
from market4.auth.models import Organisation
from market4.errors import DomainError
from market4.extensions import db
from market4.formatting import vn_date
from market4.registry.vendors import Vendor

if TYPE_CHECKING:
    from market4.vendors.merging import MergePreview

MAX_ERRORS_SHOWN = 200


@click.group("vendors")
def vendors_group() -> None:
    """Tiểu thương: nhập từ Excel/CSV, gộp hồ sơ trùng."""


@vendors_group.command("import")
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
    if batch.status == "failed":
        click.echo(f"THẤT BẠI — đã hoàn tác, không ghi dòng nào: {batch.error}", err=True)
        sys.exit(3)
    if batch.status == "committed":
        click.echo("Đã ghi vào hệ thống.")
    elif dry_run:
        click.echo("Chạy thử (--dry-run): chưa ghi gì.")
    else:
        click.echo("--strict: tệp có dòng lỗi nên chưa ghi gì.")
    sys.exit(1 if rejected else 0)


def _refuse(message: str) -> None:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(2)


# --- merging duplicated records ------------------------------------------------------------


@vendors_group.command("merge")
@click.argument("keep_id", type=int)
@click.argument("duplicate_id", type=int)
@click.option(
    "--yes", is_flag=True, help="Merge and commit; without it only the preview is printed."
)
@unit_of_work.cli_command
def merge_command(keep_id: int, duplicate_id: int, yes: bool) -> None:
    """Merge the duplicated vendor record DUPLICATE_ID into KEEP_ID (preview unless --yes)."""
    from market4.vendors import merging

    keep, duplicate = db.session.get(Vendor, keep_id), db.session.get(Vendor, duplicate_id)
    for vendor_id, vendor in ((keep_id, keep), (duplicate_id, duplicate)):
        if vendor is None:
            _merge_refused(f"no vendor with id {vendor_id}")
    try:
        preview = merging.merge_preview(keep, duplicate)
    except DomainError as error:
        _merge_refused(error.message)
    for line in _preview_lines(preview):
        click.echo(line)
    if not yes:
        click.echo("Chưa ghi gì — chạy lại với --yes để gộp.")
        return
    try:
        result = merging.merge_vendors(keep, duplicate, actor=None, channel="cli")
    except DomainError as error:
        _merge_refused(error.message)
    click.echo(f"Đã gộp hồ sơ #{duplicate_id} vào hồ sơ #{keep_id}.")
    if result.superseded:
        serials = ", ".join(placard.serial for placard in result.superseded)
        click.echo(f"Bảng mã hết hiệu lực: {serials} — in lại (market4 placards reprint-list).")


def _merge_refused(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _who(vendor: Vendor) -> str:
    return f"#{vendor.id} {vendor.display_name} ({vendor.bank_style_name}, {vendor.phone_e164 or 'không có SĐT'})"


def _preview_lines(preview: MergePreview) -> list[str]:
    lines = [f"Giữ lại: {_who(preview.keep)}", f"Gộp vào và ngừng: {_who(preview.duplicate)}"]
    demoted_id = preview.demoted_account.id if preview.demoted_account else None
    lines.append(f"Tài khoản chuyển sang: {len(preview.accounts)}")
    for account in preview.accounts:
        notes = []
        if account.status != "active":
            notes.append("đã ngừng")
        if account.id == demoted_id:
            notes.append("thôi in trên bảng mã")
        elif preview.placard_account is not None and account.id == preview.placard_account.id:
            notes.append("in trên bảng mã")
        lines.append(
            f"  {account.bank_bin} …{account.last4}" + (f" ({', '.join(notes)})" if notes else "")
        )
    lines.append(f"Lượt thuê sạp chuyển sang: {len(preview.occupancies)}")
    for occupancy in preview.occupancies:
        until = vn_date(occupancy.ended_on) if occupancy.ended_on else "hiện tại"
        lines.append(
            f"  {occupancy.stall.code} — {occupancy.stall.market.name} "
            f"({vn_date(occupancy.started_on)} – {until})"
        )
    if preview.import_row_ids:
        lines.append(f"Dòng nhập Excel chuyển sang: {len(preview.import_row_ids)}")
    if "phone" in preview.filled:
        lines.append(f"Bổ sung số điện thoại: {preview.filled['phone']}")
    if "consent_at" in preview.filled:
        lines.append(f"Ngày đồng ý xử lý dữ liệu: {vn_date(preview.filled['consent_at'])}")
    account = preview.placard_account
    lines.append(
        "Tài khoản in trên bảng mã sau khi gộp: "
        + (f"{account.bank_bin} …{account.last4}" if account else "chưa có")
    )
    for placard in preview.superseded_placards:
        lines.append(f"Bảng mã sẽ hết hiệu lực: {placard.serial} ({placard.stall.code})")
    if preview.stalls_to_print:
        codes = "; ".join(
            f"{stall.code} — {stall.market.name}" for stall in preview.stalls_to_print
        )
        lines.append(f"Cần in (lại) bảng mã: {codes}")
    else:
        lines.append("Không cần in lại bảng mã.")
    lines.extend(f"Cảnh báo: {warning.message}" for warning in preview.warnings)
    return lines
