"""Reading the audit log: filters, pages of 50 newest first, and compact before/after diffs.

Account numbers never leave this module whole: any value under an account-number key,
at any depth, is masked to its last four characters before it is shown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select

from market4.audit.models import AuditEvent
from market4.auth.models import ORGANISATION_KINDS, ROLES, User
from market4.db import VIETNAM_TZ
from market4.extensions import db
from market4.formatting import vietnamese_sort_key, vn_date, vn_datetime, vn_number
from market4.registry.markets import MARKET_KINDS
from market4.vocabulary import OUTCOME_LABELS, PLACARD_LAYOUT_LABELS, SESSION_END_REASON_LABELS

PER_PAGE = 50
LIST_SHOWN = 10

ACTION_LABELS = {
    "create": _l("Tạo mới"),
    "update": _l("Sửa"),
    "activate": _l("Mở lại tài khoản"),
    "deactivate": _l("Khóa tài khoản"),
    "reset_password": _l("Đặt lại mật khẩu"),
    "change_password": _l("Đổi mật khẩu"),
    "password_changed": _l("Đổi mật khẩu"),
    "sign_in": _l("Đăng nhập"),
    "sign_in_failed": _l("Đăng nhập thất bại"),
    "sign_out": _l("Đăng xuất"),
    "session_revoked": _l("Kết thúc phiên đăng nhập"),
    "issue": _l("In bảng mã"),
    "post": _l("Dán bảng mã"),
    "supersede": _l("Thay bảng mã"),
    "revoke": _l("Thu hồi bảng mã"),
    "print": _l("Đợt in bảng mã"),
    "visit": _l("Ghi nhận kiểm tra sạp"),
    "check": _l("Kiểm tra mã tại sạp"),
    "register": _l("Đăng ký tiểu thương"),
    "close": _l("Đóng tài khoản nhận tiền"),
    "assign": _l("Xếp tiểu thương vào sạp"),
    "end": _l("Kết thúc kinh doanh tại sạp"),
    "request": _l("Đề nghị cập nhật sạp"),
    "resolve": _l("Xử lý đề nghị"),
    "merge": _l("Gộp hồ sơ tiểu thương"),
    "choose_placard_account": _l("Chọn tài khoản in trên bảng mã"),
    "report_activity": _l("Báo cáo nhận tiền qua QR"),
    "replace_activity_report": _l("Thay báo cáo nhận tiền qua QR"),
}
OBJECT_LABELS = {
    "Organisation": _l("Đơn vị"),
    "User": _l("Tài khoản"),
    "Market": _l("Chợ"),
    "Bank": _l("Ngân hàng"),
    "Stall": _l("Sạp"),
    "Vendor": _l("Tiểu thương"),
    "PaymentAccount": _l("Tài khoản nhận tiền"),
    "Placard": _l("Bảng mã"),
    "PrintRun": _l("Đợt in"),
    "VerificationVisit": _l("Lần kiểm tra sạp"),
    "Occupancy": _l("Kinh doanh tại sạp"),
    "StallRequest": _l("Đề nghị"),
    "PaymentActivity": _l("Báo cáo nhận tiền qua QR"),
}
CHANNEL_LABELS = {
    "web": _l("Web"),
    "cli": _l("Dòng lệnh"),
    "api": _l("API"),
    "import": _l("Nhập Excel"),
    "demo": _l("Dữ liệu mẫu"),
}

# Keys whose values are (or contain) an account number: VietQR payloads embed one too.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_SECRET_KEY = re.compile(
    r"(^|_)(account|account_number|account_no|so_tai_khoan|payload)$", re.IGNORECASE
)


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


FIELD_LABELS = {
    "name": _l("Tên"),
    "email": _l("Email"),
    "kind": _l("Loại"),
    "role": _l("Vai trò"),
    "bank_bin": _l("Ngân hàng (BIN)"),
    "area": _l("Địa bàn"),
    "organisation": _l("Đơn vị"),
    "organisation_id": _l("Mã đơn vị"),
    "markets": _l("Chợ quản lý"),
    "is_active": _l("Đang hoạt động"),
    "password_reset": _l("Đặt lại mật khẩu"),
    "code": _l("Mã"),
    "market_class": _l("Hạng chợ"),
    "address": _l("Địa chỉ"),
    "commune": _l("Xã/phường"),
    "legacy_district": _l("Huyện (cũ)"),
    "programme_joined_on": _l("Tham gia chợ 4.0"),
    "short_name": _l("Tên viết tắt"),
    "vietqr_status": _l("VietQR"),
    "is_wallet": _l("Ví điện tử"),
    "status": _l("Trạng thái"),
    "session": _l("Phiên"),
    "layout": _l("Khổ in"),
    "ec_level": _l("Mức sửa lỗi của mã QR"),
    "only_outdated": _l("Chỉ in bảng cũ"),
    "skipped": _l("Số sạp bỏ qua"),
    "placards": _l("Số bảng mã"),
    "serials": _l("Số sê-ri"),
    "superseded": _l("Bảng mã bị thay"),
    "posted": _l("Thay cả bảng đã dán"),
    "outcome": _l("Kết quả"),
    "stall_id": _l("Sạp"),
    "visited_on": _l("Ngày kiểm tra"),
    "sessions": _l("Số phiên"),
    "reason": _l("Lý do"),
    "month": _l("Tháng"),
    "months": _l("Tháng"),
    "received": _l("Có nhận tiền qua QR"),
    "count_band": _l("Số giao dịch QR"),
    "payment_account_id": _l("Tài khoản nhận tiền"),
}


# Where one key means something else on one kind of object.
OBJECT_FIELD_LABELS = {
    ("PrintRun", "markets"): _l("Chợ"),
}


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str
    object_type: str = ""

    @property
    def label(self) -> str:
        label = OBJECT_FIELD_LABELS.get((self.object_type, self.key))
        return str(label or FIELD_LABELS.get(self.key, self.key))


@dataclass(frozen=True)
class LogEntry:
    event: AuditEvent
    at_text: str  # dd/mm/yyyy HH:MM in Vietnam time
    actor_name: str | None
    action_label: str
    object_label: str
    channel_label: str
    changes: list[Change]

    @property
    def origin(self) -> str:
        """Where the change came from: the client's address and the API token, if any."""
        parts = [self.event.remote_addr or ""]
        if self.event.api_token_id is not None:
            parts.append(_("khóa API #%(id)s", id=self.event.api_token_id))
        return " · ".join(part for part in parts if part)


def vietnam_start_of(day: date) -> datetime:
    """Midnight in Vietnam on ``day``, the bound a Vietnamese reader means by a date."""
    return datetime.combine(day, time.min, tzinfo=VIETNAM_TZ)


def events_query(filters: AuditFilters) -> Select:
    query = select(AuditEvent)
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id.strip())
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEvent.at >= vietnam_start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.at < vietnam_start_of(filters.date_to + timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def page_of_events(filters: AuditFilters, page: int) -> tuple[Pagination, list[LogEntry]]:
    pagination = db.paginate(events_query(filters), page=page, per_page=PER_PAGE, error_out=False)
    events = list(pagination.items)
    actor_ids = {event.actor_id for event in events if event.actor_id is not None}
    rows = (
        db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids)))
        if actor_ids
        else []
    )
    names = {user_id: name for user_id, name in rows}
    return pagination, [_entry(event, names.get(event.actor_id)) for event in events]


def _entry(event: AuditEvent, actor_name: str | None) -> LogEntry:
    object_type = str(OBJECT_LABELS.get(event.object_type, event.object_type))
    return LogEntry(
        event=event,
        at_text=vn_datetime(event.at),
        actor_name=actor_name,
        action_label=str(ACTION_LABELS.get(event.action, event.action)),
        object_label=f"{object_type} #{event.object_id}" if event.object_id else object_type,
        channel_label=str(CHANNEL_LABELS.get(event.channel, event.channel)),
        changes=diff(event.before, event.after, object_type=event.object_type),
    )


# --- diff -------------------------------------------------------------------------------


def mask_account(value: Any) -> str:
    """All but the last four characters hidden: ``0123456789`` → ``••••••6789``."""
    text = str(value)
    return "•" * max(len(text) - 4, 0) + text[-4:] if len(text) > 4 else "•" * len(text)


def masked(value: Any, key: str = "") -> Any:
    """``value`` with every account number inside it masked, however deeply nested."""
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item, key) for item in value]
    if value is not None and not isinstance(value, bool) and _SECRET_KEY.search(key):
        return mask_account(value)
    return value


def display(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, list):
        # A print run lists hundreds of serials: the first few say what it was.
        shown = ", ".join(display(item) for item in value[:LIST_SHOWN])
        if len(value) > LIST_SHOWN:
            shown += " " + _("… và %(n)s mục khác", n=vn_number(len(value) - LIST_SHOWN))
        return shown
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return vn_date(
                date.fromisoformat(value)
            )  # events store ISO dates; people read dd/mm/yyyy
        except ValueError:  # text someone typed that only looks like a date ("2024-13-01")
            pass
    return str(value)


def _coded_value(object_type: str, key: str, value: Any) -> Any:
    """Codes stored in events ("bank_branch") as the words people read."""
    labels = {
        ("User", "role"): ROLES,
        ("Organisation", "kind"): ORGANISATION_KINDS,
        ("Market", "kind"): MARKET_KINDS,
        ("User", "reason"): SESSION_END_REASON_LABELS,
        ("PrintRun", "layout"): PLACARD_LAYOUT_LABELS,
        ("VerificationVisit", "outcome"): OUTCOME_LABELS,
    }.get((object_type, key))
    return str(labels[value]) if labels and isinstance(value, str) and value in labels else value


def diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None, *, object_type: str = ""
) -> list[Change]:
    """Only the keys whose value changed, masked, in the order the event wrote them."""
    before, after = masked(before or {}), masked(after or {})
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(
            key,
            display(_coded_value(object_type, key, before.get(key))),
            display(_coded_value(object_type, key, after.get(key))),
            object_type,
        )
        for key in keys
        if before.get(key) != after.get(key)
    ]


# --- filter choices ---------------------------------------------------------------------


def actor_choices() -> list[tuple[int, str]]:
    """Everyone who ever appears as the actor of an event."""
    actors = select(AuditEvent.actor_id).where(AuditEvent.actor_id.is_not(None)).distinct()
    rows = db.session.execute(select(User.id, User.name, User.email).where(User.id.in_(actors)))
    choices = [(id_, f"{name} ({email})") for id_, name, email in rows]
    return sorted(choices, key=lambda choice: vietnamese_sort_key(choice[1]))


def object_type_choices() -> list[tuple[str, str]]:
    types = db.session.scalars(select(AuditEvent.object_type).distinct())
    return sorted(
        ((t, str(OBJECT_LABELS.get(t, t))) for t in types), key=lambda c: vietnamese_sort_key(c[1])
    )


def action_choices() -> list[tuple[str, str]]:
    actions = db.session.scalars(select(AuditEvent.action).distinct())
    choices = [(action, str(ACTION_LABELS.get(action, action))) for action in actions]
    return sorted(choices, key=lambda choice: vietnamese_sort_key(choice[1]))
