"""The bank directory page: keyed by BIN, searchable, synced from banks.csv with audit events."""

from __future__ import annotations

from sqlalchemy import select

from market4.audit.models import AuditEvent
from market4.banks.models import Bank


def test_bank_table_and_search(admin_client, banks):
    page = admin_client.get("/quan-tri/ngan-hang").get_data(as_text=True)
    assert "970436" in page and "Vietcombank" in page and "Đồng bộ từ danh mục" in page
    found = admin_client.get("/quan-tri/ngan-hang?q=loc+phat").get_data(as_text=True)
    assert "970449" in found and "970436" not in found


def test_sync_reports_added_and_updated_and_audits_each_bin(admin_client, session, banks):
    session.delete(session.get(Bank, "970436"))
    session.get(Bank, "970405").short_name = "Tên cũ"
    session.flush()
    response = admin_client.post("/quan-tri/ngan-hang/dong-bo", follow_redirects=True)
    assert "thêm 1, cập nhật 1" in response.get_data(as_text=True)
    assert session.get(Bank, "970405").short_name == "Agribank"
    events = {
        (e.action, e.object_id)
        for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "Bank"))
    }
    assert events == {("create", "970436"), ("update", "970405")}


def test_empty_table_invites_a_sync(admin_client):
    page = admin_client.get("/quan-tri/ngan-hang").get_data(as_text=True)
    assert "Bảng ngân hàng đang trống" in page
