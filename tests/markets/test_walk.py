"""Walk mode: the stalls a round is about, in aisle order, one tap per outcome and on to
the next stall."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from market4.db import today
from market4.markets import services
from market4.placards import services as placards
from market4.registry.markets import VerificationVisit
from tests import factories as f
from tests.clients import sign_in_directly


@pytest.fixture
def market(session):
    """Five stalls over two zones; what each needs is in its name."""
    market = f.market(name="Chợ Thử")
    stalls = {}
    for code, zone in (
        ("Sạp 10", "Khu A"),
        ("Sạp 2", "Khu A"),
        ("Sạp 1", "Khu B"),
        ("Sạp 3", "Khu B"),
        ("Sạp 4", "Khu B"),
    ):
        stalls[code] = f.stall(market, code=code, zone=zone)
    for code in ("Sạp 10", "Sạp 2", "Sạp 1", "Sạp 3"):
        result = f.registered_vendor(stalls[code])
        placards.issue_placard(stalls[code], result.account, actor=None)
    # Sạp 2 was checked today; Sạp 1 a long time ago; Sạp 3 was found swapped.
    services.record_visit(stalls["Sạp 2"], "placard_posted", actor=None)
    services.record_visit(
        stalls["Sạp 1"], "placard_posted", actor=None, on=today() - timedelta(days=120)
    )
    session.add(VerificationVisit(stall_id=stalls["Sạp 3"].id, outcome="placard_swapped"))
    f.registered_vendor(stalls["Sạp 4"])  # a vendor, no placard yet
    session.flush()
    market.walk_stalls = stalls
    return market


def listed(client, market, which: str | None = None) -> list[str]:
    url = f"/cho/{market.code}/di-kiem-tra" + (f"?ds={which}" if which else "")
    page = client.get(url).get_data(as_text=True)
    return re.findall(r'class="walk-stall"[^>]*>\s*<strong>([^<]+)</strong>', page)


def test_each_list_holds_its_stalls_in_aisle_order(client, market):
    sign_in_directly(client, f.user(role="admin"))
    # By stall number across zones; Sạp 2 before Sạp 10 (natural order), not as text.
    assert listed(client, market, "all") == ["Sạp 1", "Sạp 2", "Sạp 3", "Sạp 4", "Sạp 10"]
    assert listed(client, market) == ["Sạp 1", "Sạp 3", "Sạp 10"]  # needs a visit (default)
    assert listed(client, market, "problem") == ["Sạp 3"]
    assert listed(client, market, "stale") == ["Sạp 1", "Sạp 4", "Sạp 10"]
    assert "Sạp 4" in listed(client, market, "placard")


def test_an_outcome_goes_on_to_the_next_stall_and_the_end_says_so(client, market, session):
    sign_in_directly(client, f.user(role="admin"))
    stalls = market.walk_stalls
    step = client.get(f"/cho/{market.code}/di-kiem-tra/{stalls['Sạp 1'].id}?ds=visit")
    page = step.get_data(as_text=True)
    assert "sạp 1 / 3 của danh sách" in page and 'name="back" value="walk"' in page
    assert f"/di-kiem-tra/{stalls['Sạp 3'].id}?ds=visit" in page  # skip to the next
    done = client.post(
        f"/cho/{market.code}/sap/{stalls['Sạp 1'].id}/kiem-tra",
        data={
            "outcome": "placard_posted",
            "visited_on": today().strftime("%d/%m/%Y"),
            "back": "walk",
            "walk_list": "visit",
        },
    )
    assert done.status_code == 302
    following = client.get(done.headers["Location"])
    assert following.headers["Location"].endswith(f"/di-kiem-tra/{stalls['Sạp 3'].id}?ds=visit")
    assert listed(client, market) == ["Sạp 3", "Sạp 10"]  # Sạp 1 is checked now
    # After the last stall of the list: back to the list, with a word that it is done.
    end = client.get(f"/cho/{market.code}/di-kiem-tra/sau/{stalls['Sạp 10'].id}?ds=visit")
    assert end.headers["Location"].endswith(f"/cho/{market.code}/di-kiem-tra?ds=visit")
    assert "Hết danh sách" in client.get(end.headers["Location"]).get_data(as_text=True)


def test_a_scan_from_a_walk_step_leads_on_to_the_next_stall(client, market, session):
    sign_in_directly(client, f.user(role="admin"))
    stalls = market.walk_stalls
    step = client.get(f"/cho/{market.code}/di-kiem-tra/{stalls['Sạp 1'].id}?ds=visit")
    assert 'name="walk_list" value="visit"' in step.get_data(as_text=True)
    placard = placards.live_placard(stalls["Sạp 1"])
    checked = client.post(
        f"/bang-ma/sap/{stalls['Sạp 1'].id}/kiem-tra",
        data={"payload": placard.payload, "walk_list": "visit"},
    )
    page = checked.get_data(as_text=True)
    assert "KHỚP với Sạp 1" in page
    on = f"/cho/{market.code}/di-kiem-tra/sau/{stalls['Sạp 1'].id}?ds=visit"
    assert f'href="{on}"' in page
    # The walk's own page picks the next stall (the check recorded a visit to Sạp 1).
    assert (
        client.get(on).headers["Location"].endswith(f"/di-kiem-tra/{stalls['Sạp 3'].id}?ds=visit")
    )
    # A check opened from the stall page has no walk to go on with.
    alone = client.post(
        f"/bang-ma/sap/{stalls['Sạp 1'].id}/kiem-tra", data={"payload": placard.payload}
    )
    assert "/di-kiem-tra/sau/" not in alone.get_data(as_text=True)
