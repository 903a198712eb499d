"""The words for the registry's states, one set for every page, export and log.

A stall's acceptance status, the reason it changed, and a placard's state read the same
on the market pages, the bank partner's lists and the audit log. ``None`` is "nothing
recorded yet" (no status change, or no placard printed).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "accepting": _l("Đang nhận QR"),
    "not_accepting": _l("Chưa nhận QR"),
    None: _l("Chưa ghi nhận"),
}
REASON_LABELS = {
    "placard_posted": _l("Đã dán bảng mã"),
    "verified": _l("Đã kiểm tra"),
    "test_payment_ok": _l("Chuyển thử thành công"),
    "declined": _l("Tiểu thương từ chối"),
    "vendor_left": _l("Tiểu thương rời sạp"),
    "account_closed": _l("Tài khoản đã đóng"),
    "placard_revoked": _l("Bảng mã bị thu hồi"),
    "placard_superseded": _l("Bảng mã cũ hết hiệu lực"),
    "stall_closed": _l("Sạp đóng cửa"),
    "imported": _l("Nhập từ danh sách"),
    "wrong_code_found": _l("Phát hiện mã lạ hoặc mã của sạp khác"),
}
PLACARD_LABELS = {
    None: _l("Chưa in"),
    "issued": _l("Đã in, chưa dán"),
    "posted": _l("Đã dán"),
    "superseded": _l("Hết hiệu lực"),
    "revoked": _l("Đã thu hồi"),
}
