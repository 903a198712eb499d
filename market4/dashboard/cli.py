"""``market4 stats``: the acceptance and "paid by QR" figures for the whole database."""

from __future__ import annotations

import json
import time
from datetime import date

import click
from sqlalchemy import select

from market4.dashboard.activity import PaidByQr, paid_by_qr, rate
from market4.dashboard.queries import acceptance_figures
from market4.formatting import vn_date, vn_month, vn_percent
from market4.registry import market_days
from market4.registry.activity import month_text
from market4.registry.markets import Market
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
    paid = paid_by_qr(select(Market), on=figures.on)
    if as_json:
        answer = {
            **figures.as_dict(),
            "paid_by_qr_month": month_text(paid.month) if paid.month else None,
            "stalls_paid_by_qr": paid.stalls_paid,
        }
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    click.echo(_summary(figures.on, figures, paid))
    if figures.markets:
        click.echo()
        click.echo(_market_table(figures))


@stats_command.command("rebuild")
@cli_command
def rebuild_command() -> None:
    """Recompute the figures' rollup tables from the stalls, their history and the banks'
    QR payment reports.

    The app keeps them in step itself; this is for rows written around it (SQL by hand,
    a COPY), after which the figures would otherwise be stale.
    """
    started = time.monotonic()
    market_days.rebuild()
    click.echo(f"Figures rebuilt from the history in {time.monotonic() - started:.1f} s.")


def _summary(day: date, figures, paid: PaidByQr) -> str:
    # Plain integers, so the numbers can be grepped and compared with reports.
    paid_line = (
        f"  Nhận tiền qua QR (tháng {vn_month(paid.month)}): {paid.stalls_paid} "
        f"({vn_percent(rate(paid.stalls_paid, figures.stalls_total))})"
        if paid.reported
        else "  Nhận tiền qua QR: chưa có báo cáo của ngân hàng"
    )
    return "\n".join(
        [
            f"Số liệu ngày {vn_date(day)}",
            f"  Chợ: {figures.markets_total} "
            f"({figures.markets_cashless} chợ trong chương trình chợ 4.0)",
            f"  Sạp/tiểu thương đang hoạt động: {figures.stalls_total}",
            f"  Chấp nhận thanh toán không dùng tiền mặt: {figures.stalls_accepting} "
            f"({vn_percent(figures.rate)})",
            paid_line,
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
