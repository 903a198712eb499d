"""Printing placards from the registry: what is issued, what is printed where, and safety.

The scan-back tests print a demo market through the same service the CLI and the web
call, rasterise the PDF like a printer would (300 and 150 dpi) and decode every QR: each
must pay exactly the account registered for the stall printed at that position.
"""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.demo.seed import seed
from market4.domain import placard_layout
from market4.domain.placard_layout import LAYOUTS, PlacardLayoutError
from market4.domain.vietqr import Transfer, encode
from market4.errors import Conflict, NotFound
from market4.markets import services as markets
from market4.placards import printing, services
from market4.registry.markets import ACCEPTING, Market
from market4.registry.placards import Placard
from market4.registry.stalls import current_occupant
from tests import factories as f

SMALL_DEMO_MARKET = "CD-QUANGTHANH"  # 40 stalls: a few sheets, quick to rasterise


def demo_market(session, code: str = SMALL_DEMO_MARKET) -> Market:
    seed()
    return session.scalar(select(Market).where(Market.code == code))


def posted_on(market: Market) -> int:
    """How many posted placards reprinting the whole market would supersede (to confirm)."""
    return printing.select_stalls(market.stalls, only_outdated=False).posted_superseded


def registered_account(stall):
    """The account the registry says this stall's placard must pay (independent of printing)."""
    return current_occupant(stall).placard_account


def counts(session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count(Placard.id))),
        session.scalar(
            select(func.count(Placard.id)).where(Placard.status.in_(("issued", "posted")))
        ),
        session.scalar(select(func.count(AuditEvent.id))),
    )


@pytest.mark.parametrize("layout", ["a4x4", "a4x2"])
def test_every_printed_qr_pays_the_stall_printed_at_its_position(
    session, rasterise, decode_qr, pdf_text, layout
):
    market = demo_market(session)
    result = printing.print_market(
        market,
        layout=layout,
        actor=None,
        channel="cli",
        cover_page=True,
        confirm_superseding=posted_on(market),
    )
    session.flush()
    per_page = LAYOUTS[layout].columns * LAYOUTS[layout].rows
    sheets = -(-len(result.placards) // per_page)
    texts = pdf_text(result.pdf)
    assert len(texts) == result.pages
    cover_pages = result.pages - sheets
    assert cover_pages >= 1
    for dpi in (300, 150):
        pages = rasterise(result.pdf, dpi)
        assert len(pages) == result.pages
        for page in pages[:cover_pages]:
            assert decode_qr(page) == []
        for number, page in enumerate(pages[cover_pages:]):
            on_page = result.placards[number * per_page : (number + 1) * per_page]
            expected = [
                services.payload_for(registered_account(placard.stall)) for placard in on_page
            ]
            assert decode_qr(page) == expected, f"sheet {number + 1} of {layout} at {dpi} dpi"
    for number, text in enumerate(texts[cover_pages:]):
        for placard in result.placards[number * per_page : (number + 1) * per_page]:
            assert registered_account(placard.stall).holder_name in text
            assert placard.serial in text


def test_stalls_print_in_natural_code_order(session):
    market = f.market()
    codes = ["Sạp 10", "Sạp 2", "Sạp 1"]
    for code in codes:
        f.registered_vendor(f.stall(market, code, zone="Khu B", row="Dãy 1"))
    f.registered_vendor(f.stall(market, "Sạp 3", zone="Khu A", row="Dãy 1"))
    result = printing.print_market(market, layout="a4x4", actor=None)
    assert [p.stall.code for p in result.placards] == ["Sạp 1", "Sạp 2", "Sạp 3", "Sạp 10"]


def test_printing_records_serials_supersedes_and_writes_one_audit_event(session):
    market = f.market()
    posted = f.registered_vendor(f.stall(market, "Sạp 1"))
    old = services.issue_placard(posted.occupancy.stall, posted.account, actor=None)
    markets.record_visit(posted.occupancy.stall, "placard_posted", actor=None)
    fresh = f.registered_vendor(f.stall(market, "Sạp 2"))
    f.stall(market, "Sạp 3")  # vacant
    events_before = counts(session)[2]
    before = counts(session)
    with pytest.raises(Conflict) as info:  # a posted placard stops working: say how many, ask
        printing.print_market(market, layout="a4x4", actor=None, channel="cli")
    assert (info.value.code, info.value.details["posted"]) == ("confirm_superseding", 1)
    assert counts(session) == before and old.status == "posted"

    result = printing.print_market(
        market, layout="a4x4", actor=None, channel="cli", confirm_superseding=1
    )

    assert [p.stall.code for p in result.placards] == ["Sạp 1", "Sạp 2"]
    assert [(stall.code, reason) for stall, reason in result.skipped] == [
        ("Sạp 3", printing.SKIP_VACANT)
    ]
    first, second = result.placards
    assert (first.serial, second.serial) == ("P0000002", "P0000003")
    assert (first.version, second.version, first.status, first.layout) == (2, 1, "issued", "a4x4")
    assert first.payload == services.payload_for(posted.account)
    assert second.payload == services.payload_for(fresh.account)
    assert old.status == "superseded" and old.end_reason == "reprinted by P0000002"
    assert result.superseded == [old.serial]
    assert services.live_placards(posted.occupancy.stall) == [first]
    assert markets.current_status(posted.occupancy.stall) == ACCEPTING  # same QR: acceptance kept
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))[events_before:]
    assert [(e.action, e.object_type) for e in events] == [("print", "PrintRun")]
    assert events[0].after["serials"] == ["P0000002", "P0000003"]
    assert events[0].after["superseded"] == [old.serial]
    assert services.needs_reprint(market) == []


def test_only_outdated_prints_exactly_the_reprint_list(session):
    market = demo_market(session)
    wanted = services.needs_reprint(market)
    assert wanted  # the demo has registered vendors whose placard was never printed
    result = printing.print_market(market, layout="a4x4", actor=None, only_outdated=True)
    assert [p.stall_id for p in result.placards] == [stall.id for stall in wanted]
    assert services.needs_reprint(market) == []
    with pytest.raises(Conflict) as info:
        printing.print_market(market, layout="a4x4", actor=None, only_outdated=True)
    assert info.value.code == "nothing_to_print"


def test_a_refused_layout_leaves_the_registry_unchanged(session, monkeypatch):
    market = f.market()
    f.registered_vendor(f.stall(market))
    before = counts(session)
    monkeypatch.setattr(placard_layout, "MIN_MODULE_MM", 5.0)  # no QR fits: the guard refuses
    with pytest.raises(PlacardLayoutError, match="minimum"):
        printing.print_market(market, layout="a4x4", actor=None)
    assert counts(session) == before
    with pytest.raises(PlacardLayoutError):
        printing.print_market(market, layout="a3", actor=None)
    with pytest.raises(PlacardLayoutError):
        printing.print_market(market, layout="a6", actor=None, ec_level="L")
    assert counts(session) == before


def test_a_payload_that_pays_another_account_is_never_printed(session, monkeypatch):
    market = f.market()
    result = f.registered_vendor(f.stall(market))
    before = counts(session)
    forged = encode(
        Transfer(bin=result.account.bank_bin, account="999" + result.account.account_number[3:])
    )
    monkeypatch.setattr(services, "payload_for", lambda account: forged)
    with pytest.raises(printing.PayloadMismatch):
        printing.print_market(market, layout="a4x4", actor=None)
    assert counts(session) == before


def test_stalls_without_a_vendor_or_account_are_skipped_with_a_reason(session):
    market = f.market()
    vacant = f.stall(market, "Sạp 1")
    with pytest.raises(Conflict, match="chưa có tiểu thương"):
        printing.print_stalls([vacant], layout="a6", actor=None)
    result = f.registered_vendor(f.stall(market, "Sạp 2"))
    result.account.is_on_placard = False
    session.flush()
    printable = f.registered_vendor(f.stall(market, "Sạp 3"))
    printed = printing.print_market(market, layout="a6", actor=None, cover_page=False)
    assert [p.payment_account_id for p in printed.placards] == [printable.account.id]
    assert [(s.code, reason) for s, reason in printed.skipped] == [
        ("Sạp 1", printing.SKIP_VACANT),
        ("Sạp 2", printing.SKIP_NO_ACCOUNT),
    ]


def test_the_phone_png_decodes_to_the_live_payload_and_has_no_side_effects(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    with pytest.raises(NotFound):
        printing.png_for_stall(stall)
    placard = printing.print_stalls([stall], layout="a6", actor=None).placards[0]
    before = counts(session)
    png = printing.png_for_stall(stall)
    assert counts(session) == before
    found = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert (
        [code.text for code in found] == [placard.payload] == [services.payload_for(result.account)]
    )


def test_the_inspector_check_tells_match_superseded_revoked_unknown_and_invalid(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    first = printing.print_stalls([stall], layout="a6", actor=None).placards[0]
    assert printing.inspect_payload(" " + first.payload + "\n").verdict == "match"
    assert printing.inspect_payload(first.payload).placard is first
    second = printing.print_stalls([stall], layout="a6", actor=None).placards[0]
    assert (
        printing.inspect_payload(first.payload).placard is second
    )  # same QR, reprinted: still pays right
    services.revoke_placard(second, reason="swapped", actor=None)
    revoked = printing.inspect_payload(second.payload)
    assert (revoked.verdict, revoked.placard) == ("revoked", second)
    stranger = encode(Transfer(bin=f.VCB, account="0071000999999"))
    assert printing.inspect_payload(stranger).verdict == "unknown"
    assert printing.inspect_payload("not a qr").verdict == "invalid"
    # A changed CRC digit (one that differs from the real one, whatever the account number).
    tampered = first.payload[:-1] + ("1" if first.payload.endswith("0") else "0")
    assert printing.inspect_payload(tampered).verdict in ("invalid", "unknown")


def test_print_all_covers_every_stall_with_a_placard_account_grouped_by_market(session):
    first, second = f.market(name="Chợ Thử B"), f.market(name="Chợ Thử A")
    a = f.registered_vendor(f.stall(first, "Sạp 1"))
    b = f.registered_vendor(f.stall(second, "Sạp 1"))
    f.stall(second, "Sạp 2")  # vacant: not part of "every stall with a placard account"
    result = printing.print_all(layout="a4x4", actor=None)
    mine = [
        p.payment_account_id
        for p in result.placards
        if p.payment_account_id in (a.account.id, b.account.id)
    ]
    assert mine == [b.account.id, a.account.id]  # "Chợ Thử A" before "Chợ Thử B"
    assert result.skipped == []


def test_spec_carries_what_the_placard_shows(session):
    result = f.registered_vendor(
        f.stall(zone="Khu A", row="Dãy 2", goods_category="Rau củ"), display_name="Nguyễn Thị Đào"
    )
    placard = printing.print_stalls([result.occupancy.stall], layout="a6", actor=None).placards[0]
    spec = printing.spec_for(result.occupancy.stall, result.account, placard)
    assert (spec.holder_name, spec.vendor_display_name, spec.bank_short_name) == (
        "NGUYEN THI DAO",
        "Nguyễn Thị Đào",
        "Vietcombank",
    )
    assert "Ngoại" in spec.bank_brand_line
    assert (spec.zone, spec.row, spec.goods_category, spec.serial, spec.version) == (
        "Khu A",
        "Dãy 2",
        "Rau củ",
        placard.serial,
        1,
    )
    assert spec.account_number == result.account.account_number and spec.payload == placard.payload


def test_the_garbage_collector_is_back_on_after_a_run_even_a_refused_one(session):
    import gc

    market = f.market()
    f.registered_vendor(f.stall(market))
    assert gc.isenabled()
    printing.print_market(market, layout="a6", actor=None)
    assert gc.isenabled()
    with pytest.raises(PlacardLayoutError):
        printing.print_market(market, layout="a6", actor=None, ec_level="L")
    assert gc.isenabled()
    gc.disable()  # a caller that runs without the collector keeps it off
    try:
        printing.print_market(market, layout="a6", actor=None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_preview_issues_nothing_and_carries_no_payable_qr(session, pdf_text):
    market = f.market()
    result = f.registered_vendor(f.stall(market, "Sạp 1"))
    before = counts(session)
    pdf = printing.preview_stalls([result.occupancy.stall], layout="a6")
    assert counts(session) == before and services.live_placard(result.occupancy.stall) is None
    text = " ".join(pdf_text(pdf))
    assert "MẪU" in text and "P0000001" not in text
    assert services.payload_for(result.account).encode() not in pdf
    with pytest.raises(
        Conflict
    ) as info:  # nothing needs printing: a preview of nothing is refused too
        printing.preview_stalls([f.stall(market, "Sạp 2")], layout="a6")
    assert info.value.code == "nothing_to_print"


def test_full_account_numbers_unless_the_market_masks_them(session, pdf_text):
    market = f.market()
    result = f.registered_vendor(f.stall(market, "Sạp 1"), account_number="0011001234567")
    full = " ".join(pdf_text(printing.print_market(market, layout="a6", actor=None).pdf)).replace(
        " ", ""
    )
    assert "0011001234567" in full
    services.set_account_display(market, masked=True, actor=None)
    masked = printing.print_market(market, layout="a6", actor=None, only_outdated=False)
    text = " ".join(pdf_text(masked.pdf)).replace(" ", "")
    assert "0011001234567" not in text and "4567" in text
    assert result.account.account_number == "0011001234567"
