"""Importing vendors: every kind of bad row, create/update/unchanged, all-or-nothing commit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.errors import PermissionDenied
from market4.imports import services
from market4.imports.reading import ImportFileError
from market4.markets import services as markets
from market4.registry.imports import ImportBatch, ImportRow
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors import bulk as bulk_registration
from market4.vendors import services as vendor_services
from tests import factories as f
from tests.imports.conftest import to_csv, xlsx


def counts(session) -> tuple[int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Vendor, PaymentAccount, Occupancy)
    )


def run(world, rows, *, dry_run=True, content=None, filename="ds.csv"):
    data = content if content is not None else to_csv(rows).encode("utf-8")
    return services.import_vendors(
        data,
        filename,
        bank_bin=f.AGRIBANK,
        organisation=world.org,
        actor=world.user,
        dry_run=dry_run,
    )


def by_row(batch) -> dict[int, ImportRow]:
    return {row.row_number: row for row in batch.rows}


def codes(row) -> set[str]:
    return {error["code"] for error in row.errors if error["severity"] == "error"}


def test_preview_writes_nothing_then_commit_writes_every_valid_row(session, world):
    before = counts(session)
    batch = run(world, [world.row(0), world.row(1, phone="0912 000 001", holder="nguyen thi dao")])
    assert batch.status == "previewed"
    assert batch.summary["create"] == 2 and batch.summary["rows"] == 2
    assert counts(session) == before

    services.commit_batch(batch, organisation=world.org, actor=world.user)
    assert batch.status == "committed" and batch.committed_at is not None
    assert counts(session) == tuple(n + 2 for n in before)
    row = by_row(batch)[2]
    vendor = session.get(Vendor, row.vendor_id)
    account = session.get(PaymentAccount, row.payment_account_id)
    assert (vendor.display_name, vendor.bank_style_name, vendor.phone_e164) == (
        "Nguyễn Thị Đào 0",
        "NGUYEN THI DAO 0",
        "+84912000000",
    )
    assert vendor.consent_at is not None and vendor.registered_by_org_id == world.org.id
    assert (
        account.bank_bin,
        account.account_number,
        account.holder_name,
        account.partner_reference,
    ) == (f.AGRIBANK, "1903000000000", "NGUYEN THI DAO 0", "AGR-0")
    assert account.is_on_placard and account.verified_at is not None
    assert markets.current_occupant(world.stalls[0]) == vendor
    assert world.stalls[0].goods_category == "Rau củ"
    audit = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "Vendor", AuditEvent.object_id == str(vendor.id)
        )
    ).all()
    assert [event.action for event in audit] == ["register"]
    assert (
        audit[0].after["import_batch_id"] == batch.id
        and audit[0].after["account_number"] == "…0000"
    )
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.object_type == "ImportBatch", AuditEvent.action == "import")
        )
        == 1
    )


def test_reimport_of_the_same_file_creates_nothing(session, world):
    rows = [world.row(0), world.row(1), world.row(2)]
    first = run(world, rows, dry_run=False)
    assert first.status == "committed" and first.summary["create"] == 3
    written = counts(session)
    again = run(world, rows, dry_run=False)
    assert again.status == "committed"
    assert (again.summary["create"], again.summary["unchanged"]) == (0, 3)
    assert counts(session) == written
    # Matched by reference even when the reference is the only thing that identifies the row.
    assert {row.vendor_id for row in again.rows} == {row.vendor_id for row in first.rows}


def test_changed_details_become_updates_through_the_same_rules(session, world):
    run(world, [world.row(0), world.row(1)], dry_run=False)
    batch = run(
        world,
        [
            world.row(0, name="Trần Thị Đào", phone="0987654321"),
            world.row(1, category="Thịt"),
            world.row(2),
        ],
        dry_run=False,
    )
    assert batch.status == "committed", batch.error
    rows = by_row(batch)
    assert [rows[n].outcome for n in (2, 3, 4)] == ["update", "update", "create"]
    vendor = session.get(Vendor, rows[2].vendor_id)
    assert (vendor.display_name, vendor.bank_style_name, vendor.phone_e164) == (
        "Trần Thị Đào",
        "TRAN THI DAO",
        "+84987654321",
    )
    assert world.stalls[1].goods_category == "Thịt"


def test_new_account_number_for_the_same_partner_reference_updates_the_account(session, world):
    run(world, [world.row(0)], dry_run=False)
    batch = run(world, [world.row(0, account="1903999999999")], dry_run=False)
    row = by_row(batch)[2]
    assert row.outcome == "update"
    assert session.get(PaymentAccount, row.payment_account_id).account_number == "1903999999999"


@pytest.mark.parametrize(
    ("overrides", "column", "code"),
    [
        ({"market": "KHONG-CO"}, "market_code", "unknown_market"),
        ({"market": ""}, "market_code", "required"),
        ({"stall": "Sạp 999"}, "stall_code", "unknown_stall"),
        ({"stall": ""}, "stall_code", "required"),
        ({"name": ""}, "display_name", "required"),
        ({"name": "12345"}, "display_name", "name_without_letters"),
        ({"phone": ""}, "phone", "required"),
        ({"phone": "912345678"}, "phone", "phone_leading_zero_lost"),
        ({"phone": "9.12E+08"}, "phone", "phone_scientific_notation"),
        ({"phone": "01912345678"}, "phone", "phone_old_format"),
        ({"phone": "02838123456"}, "phone", "phone_not_mobile"),
        ({"phone": "+14155550123"}, "phone", "phone_not_vietnamese"),
        ({"account": ""}, "account_number", "required"),
        ({"account": "9.70E+15"}, "account_number", "account_number_scientific"),
        ({"account": "9,70422E+15"}, "account_number", "account_number_scientific"),
        ({"account": "1903123.0"}, "account_number", "account_number_decimal"),
        ({"account": "19031234567890123456"}, "account_number", "account_number_too_long"),
        ({"account": "1903-ÁB"}, "account_number", "account_number_invalid_chars"),
        ({"bank": "Vietcombank"}, "bank", "other_bank"),
        ({"bank": "970436"}, "bank", "other_bank"),
        ({"bank": "Ngân hàng không có"}, "bank", "unknown_bank"),
        ({"category": "Xe máy"}, "goods_category", "unknown_goods_category"),
        ({"ref": "R" * 65}, "partner_reference", "invalid_length"),
    ],
)
def test_every_kind_of_bad_row_is_invalid_with_its_column_and_reason(
    session, world, overrides, column, code
):
    batch = run(world, [world.row(0), world.row(1, **overrides)])
    good, bad = by_row(batch)[2], by_row(batch)[3]
    assert good.outcome == "create"
    assert bad.outcome == "invalid"
    assert code in codes(bad)
    assert column in {error["column"] for error in bad.errors}
    assert all(error["message"] for error in bad.errors)
    assert batch.summary["invalid"] == 1


def test_bank_column_accepts_bin_napas_code_or_name_of_the_partners_bank(session, world):
    batch = run(
        world,
        [world.row(0, bank="970405"), world.row(1, bank="Agribank"), world.row(2, bank="VBA")],
    )
    assert [row.outcome for row in batch.rows] == ["create", "create", "create"]


def test_stall_rules_occupied_closed_and_claimed_twice(session, world):
    occupant = f.registered_vendor(world.stalls[0], org=world.org, bank_bin=f.AGRIBANK)
    markets.close_stall(world.stalls[1], actor=None)
    batch = run(
        world,
        [
            world.row(0, account="1111111111111"),
            world.row(1),
            world.row(2),
            world.row(2, account="2222222222222", ref="AGR-X", phone="0912999999"),
        ],
    )
    rows = by_row(batch)
    # Someone else trades there: refused, without naming them (they may bank elsewhere).
    assert (
        codes(rows[2]) == {"stall_occupied"}
        and occupant.vendor.display_name not in rows[2].errors[0]["message"]
    )
    assert codes(rows[3]) == {"stall_closed"}
    assert rows[4].outcome == "create"
    assert rows[5].outcome == "invalid" and codes(rows[5]) == {"stall_taken_in_file"}


def test_duplicates_are_reported_apart_from_invalid_rows(session, world):
    existing = f.registered_vendor(
        f.stall(world.market, code=f"Ki-ốt {f.next_number()}"),
        org=world.org,
        bank_bin=f.AGRIBANK,
        account_number="5555555555555",
    )
    vendor_services.deactivate_registration(
        existing.account, organisation=world.org, actor=None, reason="đóng"
    )
    batch = run(
        world,
        [
            world.row(0),
            world.row(1, account=world.row(0)[5]),
            world.row(2, ref="AGR-0", account="3333333333333"),
            world.row(3, account="5555555555555"),
        ],
    )
    rows = by_row(batch)
    assert rows[2].outcome == "create"
    assert rows[3].outcome == "duplicate" and "dòng 2" in rows[3].errors[0]["message"]
    assert rows[4].outcome == "duplicate" and rows[4].errors[0]["column"] == "partner_reference"
    assert rows[5].outcome == "duplicate" and codes(rows[5]) == {"duplicate_account"}
    assert (batch.summary["duplicate"], batch.summary["invalid"]) == (3, 0)


def test_account_of_a_vendor_at_another_stall_is_not_moved_by_an_import(session, world):
    run(world, [world.row(0)], dry_run=False)
    batch = run(world, [world.row(0, stall=world.stalls[5].code)])
    assert codes(batch.rows[0]) == {"stall_differs"}


def test_warnings_never_block_a_row(session, world):
    f.registered_vendor(
        f.stall(world.market, code=f"Ki-ốt {f.next_number()}"),
        org=world.org,
        bank_bin=f.AGRIBANK,
        phone="0912000000",
    )
    batch = run(world, [world.row(0, holder="TRAN VAN KHAC")])
    row = batch.rows[0]
    assert row.outcome == "create"
    warning_codes = {error["code"] for error in row.errors if error["severity"] == "warning"}
    assert warning_codes == {"duplicate_phone", "holder_name_differs"}
    assert batch.summary["with_warnings"] == 1


def test_excel_numeric_cells_are_explained(session, world):
    content = xlsx(
        [
            [
                world.market.code,
                "Sạp 1",
                "Lê Văn Tám",
                912345678,
                None,
                1903123456789,
                None,
                None,
                None,
            ],
            [
                world.market.code,
                "Sạp 2",
                "Lê Văn Chín",
                "0912345679",
                None,
                9704229912345678000,
                None,
                None,
                None,
            ],
            [
                world.market.code,
                "Sạp 3",
                "Lê Văn Mười",
                "0912345680",
                None,
                "9704229912345670",
                None,
                None,
                None,
            ],
        ]
    )
    batch = run(world, [], content=content, filename="ds.xlsx")
    rows = by_row(batch)
    assert codes(rows[2]) == {"phone_leading_zero_lost"}
    assert codes(rows[3]) == {"account_number_excel_precision"}
    assert rows[4].outcome == "create"  # typed as text: all 16 digits kept


def test_bank_partner_cannot_import_for_another_bank(session, world):
    with pytest.raises(PermissionDenied):
        services.import_vendors(
            to_csv([world.row(0)]).encode(),
            "x.csv",
            bank_bin=f.VCB,
            organisation=world.org,
            actor=world.user,
            dry_run=True,
        )
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_unreadable_file_stores_nothing(session, world):
    with pytest.raises(ImportFileError):
        run(world, [], content=b"%PDF-1.4 ...", filename="x.pdf")
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_markets_outside_the_users_scope_are_unknown(session, world):
    branch = f.organisation(bank_bin=f.AGRIBANK, area=f.commune("Xã khác"))
    partner = f.user("bank_partner", org=branch)
    batch = services.import_vendors(
        to_csv([world.row(0)]).encode(),
        "x.csv",
        bank_bin=f.AGRIBANK,
        organisation=branch,
        actor=partner,
        dry_run=True,
    )
    assert codes(batch.rows[0]) == {"unknown_market"}


def test_a_market_manager_never_imports_accounts(session, world):
    manager = f.user("market_manager", org=f.organisation(kind="market_board", bank_bin=None))
    manager.markets.append(world.market)
    before = counts(session)
    with pytest.raises(PermissionDenied) as info:
        services.import_vendors(
            to_csv([world.row(0)]).encode(),
            "x.csv",
            bank_bin=f.AGRIBANK,
            organisation=manager.organisation,
            actor=manager,
            dry_run=True,
        )
    assert info.value.code == "manager_no_accounts" and counts(session) == before


def test_failure_mid_commit_leaves_no_row_behind_and_keeps_the_batch_as_failed(
    session, world, monkeypatch
):
    run(world, [world.row(0), world.row(1)], dry_run=False)
    before = counts(session)
    audits = session.scalar(select(func.count()).select_from(AuditEvent))
    batch = run(
        world,
        [
            world.row(0, name="Đổi Tên Một"),
            world.row(1, name="Đổi Tên Hai"),
            world.row(2),
            world.row(3),
        ],
    )
    assert (batch.summary["update"], batch.summary["create"]) == (2, 2)
    real_update = vendor_services.update_registration
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("ổ đĩa đầy")
        return real_update(*args, **kwargs)

    monkeypatch.setattr(vendor_services, "update_registration", fail_on_second)
    services.commit_batch(batch, organisation=world.org, actor=world.user)
    session.commit()  # what the view does: the failed batch is kept

    assert batch.status == "failed" and "ổ đĩa đầy" in batch.error
    assert counts(session) == before
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audits
    assert {vendor.display_name for vendor in session.scalars(select(Vendor))} >= {
        "Nguyễn Thị Đào 0"
    }
    assert "Đổi Tên Một" not in {vendor.display_name for vendor in session.scalars(select(Vendor))}
    assert all(row.vendor_id is None for row in batch.rows if row.outcome == "create")
    assert markets.current_occupant(world.stalls[2]) is None

    monkeypatch.setattr(vendor_services, "update_registration", real_update)
    services.commit_batch(batch, organisation=world.org, actor=world.user)  # a retry succeeds
    assert batch.status == "committed" and counts(session)[0] == before[0] + 2


def test_failure_in_the_bulk_insert_rolls_back_too(session, world, monkeypatch):
    before = counts(session)

    def broken(*args, **kwargs):
        raise RuntimeError("mất kết nối")

    monkeypatch.setattr(bulk_registration, "register_vendors_bulk", broken)
    batch = run(world, [world.row(0), world.row(1)], dry_run=False)
    assert batch.status == "failed" and counts(session) == before
    assert session.get(ImportBatch, batch.id) is batch


def test_a_committed_batch_cannot_be_committed_twice(session, world):
    from market4.errors import Conflict

    batch = run(world, [world.row(0)], dry_run=False)
    with pytest.raises(Conflict):
        services.commit_batch(batch, organisation=world.org, actor=world.user)


def test_commit_revalidates_against_what_changed_since_the_preview(session, world):
    batch = run(world, [world.row(0), world.row(1)])
    # Someone registers row 3's account before the commit.
    run(world, [world.row(1)], dry_run=False)
    services.commit_batch(batch, organisation=world.org, actor=world.user)
    assert [row.outcome for row in batch.rows] == ["create", "unchanged"]
    assert batch.summary["create"] == 1


def test_batch_as_dict_is_json_ready_and_masks_nothing_it_should_not_show(session, world):
    import json

    batch = run(world, [world.row(0), world.row(1, phone="912")])
    data = services.batch_as_dict(batch)
    json.dumps(data)
    assert data["summary"]["create"] == 1
    assert [row["outcome"] for row in data["rows"]] == ["create", "invalid"]
    assert "1903" not in json.dumps(data["rows"])


def test_ten_thousand_rows(session, world):
    from sqlalchemy import insert

    from market4.registry.markets import Stall

    session.execute(
        insert(Stall),
        [{"market_id": world.market.id, "code": f"Sạp {i + 1}"} for i in range(12, 10_000)],
    )
    prefixes = ("090", "091", "093", "094", "096", "097", "098", "086", "088", "070")
    rows = [
        [
            world.market.code,
            f"Sạp {i + 1}",
            f"Nguyễn Văn Số {i}",
            f"{prefixes[i % 10]}{i:07d}",
            "",
            f"7{i:012d}",
            "",
            "Rau củ",
            f"AGR-{i}",
        ]
        for i in range(10_000)
    ]
    content = to_csv(rows).encode("utf-8")
    batch = run(world, [], content=content, dry_run=False)
    assert batch.status == "committed", batch.error
    assert batch.summary["create"] == 10_000
    assert counts(session)[0] >= 10_000
    again = run(world, [], content=content, dry_run=False)
    assert (again.summary["unchanged"], again.summary["create"]) == (10_000, 0)


def test_a_clash_with_a_concurrent_registration_fails_the_batch_cleanly(
    session, world, monkeypatch
):
    from market4.imports import planning

    batch = run(world, [world.row(0), world.row(1)])
    # The preview did not see it: someone registers row 2's account right before the commit.
    f.registered_vendor(
        f.stall(world.market, code=f"Ki-ốt {f.next_number()}"),
        org=world.org,
        bank_bin=f.AGRIBANK,
        account_number="1903000000000",
    )
    monkeypatch.setattr(planning.duplicates, "accounts_by_number", lambda bank_bin, numbers: {})
    before = counts(session)
    services.commit_batch(batch, organisation=world.org, actor=world.user)
    assert batch.status == "failed" and "người khác" in batch.error
    assert counts(session) == before


def test_a_row_naming_the_stalls_occupant_adds_their_account_without_a_second_person(
    session, world
):
    occupant = f.registered_vendor(
        world.stalls[0],
        bank_bin="970418",
        account_number="12010000123456",
        display_name="Phạm Thị Lan",
        phone="0912000100",
    )
    posted_account = occupant.account
    before = counts(session)
    rows = [
        world.row(0, name="pham thi lan", phone="0912 000 100", category="Trái cây"),
        world.row(1),
        world.row(
            0,
            name="Phạm Thị Lan",
            phone="0912000100",
            account="1903000009999",
            ref="AGR-9",
            category="Trái cây",
        ),
    ]
    preview = run(world, rows)
    outcomes = [row.outcome for row in sorted(preview.rows, key=lambda row: row.row_number)]
    assert outcomes == ["add_account", "create", "add_account"]
    assert preview.summary["add_account"] == 2 and counts(session) == before
    from market4.imports.report import report_lines

    assert any(
        "Sẽ thêm tài khoản cho tiểu thương đang ở sạp" in str(line)
        for line in report_lines(preview)
    )

    batch = run(world, rows, dry_run=False)
    assert batch.status == "committed", batch.error
    assert counts(session) == (
        before[0] + 1,
        before[1] + 3,
        before[2] + 1,
    )  # one person, three accounts
    added = session.scalars(
        select(PaymentAccount).where(
            PaymentAccount.vendor_id == occupant.vendor.id, PaymentAccount.bank_bin == f.AGRIBANK
        )
    ).all()
    assert len(added) == 2 and not any(account.is_on_placard for account in added)
    assert posted_account.is_on_placard  # the stall's QR keeps paying the BIDV account
    assert world.stalls[0].goods_category == "Trái cây"
    again = run(world, rows, dry_run=False)
    assert again.summary["unchanged"] == 3 and counts(session) == (
        before[0] + 1,
        before[1] + 3,
        before[2] + 1,
    )


def test_account_numbers_break_no_bank_rule_per_row(session, world):
    batch = run(world, [world.row(0, account="12345ABC678"), world.row(1, account="123456")])
    rows = by_row(batch)
    assert codes(rows[2]) == {"account_number_letters_not_allowed"}
    assert codes(rows[3]) == {"account_number_length"}
    assert (
        "Agribank" in rows[3].errors[0]["message"]
        and rows[3].errors[0]["column"] == "account_number"
    )


def test_an_occupant_without_a_phone_gets_the_rows_phone(session, world):
    occupant = f.registered_vendor(
        world.stalls[0],
        bank_bin="970418",
        account_number="12010000123457",
        display_name="Đỗ Văn Hải",
    )
    occupant.vendor.phone_e164 = None
    session.flush()
    batch = run(world, [world.row(0, name="Đỗ Văn Hải", phone="0912000200")], dry_run=False)
    assert batch.status == "committed" and batch.summary["add_account"] == 1, batch.error
    session.refresh(occupant.vendor)
    assert occupant.vendor.phone_e164 == "+84912000200"
