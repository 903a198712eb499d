"""Every web route × every role (and signed out): allowed ones work, others are refused.

The policy below is the product's authorisation table. A route that is not in it fails
the test, so nobody adds a page without deciding who may use it. Objects are taken from
the demo district, chosen inside the scope of the demo users (Chợ Ngãi Giao is managed by
``quanlycho``, lies in the commune of ``xangaigiao`` and the legacy district of the
Agribank branch of ``agribank``). Refusals must change nothing: the audit log and the
row counts are compared before and after every refused request.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market4.activity.models import ActivityUpload
from market4.api.models import ApiToken
from market4.api.tokens import create_token
from market4.audit.models import AuditEvent
from market4.auth.models import Organisation, User
from market4.demo import seed as demo
from market4.demo.data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from market4.placards import jobs
from market4.registry.activity import PaymentActivity
from market4.registry.imports import ImportBatch
from market4.registry.markets import Market, Stall
from market4.registry.placards import Placard
from market4.registry.vendors import Occupancy, PaymentAccount

ADMIN, PARTNER, MANAGER, STAFF, ANON = "admin", "bank_partner", "market_manager", "area_staff", None
SIGNED_IN = {ADMIN, PARTNER, MANAGER, STAFF}
EVERYONE = SIGNED_IN | {ANON}
LOGINS = {ADMIN: "admin", PARTNER: "agribank", MANAGER: "quanlycho", STAFF: "xangaigiao"}

# endpoint -> (method, roles allowed). Signed-out users are sent to the sign-in page for
# every route they may not use; signed-in users get 403 (wrong role) or 404 (object out
# of scope).
POLICY: dict[str, tuple[str, set]] = {
    "home.index": ("GET", EVERYONE),
    "home.healthz": ("GET", EVERYONE),
    "home.manifest": ("GET", EVERYONE),
    "home.favicon": ("GET", EVERYONE),
    "home.service_worker": ("GET", EVERYONE),
    "auth.login": ("GET", EVERYONE),
    "auth.logout": ("POST", SIGNED_IN),
    "auth.password": ("GET", SIGNED_IN),
    "auth.sign_out_others": ("POST", SIGNED_IN),
    "auth.set_locale": ("POST", EVERYONE),
    "dashboard.index": ("GET", SIGNED_IN),
    "dashboard.export_csv": ("GET", SIGNED_IN),
    "dashboard.export_xlsx": ("GET", SIGNED_IN),
    "markets.index": ("GET", SIGNED_IN),
    "markets.show": ("GET", SIGNED_IN),
    "markets.stall": ("GET", SIGNED_IN),
    "markets.stall_new": ("GET", {ADMIN, MANAGER}),
    "markets.stall_edit": ("GET", {ADMIN, MANAGER}),
    "markets.stall_close": ("POST", {ADMIN, MANAGER}),
    "markets.assign": ("POST", {ADMIN, MANAGER}),
    "markets.move": ("POST", {ADMIN, MANAGER}),
    "markets.end_occupancy": ("POST", {ADMIN, MANAGER}),
    "markets.visit": ("POST", {ADMIN, MANAGER}),
    "markets.stall_request": ("POST", {ADMIN, MANAGER, PARTNER}),
    "markets.resolve_request": ("POST", {ADMIN, MANAGER}),
    "markets.choose_placard_account": ("POST", {ADMIN, MANAGER}),
    "markets.new_vendor": ("POST", {ADMIN, MANAGER}),
    "markets.walk_list": ("GET", {ADMIN, MANAGER}),
    "markets.walk_stall": ("GET", {ADMIN, MANAGER}),
    "markets.walk_next": ("GET", {ADMIN, MANAGER}),
    # The offline queue's CSRF token and owner, before it sends visits recorded offline.
    "markets.offline_session": ("GET", {ADMIN, MANAGER}),
    "placards.market": ("GET", {ADMIN, MANAGER}),
    "placards.market_sheet": ("POST", {ADMIN, MANAGER}),
    "placards.market_settings": ("POST", {ADMIN, MANAGER}),
    "placards.stall_png": ("GET", {ADMIN, MANAGER}),
    "placards.revoke": ("GET", {ADMIN, MANAGER}),
    "placards.inspect": ("GET", SIGNED_IN),
    "placards.print_jobs": ("GET", {ADMIN, MANAGER}),
    "placards.start_print_job": ("POST", {ADMIN, MANAGER}),
    # A job is followed by whoever started it, and by admins (others: 404).
    "placards.print_job": ("GET", {ADMIN, MANAGER}),
    "placards.download_print_job": ("GET", {ADMIN, MANAGER}),
    "placards.cancel_print_job": ("POST", {ADMIN, MANAGER}),
    "placards.resume_print_job": ("POST", {ADMIN, MANAGER}),
    # Everyone in scope may check a stall's code; only writers' checks are recorded.
    "placards.check_stall": ("GET", SIGNED_IN),
    "vendors.index": ("GET", {ADMIN, PARTNER, MANAGER}),
    "vendors.show": ("GET", {ADMIN, PARTNER, MANAGER}),
    "vendors.edit": ("GET", {ADMIN, PARTNER}),
    # Registering writes an account number: never a market manager (auth.policy).
    "vendors.register_start": ("GET", {ADMIN, PARTNER}),
    "vendors.register": ("GET", {ADMIN, PARTNER}),
    "vendors.check": ("POST", {ADMIN, PARTNER}),
    "vendors.deactivate": ("POST", {ADMIN, PARTNER}),
    "imports.index": ("GET", {ADMIN, PARTNER}),
    "imports.preview": ("GET", {ADMIN, PARTNER}),
    "imports.report_download": ("GET", {ADMIN, PARTNER}),
    "imports.commit": ("POST", {ADMIN, PARTNER}),
    "imports.template_download": ("GET", {ADMIN, PARTNER}),
    # The banks' monthly QR payment reports: a bank's own, or an admin's.
    "activity.index": ("GET", {ADMIN, PARTNER}),
    "activity.preview": ("GET", {ADMIN, PARTNER}),
    "activity.commit": ("POST", {ADMIN, PARTNER}),
    "activity.template_download": ("GET", {ADMIN, PARTNER}),
    "tokens.index": ("GET", SIGNED_IN),
    "tokens.create": ("POST", SIGNED_IN),
    "tokens.revoke": ("POST", SIGNED_IN),
    **{
        endpoint: ("GET", {ADMIN})
        for endpoint in (
            "admin.index",
            "admin.markets",
            "admin.market_edit",
            "admin.market_new",
            "admin.area_search",
            "admin.organisations",
            "admin.organisation_edit",
            "admin.organisation_new",
            "admin.banks",
            "admin.audit",
            "admin.users",
            "admin.user_edit",
            "admin.user_new",
            "admin.vendor_duplicates",
            "admin.vendor_merge",
        )
    },
    **{
        endpoint: ("POST", {ADMIN})
        for endpoint in (
            "admin.banks_sync",
            "admin.user_password",
            "admin.user_active",
            "admin.user_sign_out_everywhere",
        )
    },
}
API_PREFIX = "/api/v1"


@pytest.fixture
def demo_objects(app, session):
    demo.seed()
    market = session.scalar(select(Market).where(Market.code == "CD-NGAIGIAO"))
    placard = session.scalars(
        select(Placard)
        .join(PaymentAccount)
        .join(Stall, Placard.stall_id == Stall.id)
        .where(
            Stall.market_id == market.id,
            PaymentAccount.bank_bin == "970405",
            Placard.status == "posted",
        )
        .order_by(Placard.id)
    ).first()
    partner = session.scalar(select(User).where(User.email == f"agribank@{DEMO_EMAIL_DOMAIN}"))
    batch = ImportBatch(
        organisation_id=partner.organisation_id,
        user_id=partner.id,
        bank_bin="970405",
        filename="x.csv",
        file_sha256="0" * 64,
        file_format="csv",
        summary={},
    )
    session.add(batch)
    upload = ActivityUpload(
        organisation_id=partner.organisation_id,
        user_id=partner.id,
        filename="bao-cao.csv",
        file_sha256="0" * 64,
        file_format="csv-utf-8",
        summary={"rows": 0, "invalid": 0},
        rows=[],
    )
    session.add(upload)
    session.flush()
    token = create_token(partner, "matrix", actor=partner).token
    manager = session.scalar(select(User).where(User.email == f"quanlycho@{DEMO_EMAIL_DOMAIN}"))
    job = jobs.create_job([market], actor=manager, title=market.name)
    session.flush()
    jobs.zip_path(job).parent.mkdir(parents=True)
    jobs.zip_path(job).write_bytes(b"PK\x05\x06" + bytes(18))  # an empty ZIP
    session.flush()
    values = {
        "code": market.code,
        "market_code": market.code,
        "stall_id": placard.stall_id,
        "vendor_id": placard.payment_account.vendor_id,
        "account_id": placard.payment_account_id,
        "placard_id": placard.id,
        "batch_id": batch.id,
        "upload_id": upload.id,
        "extension": "csv",
        "locale": "en",
        "token_id": token.id,
        "market_id": market.id,
        "user_id": partner.id,
        "organisation_id": partner.organisation_id,
        "keep_id": placard.payment_account.vendor_id,
        "duplicate_id": placard.payment_account.vendor_id + 1,
        "request_id": 1,
        "job_id": job.id,
    }
    session.commit()
    return values


def web_routes(app):
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and not rule.rule.startswith(API_PREFIX)
        ),
        key=lambda rule: rule.endpoint,
    )


def test_every_route_has_a_policy(app):
    missing = {rule.endpoint for rule in web_routes(app)} - set(POLICY)
    assert not missing, f"routes without an authorisation policy: {sorted(missing)}"


def sign_in(client, role):
    if role is not None:
        response = client.post(
            "/dang-nhap",
            data={"email": f"{LOGINS[role]}@{DEMO_EMAIL_DOMAIN}", "password": DEMO_PASSWORD},
        )
        assert response.status_code == 302, f"demo {role} could not sign in"


# Signing in and out is audited too; the fingerprint is about the registry's data.
SIGN_IN_EVENTS = ("sign_in", "sign_out", "sign_in_failed", "session_revoked")


def state_fingerprint(session):
    data_events = session.scalar(
        select(func.count()).where(AuditEvent.action.not_in(SIGN_IN_EVENTS))
    )
    return (data_events,) + tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (
            Placard,
            Occupancy,
            PaymentAccount,
            Stall,
            Organisation,
            User,
            ApiToken,
            PaymentActivity,
        )
    )


@pytest.mark.parametrize(
    "role",
    [ADMIN, PARTNER, MANAGER, STAFF, ANON],
    ids=["admin", "bank_partner", "market_manager", "area_staff", "signed_out"],
)
def test_matrix(app, client, session, demo_objects, role):
    sign_in(client, role)
    problems = []
    for rule in web_routes(app):
        method, allowed = POLICY[rule.endpoint]
        url = rule.build({arg: demo_objects[arg] for arg in rule.arguments}, append_unknown=False)[
            1
        ]
        if role in allowed and method == "POST":
            continue  # an empty POST is not a real use; each feature's tests cover success
        before = state_fingerprint(session)
        response = client.open(url, method=method)
        status = response.status_code
        if role is not None and rule.endpoint == "auth.logout":
            sign_in(client, role)
        if role in allowed:
            if method == "GET" and status not in (200, 302):
                problems.append(f"{rule.endpoint} {url}: allowed but answered {status}")
            continue
        refused = (
            status in (302, 401) and "/dang-nhap" in response.headers.get("Location", "")
            if role is None
            else status in (403, 404)
        )
        if not refused:
            problems.append(f"{rule.endpoint} {method} {url}: should be refused, answered {status}")
        if state_fingerprint(session) != before:
            problems.append(f"{rule.endpoint} {method} {url}: a refused request changed data")
    assert not problems, "\n".join(problems)


def test_cross_scope_requests_answer_404_and_change_nothing(app, client, session, demo_objects):
    """Bank A reading bank B's vendor by id; the manager of market X editing market Y."""
    agribank_vendors = select(PaymentAccount.vendor_id).where(PaymentAccount.bank_bin == "970405")
    other_bank_account = session.scalars(
        select(PaymentAccount).where(
            PaymentAccount.bank_bin == "970436", PaymentAccount.vendor_id.not_in(agribank_vendors)
        )
    ).first()
    other_market = session.scalar(select(Market).where(Market.code == "CD-KIMLONG"))
    other_stall = other_market.stalls[0]
    sign_in(client, PARTNER)
    before = state_fingerprint(session)
    assert client.get(f"/tieu-thuong/{other_bank_account.vendor_id}").status_code == 404
    assert client.get(f"/tieu-thuong/{other_bank_account.vendor_id}/sua").status_code == 404
    assert (
        client.post(
            f"/tieu-thuong/tai-khoan/{other_bank_account.id}/ngung", data={"reason": "x"}
        ).status_code
        == 404
    )
    client.post("/dang-xuat")
    sign_in(client, MANAGER)
    assert client.get(f"/cho/{other_market.code}/sap/{other_stall.id}/sua").status_code == 404
    assert (
        client.post(
            f"/cho/{other_market.code}/sap/{other_stall.id}/kiem-tra", data={"outcome": "declined"}
        ).status_code
        == 404
    )
    assert client.post(f"/cho/{other_market.code}/sap/{other_stall.id}/dong").status_code == 404
    assert (
        client.post(f"/bang-ma/sap/{other_stall.id}/in", data={"layout": "a6"}).status_code == 404
    )
    assert state_fingerprint(session) == before
