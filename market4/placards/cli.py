"""``market4 placards``: print placards from the registry, list reprints, revoke a placard.

    market4 placards render --market CD-NGAIGIAO [--stall "Sạp 12"] [--layout a4x4]
                            [--include-current [--confirm-superseding N]] [--preview]
                            [--cover/--no-cover] [--ec Q] -o bang-ma.pdf
    market4 placards render --all -o huyen.pdf
    market4 placards reprint-list --market CD-NGAIGIAO
    market4 placards revoke P0000123 --reason "mất bảng"

The commands call the same services as the web pages and commit once. A market is
printed for the stalls that need a placard (never printed, outdated or lost), as on the
web; ``--include-current`` re-issues current placards too, and when that would
supersede placards already posted on stalls it exits 2 saying how many, until
``--confirm-superseding N`` repeats that number. ``--preview`` writes a "MẪU" sample
without a payable QR and issues nothing. Input the operator can fix (unknown market or
stall, a layout whose QR modules would be too small) exits 2 with one ``error:`` line
and leaves the database unchanged. Nothing to print (every placard current) is not an
error: a message on stderr, exit 0, no file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NoReturn

import click
from flask_babel import gettext
from sqlalchemy import select

from market4.domain.placard_layout import PRINT_EC_LEVEL, PlacardLayoutError
from market4.domain.qr_matrix import QrEncodingError
from market4.errors import DomainError
from market4.extensions import db
from market4.placards import printing, services
from market4.registry.markets import Market, Stall
from market4.registry.placards import Placard
from market4.registry.stalls import find_stall
from market4.unit_of_work import cli_command
from market4.vocabulary import PlacardLayout

__all__ = ["placards_group"]

INVALID_INPUT_EXIT = 2
CHANNEL = "cli"


def _fail(message: str, code: int = INVALID_INPUT_EXIT) -> NoReturn:
    # A non-zero exit: the unit of work (cli_command) discards what a refused service flushed.
    click.echo(f"error: {message}", err=True)
    click.get_current_context().exit(code)


def _market(code: str) -> Market:
    market = db.session.scalar(select(Market).where(Market.code == code))
    if market is None:
        _fail(f"unknown market {code!r}")
    return market


@click.group("placards")
def placards_group() -> None:
    """VietQR placards: print from the registry, reprint list, revoke."""


@placards_group.command("render")
@click.option("--market", "market_code", help="Market code, e.g. CD-NGAIGIAO.")
@click.option(
    "--stall", "stall_code", help='Only this stall of --market (its code, e.g. "Sạp 12").'
)
@click.option(
    "--all", "all_markets", is_flag=True, help="Every stall with a placard account, all markets."
)
@click.option(
    "--layout",
    type=click.Choice([layout.value for layout in PlacardLayout]),
    help="Paper: a6/a5/a4 one per page, a4x2/a4x4 two/four per A4 [default: a4x4, a6 with --stall].",
)
@click.option(
    "--include-current",
    is_flag=True,
    help="Also re-issue placards that are current (default: only stalls that need one).",
)
@click.option(
    "--only-outdated", is_flag=True, hidden=True, help="The default; kept for old scripts."
)
@click.option(
    "--confirm-superseding",
    type=click.IntRange(min=0),
    default=0,
    help="The number of posted placards you agree to supersede (the run says how many).",
)
@click.option(
    "--preview", is_flag=True, help="A 'MẪU' sample without a payable QR; issues nothing."
)
@click.option(
    "--cover/--no-cover",
    default=None,
    help="Cover list with a column to sign on posting [default: on, off with --stall].",
)
@click.option(
    "--ec",
    "ec_level",
    type=click.Choice(["M", "Q", "H"], case_sensitive=False),
    default=PRINT_EC_LEVEL,
    show_default=True,
    help="QR error-correction level.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="PDF file to write.",
)
@cli_command
def render_command(
    market_code: str | None,
    stall_code: str | None,
    all_markets: bool,
    layout: str | None,
    include_current: bool,
    only_outdated: bool,
    confirm_superseding: int,
    preview: bool,
    cover: bool | None,
    ec_level: str,
    output: Path,
) -> None:
    """Issue placards (new serials, earlier ones superseded) and write them as one PDF."""
    if all_markets == bool(market_code):
        _fail("give either --market CODE or --all")
    if stall_code and not market_code:
        _fail("--stall needs --market")
    single = bool(stall_code)
    options = dict(
        layout=layout or ("a6" if single else "a4x4"),
        cover_page=(not single) if cover is None else cover,
        only_outdated=not (include_current or single),
        ec_level=ec_level.upper(),
    )
    try:
        if all_markets:
            stalls = printing.stalls_with_placard_accounts()
        else:
            market = _market(market_code)
            stalls = list(db.session.scalars(select(Stall).where(Stall.market_id == market.id)))
            options["title"] = f"Bảng mã VietQR – {market.name}"
            if single:
                stall = find_stall(market, stall_code)
                if stall is None:
                    _fail(f"unknown stall {stall_code!r} in market {market.code}")
                stalls = [stall]
        if preview:
            output.write_bytes(printing.preview_stalls(stalls, **options))
            click.echo(f"preview (no serials issued, nothing recorded) -> {output}")
            return
        result = printing.print_stalls(
            stalls,
            actor=None,
            channel=CHANNEL,
            group_by_market=all_markets,
            confirm_superseding=confirm_superseding,
            **options,
        )
    except (PlacardLayoutError, QrEncodingError) as error:
        _fail(str(error))
    except printing.PayloadMismatch as error:
        _fail(error.message, code=1)
    except DomainError as error:
        if error.code == "nothing_to_print":  # every placard current
            click.echo(f"{error.message} Nothing written.", err=True)
            return
        if error.code == "confirm_superseding":
            _fail(
                f"this run would supersede {error.details['posted']} placards posted on stalls; nothing "
                f"written. Repeat with --confirm-superseding {error.details['posted']} to print anyway."
            )
        _fail(error.message)
    output.write_bytes(result.pdf)
    click.echo(_summary(result, output))
    for stall, reason in result.skipped:
        click.echo(f"  bỏ qua {stall.market.code} / {stall.code}: {gettext(reason)}")


def _summary(result: printing.PrintResult, output: Path) -> str:
    serials = (
        f" ({result.placards[0].serial}–{result.placards[-1].serial})" if result.placards else ""
    )
    line = (
        f"{len(result.placards)} placards{serials}, {result.pages} pages, "
        f"{len(result.superseded)} superseded, {len(result.skipped)} skipped"
    )
    if result.skipped:
        reasons = Counter(reason for _, reason in result.skipped)
        line += (
            " (" + "; ".join(f"{reason}: {count}" for reason, count in reasons.most_common()) + ")"
        )
    return f"{line} -> {output}"


@placards_group.command("reprint-list")
@click.option("--market", "market_code", required=True, help="Market code, e.g. CD-NGAIGIAO.")
def reprint_list_command(market_code: str) -> None:
    """Stalls whose placard is missing, outdated or lost, in print order."""
    market = _market(market_code)
    rows = [row for row in printing.market_overview(market) if row.reprint_reason]
    for row in rows:
        zone = " / ".join(part for part in (row.stall.zone, row.stall.row) if part)
        vendor = row.vendor.display_name if row.vendor else ""
        click.echo(f"{row.stall.code}\t{zone}\t{vendor}\t{gettext(row.reprint_reason)}")
    click.echo(f"{len(rows)} stalls need a placard in {market.code}", err=True)


@placards_group.command("revoke")
@click.argument("serial")
@click.option(
    "--reason", required=True, help="Why: lost, swapped (a fake QR stuck over it), or other text."
)
@cli_command
def revoke_command(serial: str, reason: str) -> None:
    """Revoke a lost or swapped placard: inspectors will flag it from now on."""
    placard = db.session.scalar(select(Placard).where(Placard.serial == serial.strip()))
    if placard is None:
        _fail(f"unknown placard serial {serial!r}")
    try:
        services.revoke_placard(placard, reason=reason, actor=None, channel=CHANNEL)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"revoked {placard.serial} ({placard.stall.market.code} / {placard.stall.code})")
