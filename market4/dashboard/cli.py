"""``market4 stats``: the acceptance figures for the whole database."""

from __future__ import annotations

import json
import time
from datetime import date

import click

from market4.dashboard.queries import acceptance_figures
from market4.formatting import vn_date, vn_percent
from market4.registry import market_days
from market4.unit_of_work import cli_command


@click.group("stats", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
    help="Figures as they stood on this date (default: today).",
)
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool, on) -> None:
    """Markets, stalls and how many accept cashless payment."""
    if ctx.invoked_subcommand is not None:
        return
    figures = acceptance_figures(on=on.date() if on else None)
    if as_json:
        click.echo(json.dumps(figures.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(_summary(figures.on, figures))
    if figures.markets:
        click.echo()
        click.echo(_market_table(figures))


@stats_command.command("rebuild")
@cli_command
def rebuild_command() -> None:
    """Recompute the figures' rollup tables from the stalls and their history.

    The app keeps them in step itself; this is for rows written around it (SQL by hand,
    a COPY), after which the figures would otherwise be stale.
    """
    started = time.monotonic()
    market_days.rebuild()
    click.echo(f"Figures rebuilt from the history in {time.monotonic() - started:.1f} s.")


def _summary(day: date, figures) -> str:
    # Plain integers, so the numbers can be grepped and compared with reports.
    return "\n".join(
        [
            f"Số liệu ngày {vn_date(day)}",
            f"  Chợ: {figures.markets_total} "
            f"({figures.markets_cashless} chợ trong chương trình chợ 4.0)",
            f"  Sạp/tiểu thương đang hoạt động: {figures.stalls_total}",
            f"  Chấp nhận thanh toán không dùng tiền mặt: {figures.stalls_accepting} "
            f"({vn_percent(figures.rate)})",
        ]
    )


def _market_table(figures) -> str:
    width = max(len(m.name) for m in figures.markets)
    lines = [f"{'Mã chợ':<24} {'Tên chợ':<{width}} {'4.0':>3} {'Sạp':>6} {'QR':>6} {'Tỉ lệ':>7}"]
    for m in figures.markets:
        lines.append(
            f"{m.code:<24} {m.name:<{width}} {'x' if m.in_programme else '':>3} "
            f"{m.stalls_total:>6} {m.stalls_accepting:>6} {vn_percent(m.rate):>7}"
        )
    return "\n".join(lines)
