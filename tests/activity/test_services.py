"""The banks' monthly QR payment reports: who may report what, months, latest wins,
all or nothing, and the "paid by QR" rollup they feed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, inspect, select

from market4.activity import services
from market4.activity.services import ReportInput, check_reports, report_activity
from market4.audit.models import AuditEvent
from market4.errors import PermissionDenied, ValidationFailed
from market4.extensions import db
from market4.registry import activity
from market4.registry.activity import MarketActivityMonth, PaymentActivity
from market4.registry.vendors import Occupancy
from market4.vocabulary import ActivitySource
from tests import factories as f
from tests.rollups import paid_in

TODAY = date(2026, 12, 4)
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("market4.activity.services.today", lambda: TODAY)


@pytest.fixture
def vcb_partner(app):
    return f.user("bank_partner", org=f.organisation(bank_bin=f.VCB))


def vendor_at(stall=None, bank_bin=f.VCB):
    """A vendor registered at ``stall``, trading there since long before the months reported."""
    registered = f.registered_vendor(stall, bank_bin=bank_bin)
    registered.occupancy.started_on = f.LONG_AGO
    db.session.flush()
    return registered


def row(account, month="2026-10", received=True, band="10-49", bank=None):
    return ReportInput(
        bank=bank,
        account_number=account.account_number,
        month=month,
        received=received,
        count_band=band,
    )


def report(actor, rows, source=ActivitySource.API):
    return report_activity(rows, actor=actor, source=source, channel="api")


def reports_stored():
    return db.session.scalar(select(func.count()).select_from(PaymentActivity))


def audit_events(action):
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def test_a_report_is_stored_and_the_latest_one_wins_audited(vcb_partner):
    account = vendor_at().account
    first = report(vcb_partner, [row(account)])
    assert first.as_dict() == {"rows": 1, "created": 1, "replaced": 0, "unchanged": 0}
    stored = db.session.scalar(select(PaymentActivity))
    assert (stored.month, stored.received, stored.count_band, stored.source) == (
        OCTOBER,
        True,
        "10-49",
        "api",
    )
    assert stored.reported_by_id == vcb_partner.id
    assert stored.organisation_id == vcb_partner.organisation_id
    batches = audit_events("report_activity")

    again = report(vcb_partner, [row(account)])
    assert again.outcomes == ["unchanged"]
    assert audit_events("report_activity") == batches  # nothing changed, nothing logged

    later = report(vcb_partner, [row(account, received=False, band=None)], ActivitySource.CSV)
    assert later.outcomes == ["replaced"]
    assert reports_stored() == 1
    db.session.refresh(stored)
    assert (stored.received, stored.count_band, stored.source) == (False, "0", "csv")
    replaced = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "replace_activity_report")
    )
    assert replaced.before["received"] is True and replaced.before["count_band"] == "10-49"
    assert replaced.after["received"] is False and replaced.after["month"] == "2026-10"


def test_no_amount_is_stored_anywhere():
    columns = {column.name for column in inspect(PaymentActivity).columns}
    assert columns == {
        "id",
        "payment_account_id",
        "month",
        "received",
        "count_band",
        "source",
        "organisation_id",
        "reported_by_id",
        "reported_at",
    }


def test_a_bank_reports_only_its_own_accounts_and_learns_nothing_of_others(vcb_partner):
    agribank_account = vendor_at(bank_bin=f.AGRIBANK).account
    checked = check_reports(
        [
            # Another bank's account, named with that bank's BIN: the BIN is refused.
            row(agribank_account, bank=f.AGRIBANK),
            # The same number under our own BIN, and a number that exists nowhere:
            # the same answer, so a partner cannot probe other banks' customers.
            row(agribank_account),
            ReportInput(account_number="1099999999", month="2026-10", received=False),
        ],
        actor=vcb_partner,
    )
    assert [error.code for error in checked[0].errors] == ["other_bank"]
    assert checked[0].errors[0].field == "bank_bin"
    assert [(e.field, e.code) for e in checked[1].errors] == [
        ("account_number", "account_not_found")
    ]
    assert [e.as_dict() for e in checked[1].errors] == [e.as_dict() for e in checked[2].errors]


@pytest.mark.parametrize("role", ["market_manager", "area_staff"])
def test_managers_and_staff_may_not_report(app, role):
    account = vendor_at().account
    kind = "market_board" if role == "market_manager" else "commune_office"
    user = f.user(role, org=f.organisation(kind=kind, bank_bin=None))
    with pytest.raises(PermissionDenied):
        report(user, [row(account, bank=f.VCB)])
    assert reports_stored() == 0


def test_an_admin_reports_any_bank_naming_it(app):
    admin = f.user("admin", org=f.organisation(kind="operator", bank_bin=None))
    account = vendor_at(bank_bin=f.AGRIBANK).account
    missing_bank = check_reports([row(account)], actor=admin)[0]
    assert [(e.field, e.code) for e in missing_bank.errors] == [("bank_bin", "required")]
    by_name = check_reports([row(account, bank="Agribank")], actor=admin)[0]
    assert not by_name.errors and by_name.account_id == account.id


@pytest.mark.parametrize(
    ("month", "code"),
    [
        ("2026-13", "month_format"),
        ("oct 2026", "month_format"),
        ("31/04/2026", "month_format"),  # no such day
        ("2027-01", "month_future"),
        ("2018-09", "month_too_early"),
        ("", "month_format"),
    ],
)
def test_months_out_of_range_or_unreadable_are_refused(vcb_partner, month, code):
    account = vendor_at().account
    checked = check_reports([row(account, month=month)], actor=vcb_partner)[0]
    assert [(e.field, e.code) for e in checked.errors] == [("month", code)]


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2026-10", OCTOBER),
        ("10/2026", OCTOBER),
        ("01/10/2026", OCTOBER),  # a spreadsheet's date cell
        ("2026-12", date(2026, 12, 1)),  # this month so far
        ("2018-10", date(2018, 10, 1)),
    ],
)
def test_months_a_file_may_write(vcb_partner, month, expected):
    account = vendor_at().account
    checked = check_reports([row(account, month=month)], actor=vcb_partner)[0]
    assert not checked.errors and checked.month == expected


@pytest.mark.parametrize(
    ("received", "band", "stored", "code"),
    [
        (True, "10-49", (True, "10-49"), None),
        ("có", "200 +", (True, "200+"), None),
        ("không", None, (False, "0"), None),
        (None, "1–9", (True, "1-9"), None),  # the band says it
        (None, "0", (False, "0"), None),
        (True, None, None, "required"),  # received needs a band
        (False, "50-199", None, "band_mismatch"),
        (True, "0", None, "band_mismatch"),
        (None, None, None, "required"),
        ("maybe", "1-9", None, "invalid_received"),
        (True, "37", None, "invalid_count_band"),  # an exact count is no band
    ],
)
def test_received_and_the_band_must_agree(vcb_partner, received, band, stored, code):
    account = vendor_at().account
    checked = check_reports([row(account, received=received, band=band)], actor=vcb_partner)[0]
    if code is None:
        assert not checked.errors
        assert (checked.received, checked.count_band) == stored
    else:
        assert [e.code for e in checked.errors] == [code]


def test_one_bad_row_refuses_the_whole_report_naming_row_and_field(vcb_partner):
    accounts = [vendor_at().account for _ in range(3)]
    rows = [row(accounts[0]), row(accounts[1], month="2027-02"), row(accounts[2])]
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(ValidationFailed) as refused:
        report(vcb_partner, rows)
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("reports.1.month", "month_future")
    ]
    assert reports_stored() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_the_same_account_and_month_twice_in_one_report_is_refused(vcb_partner):
    account = vendor_at().account
    with pytest.raises(ValidationFailed) as refused:
        report(vcb_partner, [row(account), row(account, month="10/2026", band="1-9")])
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("reports.1.month", "duplicate_row")
    ]


# --- the rollup ---------------------------------------------------------------------------


def rollup(market):
    return {
        (row.month, row.stalls_reported, row.stalls_paid)
        for row in db.session.scalars(
            select(MarketActivityMonth).where(MarketActivityMonth.market_id == market.id)
        )
    }


def test_paid_by_qr_counts_stalls_open_at_month_end_with_a_paid_vendor(vcb_partner):
    market = f.market()
    paid, unpaid, closed, taken_over = (f.stall(market) for _ in range(4))
    paid_account = vendor_at(paid).account
    unpaid_account = vendor_at(unpaid).account
    closed_account = vendor_at(closed).account
    closed.closed_on = date(2026, 10, 31)  # closed on the month's last day: not counted
    leaver = vendor_at(taken_over)
    leaver.occupancy.ended_on = date(2026, 10, 15)
    newcomer = vendor_at(taken_over)  # a new tenant from mid-October
    newcomer.occupancy.started_on = date(2026, 10, 15)
    db.session.flush()
    report(
        vcb_partner,
        [
            row(paid_account),
            row(unpaid_account, received=False, band="0"),
            row(closed_account),
            row(leaver.account),  # paid while still trading there: the stall counts
            row(newcomer.account, month="2026-09"),  # before taking the stall over
            row(paid_account, month="2026-11", band="1-9"),
        ],
    )
    db.session.commit()
    assert rollup(market) == {(OCTOBER, 3, 2), (NOVEMBER, 1, 1)}
    assert paid_in(OCTOBER)[market.id] == 2
    assert activity.reference_month(TODAY, [market.id]) == NOVEMBER
    assert activity.reference_month(date(2026, 11, 20), [market.id]) == OCTOBER
    # Both in one query, as the dashboard and the statistics ask them.
    assert activity.paid_in_reference_month(date(2026, 11, 20), [market.id]) == (
        OCTOBER,
        {market.id: 2},
    )
    assert activity.paid_in_reference_month(date(2026, 10, 20), [market.id]) == (None, {})
    assert activity.last_paid_month(paid) == NOVEMBER
    assert activity.last_paid_month(unpaid) is None
    assert activity.last_paid_month(taken_over) == OCTOBER


def test_the_rollup_follows_a_vendor_leaving_and_a_rebuild_agrees(vcb_partner):
    market = f.market()
    stall = f.stall(market)
    registered = vendor_at(stall)
    report(vcb_partner, [row(registered.account)])
    db.session.commit()
    assert rollup(market) == {(OCTOBER, 1, 1)}
    # The tenancy turns out to have ended in September: no one paid traded there in October.
    registered.occupancy.ended_on = date(2026, 9, 30)
    db.session.flush()  # as the services do before the unit of work commits
    db.session.commit()
    assert rollup(market) == set()
    kept = rollup(market)
    activity.rebuild_months()
    assert rollup(market) == kept
    assert (
        db.session.scalar(
            select(func.count()).select_from(Occupancy).where(Occupancy.stall_id == stall.id)
        )
        == 1
    )


def test_summary_counts(vcb_partner):
    summary = services.ReportSummary(["created", "replaced", "created"])
    assert summary.as_dict() == {"rows": 3, "created": 2, "replaced": 1, "unchanged": 0}


def recount(market_ids) -> set[tuple[int, date, int, int]]:
    """The rollup's rows counted in Python from the reports, tenancies and stalls."""
    reported: dict[tuple[int, date], set[int]] = {}
    paid: dict[tuple[int, date], set[int]] = {}
    occupancies = db.session.scalars(select(Occupancy)).all()
    for entry in db.session.scalars(select(PaymentActivity)):
        last_day = activity.last_day_of_month(entry.month)
        for tenancy in occupancies:
            stall = tenancy.stall
            if (
                tenancy.vendor_id == entry.account.vendor_id
                and tenancy.started_on <= last_day
                and (tenancy.ended_on is None or tenancy.ended_on > entry.month)
                and stall.is_open_on(last_day)
                and stall.market_id in market_ids
            ):
                key = (stall.market_id, entry.month)
                reported.setdefault(key, set()).add(stall.id)
                if entry.received:
                    paid.setdefault(key, set()).add(stall.id)
    return {
        (market_id, month, len(stalls), len(paid.get((market_id, month), ())))
        for (market_id, month), stalls in reported.items()
    }


def test_the_rollup_equals_a_recount_on_the_demo_after_changes(app):
    import random

    from market4.demo import seed as demo
    from market4.registry.markets import Market, Stall

    demo.seed()
    market_ids = set(db.session.scalars(select(Market.id)))
    rng = random.Random(7)
    stalls = db.session.scalars(select(Stall).order_by(Stall.id)).all()
    for stall in rng.sample(stalls, 30):
        stall.closed_on = date(2026, rng.choice([8, 9, 10, 11]), rng.choice([1, 15, 30]))
    for tenancy in rng.sample(db.session.scalars(select(Occupancy)).all(), 30):
        tenancy.ended_on = date(2026, rng.choice([7, 8, 9, 10]), rng.choice([1, 10, 30]))
    db.session.flush()
    activity.refresh_pending(db.session)
    rows = {
        (row.market_id, row.month, row.stalls_reported, row.stalls_paid)
        for row in db.session.scalars(select(MarketActivityMonth))
    }
    assert rows == recount(market_ids)
    assert any(paid for *_, paid in rows)


@pytest.mark.parametrize(
    ("month", "count", "expected"),
    [
        (date(2026, 11, 1), 0, date(2026, 11, 1)),
        (date(2026, 11, 30), 1, date(2026, 10, 1)),
        (date(2026, 3, 31), 1, date(2026, 2, 1)),
        (date(2026, 1, 15), 1, date(2025, 12, 1)),
        (date(2026, 6, 1), 5, date(2026, 1, 1)),
        (date(2026, 6, 1), 6, date(2025, 12, 1)),
        (date(2026, 1, 1), 25, date(2023, 12, 1)),
    ],
)
def test_months_before_steps_back_over_year_ends(month, count, expected):
    assert activity.months_before(month, count) == expected
