"""The per-market rollups equal the figures ranked from the status history, always.

Random stalls open and close, and get status changes out of date order (back-dated,
same-day repeats, before opening, after closing); after each round of writes the rollup
(``market_days``) and the from-history computation must agree on random dates and areas,
and every point of the weekly trend must equal the figure on its day. Tenancies that
overlap, accounts that move on and off the placard: the bank chart's rollup must agree
with the from-history count as well.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import delete, select

from market4.areas.models import SCHEME_2025, AdminUnit
from market4.dashboard.breakdown import counts_by_bin, counts_by_bin_from_history
from market4.dashboard.queries import acceptance_figures, counts_from_history
from market4.dashboard.trends import weekly_trend
from market4.extensions import db
from market4.registry import market_days
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Market, StallStatusChange
from market4.registry.scope import restrict_markets_to_area
from market4.registry.stalls import set_stall_status
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import AccountKind, AccountStatus, StatusReason
from tests import factories

START = date(2025, 1, 1)


def _day(rng: random.Random, span: int = 400) -> date:
    return START + timedelta(days=rng.randrange(span))


def _areas(session) -> list[AdminUnit]:
    factories.banks()
    first = factories.commune("Xã Một")
    second = AdminUnit(
        scheme=SCHEME_2025,
        level="commune",
        code="89999",
        name="Xã Hai",
        division_type="Xã",
        parent_id=first.parent_id,
    )
    session.add(second)
    session.flush()
    province = session.get(AdminUnit, first.parent_id)
    return [first, second, province, factories.commune("Xã Ba")]


def _write_round(rng: random.Random, stalls: list, markets: list[Market]) -> None:
    for _ in range(12):
        stalls.append(factories.stall(rng.choice(markets), opened_on=_day(rng)))
    for stall in rng.sample(stalls, k=min(5, len(stalls))):
        stall.closed_on = rng.choice([None, _day(rng), stall.opened_on])
    for _ in range(60):
        stall = rng.choice(stalls)
        set_stall_status(
            stall,
            rng.choice([ACCEPTING, NOT_ACCEPTING]),
            reason=StatusReason.PLACARD_POSTED,
            on=_day(rng),
        )
    _tenancies(rng, stalls)
    for stall in rng.sample(stalls, k=min(6, len(stalls))):  # same day: the later row wins
        day = _day(rng)
        for status in rng.sample([ACCEPTING, NOT_ACCEPTING, ACCEPTING], k=3):
            set_stall_status(stall, status, reason=StatusReason.VERIFIED, on=day)
    db.session.flush()


BANKS = (factories.VCB, factories.AGRIBANK, factories.MOMO)


def _tenancies(rng: random.Random, stalls: list) -> None:
    """Vendors at random stalls for random spans (some overlapping, some nested, some
    open), each with accounts at random banks, on or off the placard, active or closed."""
    for _ in range(15):
        vendor = Vendor(display_name="Tiểu thương", bank_style_name="TIEU THUONG", is_active=True)
        db.session.add(vendor)
        db.session.flush()
        started = _day(rng)
        ended = rng.choice([None, started + timedelta(days=rng.randrange(0, 200))])
        stall = rng.choice(stalls)
        open_tenancy = db.session.scalar(
            select(Occupancy).where(Occupancy.stall_id == stall.id, Occupancy.ended_on.is_(None))
        )
        if ended is None and open_tenancy is not None:
            ended = started + timedelta(days=30)  # one open tenancy per stall
        db.session.add(
            Occupancy(stall_id=stall.id, vendor_id=vendor.id, started_on=started, ended_on=ended)
        )
        bank_bin = rng.choice(BANKS)
        db.session.add(
            PaymentAccount(
                vendor_id=vendor.id,
                bank_bin=bank_bin,
                account_number=factories.account_number(bank_bin),
                holder_name="TIEU THUONG",
                kind=AccountKind.WALLET if bank_bin == factories.MOMO else AccountKind.BANK,
                is_on_placard=rng.random() < 0.8,
                status=rng.choice([AccountStatus.ACTIVE] * 4 + [AccountStatus.CLOSED]),
            )
        )
    db.session.flush()
    for account in rng.sample(list(db.session.scalars(select(PaymentAccount))), k=3):
        account.is_on_placard = not account.is_on_placard and _placard_free(account)
    db.session.flush()


def _placard_free(account: PaymentAccount) -> bool:
    """Whether the vendor has no other active account on the placard (one at most)."""
    return not db.session.scalar(
        select(PaymentAccount.id).where(
            PaymentAccount.vendor_id == account.vendor_id,
            PaymentAccount.id != account.id,
            PaymentAccount.is_on_placard.is_(True),
            PaymentAccount.status == AccountStatus.ACTIVE,
        )
    )


def _check(rng: random.Random, areas: list[AdminUnit], markets: list[Market]) -> None:
    queries = [restrict_markets_to_area(select(Market), area) for area in areas]
    queries += [select(Market), select(Market).where(Market.id == markets[0].id)]
    for _ in range(15):
        day = _day(rng, 450)
        for query in queries:
            ids = query.with_only_columns(Market.id).order_by(None)
            assert market_days.counts_on(day, ids) == counts_from_history(day, ids), (day, query)
            assert sorted(counts_by_bin(day, ids), key=str) == sorted(
                counts_by_bin_from_history(day, ids), key=str
            ), (day, query)
    for area in [*areas, None]:
        until = _day(rng, 450)
        query = restrict_markets_to_area(select(Market), area)
        ids = query.with_only_columns(Market.id).order_by(None)
        on_until = counts_from_history(until, ids).values()
        totals = (sum(t for t, _ in on_until), sum(a for _, a in on_until))
        trend = weekly_trend(query, until, weeks=60)
        assert weekly_trend(query, until, weeks=60, totals_on_until=totals) == trend
        for point in trend:
            counts = counts_from_history(point.day, ids).values()
            assert point.stalls_total == sum(total for total, _ in counts), point
            assert point.stalls_accepting == sum(accepting for _, accepting in counts), point


def test_the_rollup_equals_the_history_on_random_days_and_areas(session):
    rng = random.Random(2026)
    areas = _areas(session)
    markets = [factories.market(area=rng.choice([areas[0], areas[1], areas[3]])) for _ in range(5)]
    stalls: list = []
    for _ in range(4):
        _write_round(rng, stalls, markets)
        _check(rng, areas, markets)
    assert session.scalar(select(StallStatusChange.id).limit(1)) is not None


def test_figures_see_a_change_made_in_the_same_transaction(session):
    stall = factories.stall(opened_on=date(2025, 1, 1))
    area = session.get(AdminUnit, stall.market.commune_id)
    day = date(2025, 6, 1)
    assert acceptance_figures(on=day, area=area).stalls_accepting == 0
    set_stall_status(stall, ACCEPTING, reason=StatusReason.PLACARD_POSTED, on=date(2025, 3, 1))
    assert acceptance_figures(on=day, area=area).stalls_accepting == 1
    # Back-dated behind the change above, so it changes nothing after March.
    set_stall_status(stall, NOT_ACCEPTING, reason=StatusReason.VENDOR_LEFT, on=date(2025, 2, 1))
    assert acceptance_figures(on=day, area=area).stalls_accepting == 1
    assert acceptance_figures(on=date(2025, 2, 15), area=area).stalls_accepting == 0
    stall.closed_on = date(2025, 5, 1)
    assert acceptance_figures(on=day, area=area).stalls_total == 0


def test_a_rebuild_from_scratch_gives_the_same_rows(session):
    rng = random.Random(7)
    factories.banks()
    markets = [factories.market() for _ in range(2)]
    stalls: list = []
    _write_round(rng, stalls, markets)
    ids = [m.id for m in markets]
    kept = _rows(session, ids)
    session.execute(delete(market_days.MarketDay))
    market_days.rebuild()
    assert _rows(session, ids) == kept != []


def _rows(session, market_ids: list[int]) -> list[tuple]:
    market_days.refresh_pending(session)
    day = market_days.MarketDay
    return [
        tuple(row)
        for row in session.execute(
            select(
                day.market_id,
                day.day,
                day.stalls_open,
                day.stalls_accepting,
                day.open_change,
                day.accepting_change,
                day.status_changes,
            )
            .where(day.market_id.in_(market_ids))
            .order_by(day.market_id, day.day)
        )
    ]


def test_the_bank_chart_follows_an_account_leaving_the_placard(session):
    factories.banks()
    registered = factories.registered_vendor(factories.stall(opened_on=date(2025, 1, 1)))
    stall = registered.occupancy.stall
    set_stall_status(stall, ACCEPTING, reason=StatusReason.PLACARD_POSTED, on=date(2025, 3, 1))
    ids = select(Market.id).where(Market.id == stall.market_id)
    day = registered.occupancy.started_on
    assert counts_by_bin(day, ids) == [(factories.VCB, "Vietcombank", False, 1)]
    registered.account.is_on_placard = False  # nothing else changes
    assert counts_by_bin(day, ids) == [(None, None, False, 1)]
    assert counts_by_bin(day, ids) == counts_by_bin_from_history(day, ids)


def test_market4_stats_rebuild_repairs_rows_written_around_the_app(session, runner):
    stall = factories.stall(opened_on=date(2025, 1, 1))
    set_stall_status(stall, ACCEPTING, reason=StatusReason.PLACARD_POSTED, on=date(2025, 3, 1))
    ids = [stall.market_id]
    kept = _rows(session, ids)
    session.execute(delete(market_days.MarketDay))  # as SQL by hand would
    assert market_days.counts_on(date(2025, 6, 1), ids) == {}
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert _rows(session, ids) == kept
    assert market_days.counts_on(date(2025, 6, 1), ids) == {stall.market_id: (1, 1)}
    assert runner.invoke(args=["stats", "--json"]).exit_code == 0
