"""Every page works under the Content-Security-Policy: no inline script or style is
blocked, because there is none. A violation fails the test with the directive and page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from market4.extensions import db
from market4.registry.markets import Market, Stall
from market4.registry.vendors import Occupancy

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def demo_places(live_app) -> dict[str, str]:
    with live_app.app_context():
        market = db.session.scalar(select(Market).where(Market.code == "CD-NGAIGIAO"))
        stall = db.session.scalar(
            select(Stall)
            .join(Occupancy, Occupancy.stall_id == Stall.id)
            .where(Stall.market_id == market.id, Occupancy.ended_on.is_(None))
            .order_by(Stall.id)
            .limit(1)
        )
        vendor_id = db.session.scalar(
            select(Occupancy.vendor_id).where(
                Occupancy.stall_id == stall.id, Occupancy.ended_on.is_(None)
            )
        )
        return {"market": market.code, "stall": str(stall.id), "vendor": str(vendor_id)}


def pages_for(role: str, places: dict[str, str]) -> list[str]:
    market, stall, vendor = places["market"], places["stall"], places["vendor"]
    common = ["/", "/tong-quan/", "/cho/", f"/cho/{market}", f"/cho/{market}/sap/{stall}"]
    return {
        "admin": [
            *common,
            "/tieu-thuong/",
            f"/tieu-thuong/{vendor}",
            f"/bang-ma/cho/{market}",
            "/nhap-excel/",
            "/bao-cao-qr/",
            "/khoa-api/",
            "/api/v1/docs",
            "/quan-tri/",
            "/quan-tri/tai-khoan",
            "/quan-tri/nhat-ky",
            "/mat-khau",
        ],
        "agribank": [
            *common,
            "/tieu-thuong/",
            "/tieu-thuong/dang-ky",
            "/nhap-excel/",
            "/bao-cao-qr/",
        ],
        "quanlycho": [
            *common,
            f"/bang-ma/cho/{market}",
            "/bang-ma/kiem-tra",
            "/bang-ma/in-lo",
            f"/cho/{market}/di-kiem-tra",
            f"/cho/{market}/di-kiem-tra/{stall}",
        ],
        "huyenchauduc": common,
    }[role]


@pytest.mark.parametrize("role", ["admin", "agribank", "quanlycho", "huyenchauduc"])
def test_no_page_breaks_the_content_security_policy(page, sign_in, demo_places, role):
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(LISTEN)
    sign_in(page, role)
    for path in pages_for(role, demo_places):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert response.headers.get("content-security-policy"), path
        if path == "/api/v1/docs":
            page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
        else:
            page.wait_for_load_state("load")
        violations = page.evaluate("window.__cspViolations")
        assert not violations, f"{path}: {violations}"
        assert not console, f"{path}: {console}"
