"""``market4 demo national``, scaled down: a consistent country, repeatable from a seed.

PostgreSQL only (it loads with COPY); SQLite is refused with a one-line error.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text

from market4 import create_app
from market4.dashboard.activity import paid_by_qr
from market4.dashboard.queries import acceptance_figures
from market4.demo import national
from market4.errors import Conflict
from market4.extensions import db
from market4.registry.activity import PaymentActivity
from market4.registry.markets import Market, Stall
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from tests.conftest import migrate_to_head

DAY = date(2026, 11, 23)
OCTOBER = date(2026, 10, 1)


def built(url: str, *, seed: int = 7, scale: float = 0.002) -> tuple[object, dict]:
    migrate_to_head(url)
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        summary = national.build(scale=scale, seed=seed, today=DAY)
        figures = acceptance_figures(on=DAY)
        paid = paid_by_qr(select(Market), on=DAY)
        facts = {
            "paid": (paid.month, paid.stalls_paid),
            # The rule of "paid by QR", counted from the reports themselves: one account
            # per vendor, one stall per vendor, no stall closed.
            "paid_from_reports": db.session.scalar(
                select(func.count(func.distinct(Occupancy.stall_id)))
                .join(PaymentAccount, PaymentAccount.vendor_id == Occupancy.vendor_id)
                .join(PaymentActivity, PaymentActivity.payment_account_id == PaymentAccount.id)
                .where(PaymentActivity.month == OCTOBER, PaymentActivity.received.is_(True))
            ),
            "reports": db.session.scalar(select(func.count()).select_from(PaymentActivity)),
            "months": db.session.scalars(
                select(PaymentActivity.month).distinct().order_by(PaymentActivity.month)
            ).all(),
            "summary": summary,
            "figures": (figures.markets_total, figures.stalls_total, figures.stalls_accepting),
            "markets": db.session.execute(
                select(Market.code, Market.kind, Market.market_class, Market.commune_id).order_by(
                    Market.code
                )
            ).all(),
            "stall_count": db.session.scalar(select(func.count()).select_from(Stall)),
            "vendors_without_account": db.session.scalar(
                select(func.count())
                .select_from(Vendor)
                .where(~Vendor.accounts.any(PaymentAccount.is_on_placard.is_(True)))
            ),
            "vendors_without_stall": db.session.scalar(
                select(func.count())
                .select_from(Vendor)
                .where(~select(Occupancy.id).where(Occupancy.vendor_id == Vendor.id).exists())
            ),
            "without_legacy_district": db.session.scalar(
                select(func.count()).select_from(Market).where(Market.legacy_district_id.is_(None))
            ),
            "analyzed": db.session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'stalls' "
                    "AND last_analyze IS NOT NULL"
                )
            ),
        }
        with pytest.raises(Conflict, match="đã có chợ"):  # never over an existing registry
            national.build(scale=scale, seed=seed, today=DAY)
        db.session.rollback()
        db.engine.dispose()
    return summary, facts


def test_a_small_country_is_consistent_and_repeatable(postgres_databases):
    summary, facts = built(postgres_databases.create("national_a"))
    assert summary.markets == 22 and summary.stalls == facts["stall_count"]
    kinds = {kind for _, kind, _, _ in facts["markets"]}
    assert "traditional" in kinds
    assert {cls for _, kind, cls, _ in facts["markets"] if kind != "traditional"} == {None}
    markets_total, stalls_total, accepting = facts["figures"]
    assert (markets_total, stalls_total) == (22, summary.stalls)
    assert 0 < accepting < stalls_total
    assert facts["vendors_without_account"] == 0 and facts["vendors_without_stall"] == 0
    assert facts["without_legacy_district"] == 0  # every market keeps its former district
    assert facts["analyzed"] == 1
    # Six finished months of bank reports, read back through the rollup as "paid by QR".
    assert facts["months"] == [date(2026, month, 1) for month in range(5, 11)]
    assert facts["reports"] == summary.reports > 0
    assert facts["paid"] == (OCTOBER, facts["paid_from_reports"])
    assert 0 < facts["paid_from_reports"] < accepting
    _, again = built(postgres_databases.create("national_b"))
    assert again["markets"] == facts["markets"] and again["figures"] == facts["figures"]
    assert again["paid"] == facts["paid"] and again["reports"] == facts["reports"]


def test_it_refuses_sqlite(new_database, backend):
    if backend != "sqlite":
        pytest.skip("the SQLite refusal is checked on SQLite")
    url = new_database("national")
    migrate_to_head(url)
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    with app.app_context(), pytest.raises(Conflict, match="PostgreSQL"):
        national.build(scale=0.001)


def test_it_asks_for_setup_on_a_database_without_tables(postgres_databases):
    url = postgres_databases.create("national_empty")
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo", "national", "--scale", "0.001"])
        db.engine.dispose()  # an open connection left to the collector fails a later test
    assert result.exit_code == 1
    assert "market4 setup" in result.output
    # Refused with a message, not an escaped exception (the runner keeps a traceback out
    # of the output, so only the exception it caught can tell the two apart).
    assert isinstance(result.exception, SystemExit)
