"""The demo district reproduces the figures in the news, on both databases."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from market4.areas.models import SCHEME_2008, SCHEME_2025
from market4.areas.services import find_unit
from market4.auth.models import User
from market4.dashboard.queries import acceptance_figures
from market4.demo import seed as demo
from market4.domain.vietqr import decode
from market4.registry.markets import Market
from market4.registry.placards import Placard
from market4.registry.vendors import PaymentAccount, Vendor


def stats(runner) -> dict:
    result = runner.invoke(args=["stats", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_seed_reproduces_the_district_in_the_news(runner, session):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.market4.vn" in result.output

    figures = stats(runner)
    assert figures["markets_total"] == 15
    assert figures["markets_cashless"] == 10
    assert figures["stalls_total"] == 1420
    assert figures["stalls_accepting"] == 1066
    assert figures["rate"] == round(1066 / 1420, 4)
    night = next(m for m in figures["markets"] if m["code"] == "CD-DEM-NGAIGIAO")
    assert (night["stalls_total"], night["stalls_accepting"]) == (120, 120)
    assert {"code", "name", "stalls_total", "stalls_accepting", "rate"} <= set(night)

    text = runner.invoke(args=["stats"]).output
    assert "1420" in text and "1066" in text and "75,1%" in text

    # One login per role, each usable.
    roles = set(session.scalars(select(User.role)))
    assert roles == {"admin", "bank_partner", "market_manager", "area_staff"}


def test_demo_data_is_realistic_and_money_safe(runner, session):
    runner.invoke(args=["demo", "seed"])
    names = list(session.scalars(select(Vendor.display_name).limit(200)))
    assert any(ch in "".join(names) for ch in "ễịủơưđĐ")
    assert all(
        v.phone_e164.startswith("+84") and len(v.phone_e164) == 12
        for v in session.scalars(select(Vendor).limit(200))
    )
    banks = set(session.scalars(select(PaymentAccount.bank_bin)))
    assert {"970405", "970436", "971025"} <= banks
    # Every posted placard carries exactly its own account, and the payload is valid.
    for placard in session.scalars(select(Placard).limit(300)):
        decoded = decode(placard.payload).transfer
        assert decoded.initiation == "static" and decoded.service == "QRIBFTTA"
        assert decoded.bin == placard.payment_account.bank_bin
        assert decoded.account == placard.payment_account.account_number


def test_demo_seed_is_idempotent_and_reset_rebuilds(runner, session):
    runner.invoke(args=["demo", "seed"])
    counts = (
        session.scalar(select(func.count(Vendor.id))),
        session.scalar(select(func.count(Market.id))),
    )
    again = runner.invoke(args=["demo", "seed"])
    assert "nothing changed" in again.output
    assert (
        session.scalar(select(func.count(Vendor.id))),
        session.scalar(select(func.count(Market.id))),
    ) == counts

    rebuilt = runner.invoke(args=["demo", "seed", "--reset"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert (
        session.scalar(select(func.count(Vendor.id))),
        session.scalar(select(func.count(Market.id))),
    ) == counts
    assert stats(runner)["stalls_accepting"] == 1066


def test_figures_by_area_and_by_date(app, session):
    demo.seed()
    everywhere = acceptance_figures()

    district = find_unit(SCHEME_2008, "district", "750")  # Huyện Châu Đức, before 2025
    by_district = acceptance_figures(area=district)
    assert (by_district.stalls_total, by_district.stalls_accepting) == (1420, 1066)

    province = find_unit(SCHEME_2025, "province", "79")  # Thành phố Hồ Chí Minh
    assert acceptance_figures(area=province).stalls_accepting == everywhere.stalls_accepting

    ngai_giao = find_unit(SCHEME_2025, "commune", "26575")
    commune = acceptance_figures(area=ngai_giao)
    assert {m.code for m in commune.markets} >= {"CD-NGAIGIAO", "CD-DEM-NGAIGIAO"}
    assert commune.stalls_total < everywhere.stalls_total

    # History: before the campaign nobody accepted; the rate grew since.
    before = acceptance_figures(on=date(2026, 4, 30))
    assert before.stalls_total == 1420 and before.stalls_accepting == 0
    assert before.markets_cashless == 0
    midway = acceptance_figures(on=date(2026, 8, 1))
    assert 0 < midway.stalls_accepting < 1066
    assert acceptance_figures(on=date(2026, 11, 20)).stalls_accepting == 1066


def production_cli(tmp_path):
    import secrets

    from market4 import create_app

    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{tmp_path}/production.db",
        }
    )
    return app, app.test_cli_runner()


def test_demo_data_is_refused_in_production(tmp_path):
    app, runner = production_cli(tmp_path)
    with app.app_context():
        from market4.extensions import db

        result = runner.invoke(args=["setup", "--demo-if-empty"])
        assert result.exit_code != 0
        assert "refusing to build the demo data in production" in result.output
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code != 0
        assert "--allow-demo-in-production" in result.output
        # Refused before anything ran: not even the schema was created.
        assert "users" not in db.inspect(db.engine).get_table_names()


def test_demo_in_production_only_when_forced_and_with_a_warning(tmp_path):
    app, runner = production_cli(tmp_path)
    with app.app_context():
        from market4.extensions import db

        result = runner.invoke(args=["setup", "--demo-if-empty", "--allow-demo-in-production"])
        assert result.exit_code == 0, result.output
        assert "WARNING: building demo data in production" in result.output
        assert db.session.scalar(select(func.count(User.id))) > 0


def test_every_demo_user_has_its_own_salt(runner, session):
    from werkzeug.security import check_password_hash

    from market4.demo import data

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    hashes = session.scalars(
        select(User.password_hash).where(User.email.like(f"%@{data.DEMO_EMAIL_DOMAIN}"))
    ).all()
    assert len(hashes) == len(demo.DEMO_USERS)
    assert len(set(hashes)) == len(hashes)
    assert all(check_password_hash(h, data.DEMO_PASSWORD) for h in hashes)
