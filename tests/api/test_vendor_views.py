"""The vendor view the API builds from one JSON document of the database: what each
caller may read of a vendor with accounts at two banks, on SQLite and PostgreSQL."""

from __future__ import annotations

from market4.api.schemas import utc_iso
from market4.db import now_utc
from market4.extensions import db
from market4.placards.services import issue_placard
from market4.registry.vendors import PaymentAccount
from tests import factories


def _listed(client, api_user, vendor_id: int) -> dict:
    items = client.get("/api/v1/vendors", headers=api_user.headers).get_json()["items"]
    [item] = [item for item in items if item["id"] == vendor_id]
    assert client.get(f"/api/v1/vendors/{vendor_id}", headers=api_user.headers).get_json() == item
    return item


def test_each_caller_reads_what_its_scope_allows(client, partner, other_partner, make_api_user):
    registered = factories.registered_vendor(org=partner.user.organisation)
    vendor, on_placard, stall = registered.vendor, registered.account, registered.occupancy.stall
    at_agribank = PaymentAccount(
        vendor=vendor,
        bank_bin=factories.AGRIBANK,
        account_number=factories.account_number(factories.AGRIBANK),
        holder_name=vendor.bank_style_name,
        is_on_placard=False,
        verified_at=now_utc(),
    )
    db.session.add(at_agribank)
    db.session.flush()
    placard = issue_placard(stall, on_placard, actor=None)
    admin = make_api_user("admin", None)

    own = _listed(client, partner, vendor.id)
    assert [a["id"] for a in own["accounts"]] == [on_placard.id]
    assert own["accounts"][0]["account_number"] == on_placard.account_number
    assert own["accounts"][0]["is_on_placard"] is True
    assert own["placard"] == {"serial": placard.serial, "status": "issued", "version": 1}
    assert own["stall"]["code"] == stall.code
    assert own["is_active"] is True
    assert own["created_at"] == utc_iso(vendor.created_at)

    # Agribank sees its own account and the stall, not Vietcombank's placard.
    other = _listed(client, other_partner, vendor.id)
    assert [a["id"] for a in other["accounts"]] == [at_agribank.id]
    assert other["accounts"][0]["is_on_placard"] is False
    assert other["accounts"][0]["verified_at"] == utc_iso(at_agribank.verified_at)
    assert other["placard"] is None
    assert other["stall"] == own["stall"]

    # An admin reads both, the placard's account first, with their numbers.
    both = _listed(client, admin, vendor.id)
    assert [a["id"] for a in both["accounts"]] == [on_placard.id, at_agribank.id]
    assert [a["account_number"] for a in both["accounts"]] == [
        on_placard.account_number,
        at_agribank.account_number,
    ]
    assert both["placard"] == own["placard"]


def test_a_vendor_without_stall_or_placard(client, partner):
    registered = factories.registered_vendor(org=partner.user.organisation)
    registered.occupancy.ended_on = registered.occupancy.started_on
    db.session.flush()
    view = _listed(client, partner, registered.vendor.id)
    assert view["stall"] is None and view["placard"] is None
    assert [a["id"] for a in view["accounts"]] == [registered.account.id]
