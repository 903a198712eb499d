"""An imported row lists every reason it cannot be written, not only the first, so the
file is fixed in one go; the stall's rule is the registration form's (same code, same
words), and what a row repeats of an earlier one is said once."""

from __future__ import annotations

from market4.vendors import services as vendor_services
from tests import factories as f
from tests.imports.test_services import by_row, counts, run


def problems(row) -> list[tuple[str, str, str]]:
    return [(e["severity"], e["column"], e["code"]) for e in row.errors]


def test_a_row_at_a_taken_stall_with_a_taken_phone_and_account_lists_all_three(session, world):
    occupant = f.registered_vendor(
        world.stalls[0], org=world.org, bank_bin=f.AGRIBANK, display_name="Lê Thị Hạnh"
    )
    phone_owner = f.registered_vendor(
        world.stalls[1], org=world.org, bank_bin=f.AGRIBANK, display_name="Phạm Văn Sáu"
    )
    account_owner = f.registered_vendor(
        world.stalls[2], org=world.org, bank_bin=f.AGRIBANK, display_name="Đỗ Thị Lan"
    )
    row = world.row(
        0,
        name="Trần Văn Ơn",
        phone="0" + phone_owner.vendor.phone_e164[3:],
        account=account_owner.account.account_number,
        ref="AGR-NEW",
    )
    before = counts(session)

    batch = run(world, [row], dry_run=False)

    [result] = batch.rows
    assert result.outcome == "invalid"
    assert problems(result) == [
        ("error", "stall_code", "stall_occupied"),
        ("error", "stall_code", "stall_differs"),
        ("warning", "phone", "duplicate_phone"),
    ]
    messages = {e["code"]: e["message"] for e in result.errors}
    # The registration form's words for the stall, naming neither its vendor nor the phone's.
    assert messages["stall_occupied"].startswith(f"{world.stalls[0].code} đang có tiểu thương khác")
    assert "Lê Thị Hạnh" not in messages["stall_occupied"]
    assert "Phạm Văn Sáu" not in messages["duplicate_phone"]
    assert counts(session) == before  # nothing of the row is written
    assert occupant.occupancy.ended_on is None


def test_a_row_with_an_unknown_market_still_says_its_account_is_closed(session, world):
    existing = f.registered_vendor(
        world.stalls[3], org=world.org, bank_bin=f.AGRIBANK, account_number="5555555555555"
    )
    vendor_services.deactivate_registration(
        existing.account, organisation=world.org, actor=None, reason="đóng"
    )
    batch = run(world, [world.row(0, market="KHONG-CO", account="5555555555555")])
    [row] = batch.rows
    assert row.outcome == "invalid"  # the first reason names the outcome
    assert [(column, code) for _, column, code in problems(row)] == [
        ("market_code", "unknown_market"),
        ("account_number", "duplicate_account"),
    ]


def test_a_repeated_row_is_refused_for_the_repetition_and_its_stall(session, world):
    batch = run(world, [world.row(0), world.row(0)])
    first, second = by_row(batch)[2], by_row(batch)[3]
    assert first.outcome == "create"
    assert second.outcome == "duplicate"
    assert [code for _, _, code in problems(second) if code != "duplicate_phone"] == [
        "duplicate_in_file",
        "duplicate_in_file",
        "stall_taken_in_file",
    ]
