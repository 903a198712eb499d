"""``market4 stats``: the acceptance figures for the whole database."""

from __future__ import annotations

import json
from datetime import date

import click

from market4.dashboard.queries import acceptance_figures
from market4.formatting import vn_date, vn_percent


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
    help="Figures as they stood on this date (default: today).",
)
def stats_command(as_json: bool, on) -> None:
    """Markets, stalls and how many accept cashless payment."""
    figures = acceptance_figures(on=on.date() if on else None)
    if as_json:
        click.echo(json.dumps(figures.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(_summary(figures.on, figures))
    if figures.markets:
        click.echo()
        click.echo(_market_table(figures))


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
