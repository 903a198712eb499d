"""The audit log: every admin change is listed, filterable, in Vietnam time, masked."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from market4.admin.audit_log import diff, mask_account, masked
from market4.audit.models import AuditEvent


def rows(page: str) -> int:
    return len(re.findall(r'<td data-label="Thời gian"', page))


def add_event(session, **fields) -> AuditEvent:
    values = {
        "action": "update",
        "object_type": "PaymentAccount",
        "object_id": "7",
        "channel": "web",
        "at": datetime(2026, 11, 22, 18, 30, tzinfo=UTC),
        **fields,
    }
    event = AuditEvent(**values)
    session.add(event)
    session.flush()
    return event


def test_admin_changes_are_listed_and_filterable(admin_client, admin, session, areas, banks):
    admin_client.post(
        "/quan-tri/don-vi/moi",
        data={"kind": "commune_office", "name": "UBND xã Ngãi Giao", "area": "2025/commune/26575"},
    )
    admin_client.post(
        "/quan-tri/cho/moi",
        data={
            "code": "CD-X",
            "name": "Chợ X",
            "kind": "traditional",
            "commune": "2025/commune/26575",
        },
    )
    page = admin_client.get("/quan-tri/nhat-ky").get_data(as_text=True)
    assert "UBND xã Ngãi Giao" in page and "CD-X" in page and "Trần Quản Trị" in page
    assert rows(page) >= 3  # the admin's own account, the office, the market

    only_markets = admin_client.get("/quan-tri/nhat-ky?object_type=Market").get_data(as_text=True)
    assert rows(only_markets) == 1 and "CD-X" in only_markets
    by_actor = admin_client.get(f"/quan-tri/nhat-ky?actor={admin.id}&action=create").get_data(
        as_text=True
    )
    assert rows(by_actor) == 2  # the admin's own creation had no actor
    assert '<option value="Market">Chợ</option>' in page  # object types come from the data


def test_time_is_shown_in_vietnam_time_and_dates_filter_by_vietnamese_days(admin_client, session):
    add_event(
        session, after={"status": "posted"}
    )  # 18:30 UTC on 22/11 is 01:30 on 23/11 in Vietnam
    page = admin_client.get("/quan-tri/nhat-ky?object_type=PaymentAccount").get_data(as_text=True)
    assert "23/11/2026 01:30" in page
    on_the_23rd = (
        "/quan-tri/nhat-ky?object_type=PaymentAccount&date_from=23/11/2026&date_to=23/11/2026"
    )
    assert rows(admin_client.get(on_the_23rd).get_data(as_text=True)) == 1
    on_the_22nd = "/quan-tri/nhat-ky?object_type=PaymentAccount&date_to=22/11/2026"
    assert rows(admin_client.get(on_the_22nd).get_data(as_text=True)) == 0


def test_a_mistyped_date_is_pointed_out_in_vietnamese(admin_client, error_next_to):
    page = admin_client.get("/quan-tri/nhat-ky?date_from=2026-13-45").get_data(as_text=True)
    assert (
        error_next_to(page, "date_from")
        == "Ngày không hợp lệ, hãy nhập theo dạng ngày/tháng/năm (vd. 22/11/2026)."
    )


def test_account_numbers_are_masked_and_only_changed_keys_shown(admin_client, session):
    add_event(
        session,
        object_id="99",
        before={
            "account_number": "0123456789",
            "holder_name": "NGUYEN THI DAO",
            "status": "active",
        },
        after={"account_number": "9876543210", "holder_name": "NGUYEN THI DAO", "status": "active"},
    )
    page = admin_client.get("/quan-tri/nhat-ky?object_id=99").get_data(as_text=True)
    assert "0123456789" not in page and "9876543210" not in page
    assert "••••••6789" in page and "••••••3210" in page
    assert "NGUYEN THI DAO" not in page  # unchanged: not part of the diff


def test_pages_of_fifty_newest_first(admin_client, session):
    for n in range(51):
        add_event(session, object_id=str(1000 + n), at=datetime(2026, 1, 1, 0, n, tzinfo=UTC))
    first = admin_client.get("/quan-tri/nhat-ky?object_type=PaymentAccount").get_data(as_text=True)
    assert rows(first) == 50 and first.index("#1050") < first.index("#1049")
    assert "Trang 1 / 2" in first
    second = admin_client.get("/quan-tri/nhat-ky?object_type=PaymentAccount&page=2").get_data(
        as_text=True
    )
    assert rows(second) == 1 and "#1000" in second


def test_diff_and_masking_rules():
    assert mask_account("0123456789") == "••••••6789"
    assert masked({"accounts": [{"account_number": "12345678"}], "payment_account_id": 5}) == {
        "accounts": [{"account_number": "••••5678"}],
        "payment_account_id": 5,
    }
    changes = diff(
        {"name": "A", "role": "admin"}, {"name": "B", "role": "admin"}, object_type="User"
    )
    assert [(c.key, c.before, c.after) for c in changes] == [("name", "A", "B")]
    [created] = diff(None, {"role": "bank_partner"}, object_type="User")
    assert (created.before, created.after) == ("–", "Đối tác ngân hàng")


def test_print_runs_and_visits_read_in_words_and_long_lists_are_cut(admin_client, session):
    serials = [f"P{n:07d}" for n in range(1, 246)]
    add_event(
        session,
        action="print",
        object_type="PrintRun",
        object_id=None,
        after={"layout": "a4x4", "ec_level": "Q", "placards": 245, "serials": serials},
    )
    add_event(
        session,
        action="visit",
        object_type="VerificationVisit",
        object_id="3",
        after={"outcome": "placard_posted", "stall_id": 12},
    )
    page = admin_client.get("/quan-tri/nhat-ky").get_data(as_text=True)
    for words in (
        "Đợt in bảng mã",
        "Đợt in",
        "Mức sửa lỗi của mã QR",
        "4 bảng trên một tờ A4",
        "Ghi nhận kiểm tra sạp",
        "Lần kiểm tra sạp",
        "Kết quả",
        "Đã dán bảng mã QR",
    ):
        assert words in page, words
    for code in ("PrintRun", "ec_level", "placard_posted", "a4x4"):
        assert code not in re.sub(r"<[^>]+>", "", page.split("<main", 1)[1]), code
    assert "P0000010" in page and "P0000011" not in page
    assert "… và 235 mục khác" in page
