"""Every write, over every channel, per role, in scope and out of scope (``auth.policy``).

The people the issue was found with: an Agribank branch and a BIDV branch covering a
province, an Agribank branch limited to Chợ Kim Long, managers of Chợ Ngãi Giao and of
Chợ Kim Long, commune staff and an admin. Each case gets a world of its own (new
markets, stalls and vendors; the same people, their scope pointed at it), so no case
sees another's writes. At Chợ Ngãi Giao:

- S1: a BIDV customer with a posted placard;
- S2: an Agribank customer with a posted placard;
- S3: an Agribank customer who moved here from Chợ Kim Long;
- S4: vacant.

An allowed write must change the registry; a refused one must answer its refusal
status and leave the registry (accounts, holders, occupancies, placards, statuses,
visits, requests, audit log) exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from market4.api.tokens import create_token
from market4.areas.models import SCHEME_2025, AdminUnit
from market4.audit.models import AuditEvent
from market4.auth.models import Organisation, User
from market4.auth.services import create_user
from market4.extensions import db
from market4.markets import services as markets
from market4.placards import services as placards
from market4.registry.markets import (
    Market,
    Stall,
    StallRequest,
    StallStatusChange,
    VerificationVisit,
)
from market4.registry.placards import Placard
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors import services as vendors
from tests import factories as f

PASSWORD = "mật khẩu đủ dài"
BIDV = "970418"
ROLES = ("admin", "agribank", "bidv", "kl_agribank", "manager", "kl_manager", "staff")


@dataclass
class People:
    users: dict[str, User]
    clients: dict[str, Any]
    tokens: dict[str, str]


@dataclass
class World:
    market: Market
    s1: Stall
    s2: Stall
    s3: Stall
    s4: Stall
    bidv_vendor: Vendor
    moved_vendor: Vendor
    people: People

    @property
    def kim_long_branch(self) -> Organisation:
        return self.people.users["kl_agribank"].organisation

    @property
    def agribank_branch(self) -> Organisation:
        return self.people.users["agribank"].organisation


def _register(stall: Stall, bank_bin: str, number: str, name: str, phone: str) -> Any:
    return vendors.register_vendor(
        f.registration(
            stall, bank_bin=bank_bin, account_number=number, display_name=name, phone=phone
        ),
        organisation=None,
        actor=None,
        channel="demo",
    )


def _post(result: Any) -> Placard:
    stall = result.occupancy.stall
    placard = placards.issue_placard(stall, result.account, actor=None, channel="demo")
    markets.record_visit(stall, "placard_posted", actor=None, channel="demo")
    return placard


@pytest.fixture
def people(app, session) -> People:
    f.banks()
    organisations = {
        "admin": Organisation(kind="operator", name="Vận hành"),
        "agribank": Organisation(kind="bank_branch", name="Agribank tỉnh", bank_bin=f.AGRIBANK),
        "bidv": Organisation(kind="bank_branch", name="BIDV tỉnh", bank_bin=BIDV),
        "kl_agribank": Organisation(
            kind="bank_branch", name="Agribank Kim Long", bank_bin=f.AGRIBANK
        ),
        "manager": Organisation(kind="market_board", name="BQL chợ Ngãi Giao"),
        "kl_manager": Organisation(kind="market_board", name="BQL chợ Kim Long"),
        "staff": Organisation(kind="commune_office", name="UBND xã Ngãi Giao", area=f.commune()),
    }
    session.add_all(organisations.values())
    roles = {
        "admin": "admin",
        "agribank": "bank_partner",
        "bidv": "bank_partner",
        "kl_agribank": "bank_partner",
        "manager": "market_manager",
        "kl_manager": "market_manager",
        "staff": "area_staff",
    }
    users = {
        key: create_user(
            email=f"{key}@policy.market4.vn",
            name=key,
            role=roles[key],
            password=PASSWORD,
            organisation=organisations[key],
        )
        for key in ROLES
    }
    tokens = {
        key: create_token(user, "policy", actor=None, channel="cli").secret
        for key, user in users.items()
    }
    session.commit()
    clients = {}
    for key, user in users.items():
        client = app.test_client()
        assert (
            client.post("/dang-nhap", data={"email": user.email, "password": PASSWORD}).status_code
            == 302
        )
        clients[key] = client
    return People(users, clients, tokens)


def make_world(session, people: People) -> World:
    """Fresh markets, stalls and vendors, with everyone's scope pointed at them."""
    province = AdminUnit(
        scheme=SCHEME_2025,
        level="province",
        code=f"9{f.next_number():03d}",
        name="Tỉnh thử",
        division_type="Tỉnh",
    )
    session.add(province)
    session.flush()
    ngai_giao, kim_long = (
        AdminUnit(
            scheme=SCHEME_2025,
            level="commune",
            code=f"8{f.next_number():04d}",
            name=name,
            division_type="Xã",
            parent_id=province.id,
        )
        for name in ("Ngãi Giao", "Kim Long")
    )
    session.add_all([ngai_giao, kim_long])
    session.flush()
    market = f.market(name="Chợ Ngãi Giao", area=ngai_giao)
    other = f.market(name="Chợ Kim Long", area=kim_long)
    s1, s2, s3, s4 = (f.stall(market, f"Sạp {n}") for n in range(1, 5))
    n = f.next_number()
    bidv = _register(s1, BIDV, f"1201{n:010d}", "Trần Thị Mai", f"0912{n:06d}")
    agri = _register(s2, f.AGRIBANK, f"15{n:011d}", "Lê Văn Tám", f"0913{n:06d}")
    _post(bidv)
    _post(agri)
    moved = _register(
        f.stall(other, "Sạp 1"), f.AGRIBANK, f"16{n:011d}", "Võ Thị Hồng", f"0914{n:06d}"
    )
    markets.move_vendor(moved.vendor, moved.occupancy.stall, s3, actor=None, channel="demo")
    users = people.users
    for key in ("agribank", "bidv"):
        users[key].organisation.area = province
    users["kl_agribank"].organisation.area = kim_long
    users["staff"].organisation.area = ngai_giao
    users["manager"].markets = [market]
    users["kl_manager"].markets = [other]
    session.commit()
    return World(market, s1, s2, s3, s4, bidv.vendor, moved.vendor, people)


def registry(session, *, audit: bool = True) -> str:
    """A digest of everything a write could touch (import batches aside: a preview keeps
    one; and, with ``audit=False``, the audit log, where an import records its attempt)."""
    session.expire_all()
    rows = [
        session.execute(
            select(
                PaymentAccount.id,
                PaymentAccount.bank_bin,
                PaymentAccount.account_number,
                PaymentAccount.holder_name,
                PaymentAccount.status,
                PaymentAccount.is_on_placard,
            ).order_by(PaymentAccount.id)
        ).all(),
        session.execute(
            select(Vendor.id, Vendor.display_name, Vendor.phone_e164, Vendor.is_active).order_by(
                Vendor.id
            )
        ).all(),
        session.execute(
            select(
                Occupancy.id, Occupancy.stall_id, Occupancy.vendor_id, Occupancy.ended_on
            ).order_by(Occupancy.id)
        ).all(),
        session.execute(select(Placard.id, Placard.status).order_by(Placard.id)).all(),
        session.execute(select(Stall.id, Stall.code, Stall.closed_on).order_by(Stall.id)).all(),
        [
            session.query(model).count()
            for model in (
                StallStatusChange,
                VerificationVisit,
                StallRequest,
                *((AuditEvent,) if audit else ()),
            )
        ],
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def bearer(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.people.tokens[role]}"}


def form(name: str, phone: str, number: str, **extra: str) -> dict[str, str]:
    return {"display_name": name, "phone": phone, "account_number": number, "consent": "y", **extra}


# --- the cases: (what, role) -> request; the expected answer -------------------------------

Request = Any
ALLOWED = "allowed"


class Web:
    """A form post (or page) as ``role``; ``url`` and ``data`` are built before the
    registry is measured, so whatever they set up is not mistaken for the write."""

    def __init__(
        self, method: str, url: Callable[[World], str], data: Callable[[World], dict] | None = None
    ):
        self.method, self.url, self.data = method, url, data

    def prepare(self, world: World) -> tuple[str, dict | None]:
        return self.url(world), self.data(world) if self.data else None

    def __call__(self, app, world: World, role: str, prepared: tuple[str, dict | None]) -> int:
        url, data = prepared
        return world.people.clients[role].open(url, method=self.method, data=data).status_code


class Api(Web):
    def __call__(self, app, world: World, role: str, prepared: tuple[str, dict | None]) -> int:
        url, body = prepared
        return (
            app.test_client()
            .open(url, method=self.method, headers=bearer(world, role), json=body)
            .status_code
        )


web, api = Web, Api


def stall_url(stall: Callable[[World], Stall], tail: str = "") -> Callable[[World], str]:
    return lambda w: f"/cho/{w.market.code}/sap/{stall(w).id}{tail}"


def register_url(stall: Callable[[World], Stall]) -> Callable[[World], str]:
    return lambda w: f"/tieu-thuong/dang-ky/{w.market.code}/{stall(w).id}"


def extra_account(world: World) -> PaymentAccount:
    """A second account (Agribank) of S1's BIDV customer, not on the placard yet."""
    result = vendors.add_account(
        world.bidv_vendor,
        vendors.AccountData(bank_bin=f.AGRIBANK, account_number=f"15{f.next_number():011d}"),
        organisation=None,
        actor=None,
    )
    db.session.commit()
    return result.account


def account_of(world: World, vendor: Vendor, bank_bin: str) -> PaymentAccount:
    return next(a for a in vendor.accounts if a.bank_bin == bank_bin and a.status == "active")


S1, S2, S3, S4 = (lambda w: w.s1), (lambda w: w.s2), (lambda w: w.s3), (lambda w: w.s4)


def NEW_PERSON(world: World) -> dict[str, str]:  # noqa: N802 - a constant-like case input
    n = f.next_number()
    return form("Đinh Văn Mới", f"0918{n:06d}", f"17{n:011d}", bank_bin=f.AGRIBANK)


WEB_CASES: dict[str, tuple[Request, dict[str, Any]]] = {
    "register on a vacant stall": (
        web("POST", register_url(S4), NEW_PERSON),
        {"agribank": ALLOWED, "admin": ALLOWED, "kl_agribank": 404, "manager": 403, "staff": 403},
    ),
    "register another person where a BIDV customer trades (evict)": (
        web("POST", register_url(S1), lambda w: {**NEW_PERSON(w), "replace_occupant": "y"}),
        {"agribank": 422, "bidv": 422, "admin": ALLOWED, "manager": 403},
    ),
    "add an account for the BIDV customer at S1": (
        web(
            "POST",
            register_url(S1),
            lambda w: form(
                "TRAN THI MAI",
                w.bidv_vendor.phone_e164,
                f"18{f.next_number():011d}",
                bank_bin=f.AGRIBANK,
            ),
        ),
        {"agribank": ALLOWED, "kl_agribank": 404, "manager": 403, "staff": 403},
    ),
    "change the BIDV account number": (
        web(
            "POST",
            lambda w: f"/tieu-thuong/{w.bidv_vendor.id}/sua",
            lambda w: {
                "display_name": "Trần Thị Mai",
                "phone": w.bidv_vendor.phone_e164,
                "account_number": f"1209{f.next_number():010d}",
                "holder_name": "KE GIAN",
            },
        ),
        {"bidv": ALLOWED, "admin": ALLOWED, "agribank": 404, "manager": 403, "staff": 403},
    ),
    "change the account of the vendor who moved out of Kim Long": (
        web(
            "POST",
            lambda w: f"/tieu-thuong/{w.moved_vendor.id}/sua",
            lambda w: {
                "display_name": "Võ Thị Hồng",
                "phone": w.moved_vendor.phone_e164,
                "account_number": f"19{f.next_number():011d}",
                "holder_name": "VO THI HONG",
            },
        ),
        {"agribank": ALLOWED, "kl_agribank": 422},
    ),
    "close the BIDV account": (
        web(
            "POST",
            lambda w: f"/tieu-thuong/tai-khoan/{account_of(w, w.bidv_vendor, BIDV).id}/ngung",
            lambda w: {"reason": "đóng"},
        ),
        {"bidv": ALLOWED, "agribank": 404, "manager": 403, "staff": 403},
    ),
    "record a visit at S1": (
        web("POST", stall_url(S1, "/kiem-tra"), lambda w: {"outcome": "declined"}),
        {"manager": ALLOWED, "admin": ALLOWED, "kl_manager": 404, "agribank": 403, "staff": 403},
    ),
    "record that the vendor at S1 left": (
        web("POST", stall_url(S1, "/roi-sap"), lambda w: {}),
        {"manager": ALLOWED, "kl_manager": 404, "agribank": 403, "bidv": 403},
    ),
    "print S1 again (confirmed)": (
        web(
            "POST",
            lambda w: f"/bang-ma/cho/{w.market.code}/in",
            lambda w: {"layout": "a6", "stall_id": w.s1.id, "confirm_superseding": "1"},
        ),
        {"manager": ALLOWED, "kl_manager": 404, "agribank": 403, "staff": 403},
    ),
    "print S1 again without confirming": (
        web(
            "POST",
            lambda w: f"/bang-ma/cho/{w.market.code}/in",
            lambda w: {"layout": "a6", "stall_id": w.s1.id},
        ),
        {"manager": 409, "admin": 409},
    ),
    "revoke the placard at S1": (
        web(
            "POST",
            lambda w: f"/bang-ma/{placards.live_placard(w.s1).id}/thu-hoi",
            lambda w: {"reason": "lost"},
        ),
        {"manager": ALLOWED, "kl_manager": 404, "agribank": 403, "bidv": 403},
    ),
    "check S2's code with S1's placard (a swap)": (
        web(
            "POST",
            lambda w: f"/bang-ma/sap/{w.s2.id}/kiem-tra",
            lambda w: {"payload": placards.live_placard(w.s1).payload},
        ),
        {"agribank": ALLOWED, "manager": ALLOWED, "kl_agribank": 404, "staff": 200},
    ),
    "ask the market board about S1": (
        web("POST", stall_url(S1, "/de-nghi"), lambda w: {"message": "Người mới ở sạp"}),
        {"agribank": ALLOWED, "kl_agribank": 404, "staff": 403},
    ),
    "put the vendor's Agribank account on S1's placard": (
        web(
            "POST",
            lambda w: f"/cho/{w.market.code}/sap/{w.s1.id}/tai-khoan-in/{extra_account(w).id}",
        ),
        {"manager": ALLOWED, "admin": ALLOWED, "kl_manager": 404, "agribank": 403, "staff": 403},
    ),
    "record a new person at the vacant S4": (
        web(
            "POST",
            stall_url(S4, "/nguoi-moi"),
            lambda w: {
                "display_name": "Đinh Thị Mới",
                "phone": f"0917{f.next_number():06d}",
                "consent": "y",
            },
        ),
        {"manager": ALLOWED, "admin": ALLOWED, "kl_manager": 404, "agribank": 403, "staff": 403},
    ),
    "add a stall": (
        web("POST", lambda w: f"/cho/{w.market.code}/sap/moi", lambda w: {"code": "Thử 99"}),
        {"manager": ALLOWED, "kl_manager": 404, "agribank": 403},
    ),
}


def api_person(person: dict[str, str]) -> dict[str, Any]:
    return {
        **{key: person[key] for key in ("display_name", "phone", "account_number", "bank_bin")},
        "consent": True,
    }


API_CASES: dict[str, tuple[Request, dict[str, Any]]] = {
    "PATCH the BIDV vendor's account number": (
        api(
            "PATCH",
            lambda w: f"/api/v1/vendors/{w.bidv_vendor.id}",
            lambda w: {"account_number": f"1209{f.next_number():010d}", "holder_name": "KE GIAN"},
        ),
        {"bidv": ALLOWED, "manager": 403, "agribank": 404, "staff": 403},
    ),
    "DELETE the BIDV vendor": (
        api("DELETE", lambda w: f"/api/v1/vendors/{w.bidv_vendor.id}"),
        {"bidv": ALLOWED, "manager": 403, "agribank": 404},
    ),
    "POST a new person onto S1 with replace_occupant": (
        api(
            "POST",
            lambda w: "/api/v1/vendors",
            lambda w: {
                "market_code": w.market.code,
                "stall_code": w.s1.code,
                **api_person(NEW_PERSON(w)),
                "replace_occupant": True,
            },
        ),
        {"admin": ALLOWED, "agribank": 403, "manager": 403},
    ),
    "POST the BIDV customer's own Agribank account": (
        api(
            "POST",
            lambda w: "/api/v1/vendors",
            lambda w: {
                "market_code": w.market.code,
                "stall_code": w.s1.code,
                "display_name": "Trần Thị Mai",
                "phone": w.bidv_vendor.phone_e164,
                "account_number": f"18{f.next_number():011d}",
                "consent": True,
            },
        ),
        {"agribank": ALLOWED, "kl_agribank": 422, "manager": 403},
    ),
    "PATCH the vendor who moved out of Kim Long": (
        api(
            "PATCH",
            lambda w: f"/api/v1/vendors/{w.moved_vendor.id}",
            lambda w: {"holder_name": "VO T HONG"},
        ),
        {"agribank": ALLOWED, "kl_agribank": 403, "kl_manager": 403},
    ),
    "print the placard of the vendor who moved out of Kim Long": (
        api("GET", lambda w: f"/api/v1/vendors/{w.moved_vendor.id}/placard.pdf"),
        {"agribank": ALLOWED, "manager": ALLOWED, "kl_agribank": 403, "kl_manager": 403},
    ),
    "POST an account for the BIDV vendor": (
        api(
            "POST",
            lambda w: f"/api/v1/vendors/{w.bidv_vendor.id}/accounts",
            lambda w: {"account_number": f"1208{f.next_number():010d}"},
        ),
        {"bidv": ALLOWED, "manager": 403, "agribank": 404},
    ),
}


def _run_case(app, session, people: People, run: Request, role: str, expected: Any) -> str | None:
    """Run one request against a world of its own; return a problem description, or None."""
    world = make_world(session, people)
    prepared = run.prepare(world)
    before = registry(session)
    status = run(app, world, role, prepared)
    changed = registry(session) != before
    if expected == ALLOWED:
        if status >= 400 or not changed:
            return f"allowed but answered {status}{'' if changed else ' and changed nothing'}"
        return None
    if changed:
        return f"refused ({status}) but the registry changed"
    if status != expected:
        return f"expected {expected}, answered {status}"
    return None


@pytest.mark.parametrize("cases", [WEB_CASES, API_CASES], ids=["web", "api"])
def test_every_write_per_role_in_and_out_of_scope(app, session, people, cases):
    problems = []
    for name, (run, expectations) in cases.items():
        for role, expected in expectations.items():
            problem = _run_case(app, session, people, run, role, expected)
            if problem:
                problems.append(f"{name} as {role}: {problem}")
    assert not problems, "\n".join(problems)


def test_the_cli_and_the_import_follow_the_same_policy(app, session, people, runner, tmp_path):
    world = make_world(session, people)
    before = registry(session)
    out = tmp_path / "cho.pdf"
    reprint = runner.invoke(
        args=[
            "placards",
            "render",
            "--market",
            world.market.code,
            "--include-current",
            "-o",
            str(out),
        ]
    )
    assert reprint.exit_code == 2 and "--confirm-superseding" in reprint.stderr
    assert registry(session) == before and not out.exists()

    rows = (
        "Mã chợ,Mã sạp,Tên tiểu thương,Số điện thoại,Ngân hàng,Số tài khoản / số thẻ\n"
        f"{world.market.code},{world.s4.code},Đinh Văn Mới,0919777009,,1500205777009\n"
    )
    path = tmp_path / "ds.csv"
    path.write_text(rows, encoding="utf-8")
    before = registry(session, audit=False)
    kim_long = runner.invoke(
        args=[
            "vendors",
            "import",
            str(path),
            "--bank",
            f.AGRIBANK,
            "--org",
            str(world.kim_long_branch.id),
        ]
    )
    assert kim_long.exit_code == 1 and world.market.code in kim_long.output  # unknown in its area
    other_bank = runner.invoke(
        args=[
            "vendors",
            "import",
            str(path),
            "--bank",
            BIDV,
            "--org",
            str(world.agribank_branch.id),
        ]
    )
    assert other_bank.exit_code == 2
    assert registry(session, audit=False) == before

    own = runner.invoke(
        args=[
            "vendors",
            "import",
            str(path),
            "--bank",
            f.AGRIBANK,
            "--org",
            str(world.agribank_branch.id),
        ]
    )
    assert own.exit_code == 0, own.output
    assert registry(session, audit=False) != before
