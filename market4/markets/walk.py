"""Walk mode: a market's stalls one after another, in the order the aisles run.

A field team or a market board walks a market to check the posted codes. The walk list
shows the stalls a round is about ("needs a visit" by default), in natural stall-code
order (``registry.ordering``); each stall's step page has the outcome as big buttons,
and recording one goes straight to the next stall of the same list
(``markets.visits.visit`` with ``back=walk``). The rules of which stall needs what are the registry's
(``registry.stalls``), read through ``markets.queries.stall_rows``. Each page names the
next steps for the phone to keep, so the walk goes on without a network
(docs/offline.md).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market4.auth.access import role_required
from market4.db import today
from market4.markets import forms, queries
from market4.markets.views import WRITERS, bp
from market4.registry import scope
from market4.registry.markets import Market
from market4.registry.stalls import PROBLEM_OUTCOMES, VISIT_INTERVAL
from market4.vocabulary import PlacardStatus

# Which stalls a round walks to, and what each list is called.
WALK_LISTS: dict[str, object] = {
    "visit": _l("Cần đến kiểm tra"),
    "placard": _l("Cần in hoặc dán bảng mã"),
    "problem": _l("Lần trước thấy mất, bị dán đè hoặc sai mã"),
    "stale": _l("Chưa kiểm tra trong 90 ngày"),
    "all": _l("Mọi sạp đang mở"),
}
DEFAULT_LIST = "visit"
#: How many stalls of the list a walk page asks the phone to keep ahead of the one shown.
KEEP_AHEAD = 30


def _keeps(which: str) -> Callable[[queries.StallRow], bool]:
    day = today()
    return {
        "visit": lambda row: row.needs_visit,
        "placard": lambda row: (
            row.needs_reprint
            or (row.placard is not None and row.placard.status == PlacardStatus.ISSUED)
        ),
        "problem": lambda row: (
            row.last_visit is not None and row.last_visit.outcome in PROBLEM_OUTCOMES
        ),
        "stale": lambda row: (
            row.vendor is not None
            and (row.last_visit is None or row.last_visit.visited_on <= day - VISIT_INTERVAL)
        ),
        "all": lambda row: True,
    }[which]


def chosen_list(value: str | None) -> str:
    return value if value in WALK_LISTS else DEFAULT_LIST


def walk(market: Market, which: str) -> tuple[list[queries.StallRow], list[queries.StallRow]]:
    """The market's open stalls in walk order, and those of them on list ``which``."""
    everything = [row for row in queries.stall_rows(market) if row.is_open]
    return everything, [row for row in everything if _keeps(which)(row)]


def _ahead(
    everything: list[queries.StallRow], listed: list[queries.StallRow], stall_id: int
) -> list[int]:
    """The stalls of ``listed`` that come after ``stall_id`` in walk order (whether or not
    that stall is still on the list once visited)."""
    order = {row.stall.id: position for position, row in enumerate(everything)}
    here = order.get(stall_id, -1)
    return [row.stall.id for row in listed if order[row.stall.id] > here]


def _after(
    everything: list[queries.StallRow], listed: list[queries.StallRow], stall_id: int
) -> int | None:
    """The stall of ``listed`` that comes after ``stall_id`` in walk order; None at the end."""
    return next(iter(_ahead(everything, listed, stall_id)), None)


def _kept_ahead(code: str, stall_ids: list[int], which: str) -> list[str]:
    """The next steps a phone keeps for walking on offline (docs/offline.md)."""
    return [_step_url(code, stall_id, which) for stall_id in stall_ids[:KEEP_AHEAD]]


def _step_url(code: str, stall_id: int | None, which: str) -> str | None:
    if stall_id is None:
        return None
    return url_for("markets.walk_stall", code=code, stall_id=stall_id, ds=which)


@bp.get("/<code>/di-kiem-tra")
@role_required(*WRITERS)
def walk_list(code: str):
    market = scope.get_market_or_404(current_user, code)
    which = chosen_list(request.args.get("ds"))
    _, rows = walk(market, which)
    return render_template(
        "markets/walk.html",
        market=market,
        rows=rows,
        which=which,
        lists=WALK_LISTS,
        kept_ahead=_kept_ahead(code, [row.stall.id for row in rows], which),
    )


@bp.get("/<code>/di-kiem-tra/<int:stall_id>")
@role_required(*WRITERS)
def walk_stall(code: str, stall_id: int):
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    which = chosen_list(request.args.get("ds"))
    everything, listed = walk(market, which)
    row = next((row for row in everything if row.stall.id == stall.id), None)
    order = [row.stall.id for row in listed]
    position = order.index(stall.id) if stall.id in order else None
    ahead = _ahead(everything, listed, stall.id)
    return render_template(
        "markets/walk_stall.html",
        market=market,
        stall=stall,
        row=row,
        which=which,
        lists=WALK_LISTS,
        position=position,
        count=len(order),
        next_url=_step_url(code, next(iter(ahead), None), which),
        kept_ahead=_kept_ahead(code, ahead, which),
        previous_url=_step_url(code, order[position - 1] if position else None, which),
        visit_form=forms.VisitForm(formdata=None),
    )


@bp.get("/<code>/di-kiem-tra/sau/<int:stall_id>")
@role_required(*WRITERS)
def walk_next(code: str, stall_id: int):
    """Where a visit recorded during a walk goes: the next stall of the list, or the list
    itself (done) after the last one."""
    market = scope.get_market_or_404(current_user, code)
    which = chosen_list(request.args.get("ds"))
    following = _after(*walk(market, which), stall_id)
    if following is None:
        flash(_("Hết danh sách “%(name)s” của chợ này.", name=WALK_LISTS[which]), "success")
        return redirect(url_for("markets.walk_list", code=code, ds=which))
    return redirect(_step_url(code, following, which))
