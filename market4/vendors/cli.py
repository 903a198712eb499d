"""``market4 vendors …``: vendor commands for operators, calling the same services as the web.

``market4 vendors import`` lives with the import feature (``market4.imports.cli``).

``market4 vendors merge KEEP_ID DUPLICATE_ID [--yes]``

- Prints what merging the duplicated record DUPLICATE_ID into KEEP_ID would move and
  which stalls would need a new placard (``vendors.merging``). Without ``--yes``
  nothing is written (exit 0); with it the merge is made and committed ("cli" channel).
- A refused merge (unknown id, same record, inactive or already merged, records that
  share neither phone nor folded name) exits 2 with one ``error:`` line on stderr.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from market4 import unit_of_work
from market4.errors import DomainError
from market4.extensions import db
from market4.formatting import vn_date
from market4.registry.vendors import Vendor
from market4.vocabulary import AccountStatus

if TYPE_CHECKING:
    from market4.vendors.merging import MergePreview


@click.group("vendors")
def vendors_group() -> None:
    """Vendors: import from Excel/CSV, merge duplicated records."""


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
        if account.status != AccountStatus.ACTIVE:
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
