"""The registry's closed sets of codes and the words users see for them, in one place.

Every role, kind, status, reason, outcome and layout the database stores or a form posts
is a member of one ``StrEnum`` below; its label (Vietnamese source, through the catalogue)
sits beside it in ``<ENUM>_LABELS``. The stored strings are the enum values, so a member
compares equal to the column's text (``Role.ADMIN == "admin"``) and no data changes.

This module imports nothing from the feature packages: every feature may depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from flask_babel import lazy_gettext as _l


def sql_in(column: str, values: Iterable[str]) -> str:
    """The text of a CHECK constraint allowing exactly ``values`` (as the migrations wrote it)."""
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Role(StrEnum):
    ADMIN = "admin"
    BANK_PARTNER = "bank_partner"
    MARKET_MANAGER = "market_manager"
    AREA_STAFF = "area_staff"


ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị"),
    Role.BANK_PARTNER: _l("Đối tác ngân hàng"),
    Role.MARKET_MANAGER: _l("Quản lý chợ"),
    Role.AREA_STAFF: _l("Cán bộ địa phương"),
}


class OrganisationKind(StrEnum):
    BANK_BRANCH = "bank_branch"
    MARKET_BOARD = "market_board"
    COMMUNE_OFFICE = "commune_office"
    DISTRICT_OFFICE = "district_office"
    PROVINCE_OFFICE = "province_office"
    OPERATOR = "operator"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.BANK_BRANCH: _l("Chi nhánh ngân hàng"),
    OrganisationKind.MARKET_BOARD: _l("Ban quản lý chợ"),
    OrganisationKind.COMMUNE_OFFICE: _l("UBND xã/phường"),
    OrganisationKind.DISTRICT_OFFICE: _l("Phòng ban cấp huyện (trước 01/07/2025)"),
    OrganisationKind.PROVINCE_OFFICE: _l("Sở/UBND tỉnh, thành phố"),
    OrganisationKind.OPERATOR: _l("Đơn vị vận hành market4"),
}


class MarketKind(StrEnum):
    TRADITIONAL = "traditional"
    NIGHT = "night"
    STREET = "street"
    SUPERMARKET = "supermarket"


MARKET_KIND_LABELS = {
    MarketKind.TRADITIONAL: _l("Chợ truyền thống"),
    MarketKind.NIGHT: _l("Chợ đêm"),
    MarketKind.STREET: _l("Tuyến phố"),
    MarketKind.SUPERMARKET: _l("Siêu thị / trung tâm thương mại"),
}


class StallStatus(StrEnum):
    """Whether a stall takes payment by QR; ``None`` where used means nothing recorded yet."""

    ACCEPTING = "accepting"
    NOT_ACCEPTING = "not_accepting"


STALL_STATUS_LABELS = {
    StallStatus.ACCEPTING: _l("Đang nhận QR"),
    StallStatus.NOT_ACCEPTING: _l("Chưa nhận QR"),
    None: _l("Chưa ghi nhận"),
}


class StatusReason(StrEnum):
    """Why a stall's acceptance status changed."""

    PLACARD_POSTED = "placard_posted"
    VERIFIED = "verified"
    TEST_PAYMENT_OK = "test_payment_ok"
    DECLINED = "declined"
    VENDOR_LEFT = "vendor_left"
    ACCOUNT_CLOSED = "account_closed"
    PLACARD_REVOKED = "placard_revoked"
    PLACARD_SUPERSEDED = "placard_superseded"
    STALL_CLOSED = "stall_closed"
    IMPORTED = "imported"
    # A check at the stall found another stall's code or an unregistered one posted.
    WRONG_CODE_FOUND = "wrong_code_found"


STATUS_REASON_LABELS = {
    StatusReason.PLACARD_POSTED: _l("Đã dán bảng mã"),
    StatusReason.VERIFIED: _l("Đã kiểm tra"),
    StatusReason.TEST_PAYMENT_OK: _l("Chuyển thử thành công"),
    StatusReason.DECLINED: _l("Tiểu thương từ chối"),
    StatusReason.VENDOR_LEFT: _l("Tiểu thương rời sạp"),
    StatusReason.ACCOUNT_CLOSED: _l("Tài khoản đã đóng"),
    StatusReason.PLACARD_REVOKED: _l("Bảng mã bị thu hồi"),
    StatusReason.PLACARD_SUPERSEDED: _l("Bảng mã cũ hết hiệu lực"),
    StatusReason.STALL_CLOSED: _l("Sạp đóng cửa"),
    StatusReason.IMPORTED: _l("Nhập từ danh sách"),
    StatusReason.WRONG_CODE_FOUND: _l("Phát hiện mã lạ hoặc mã của sạp khác"),
}


class VisitOutcome(StrEnum):
    """What a market manager records after visiting a stall (chosen by hand)."""

    PLACARD_POSTED = "placard_posted"
    TEST_PAYMENT_OK = "test_payment_ok"
    DECLINED = "declined"
    VENDOR_LEFT = "vendor_left"
    PLACARD_MISSING = "placard_missing"
    PLACARD_SWAPPED = "placard_swapped"


VISIT_OUTCOME_LABELS = {
    VisitOutcome.PLACARD_POSTED: _l("Đã dán bảng mã QR"),
    VisitOutcome.TEST_PAYMENT_OK: _l("Đã chuyển thử thành công"),
    VisitOutcome.DECLINED: _l("Tiểu thương từ chối"),
    VisitOutcome.VENDOR_LEFT: _l("Tiểu thương đã nghỉ"),
    VisitOutcome.PLACARD_MISSING: _l("Bảng mã bị mất"),
    VisitOutcome.PLACARD_SWAPPED: _l("Bảng mã bị dán đè / thay thế"),
}


class CheckResult(StrEnum):
    """Outcome of checking the code posted at a stall against the registry; stored as a visit."""

    CODE_MATCHES = "code_matches"
    CODE_OTHER_STALL = "code_other_stall"
    CODE_OUTDATED = "code_outdated"
    CODE_UNREGISTERED = "code_unregistered"


CHECK_RESULT_LABELS = {
    CheckResult.CODE_MATCHES: _l("Mã tại sạp khớp sổ đăng ký"),
    CheckResult.CODE_OTHER_STALL: _l("Mã của một sạp khác (bị tráo)"),
    CheckResult.CODE_OUTDATED: _l("Bảng mã cũ, đã hết hiệu lực"),
    CheckResult.CODE_UNREGISTERED: _l("Mã lạ, không có trong sổ đăng ký"),
}
#: Check results meaning shoppers' money would go to someone else.
WRONG_CODE_RESULTS = (CheckResult.CODE_OTHER_STALL, CheckResult.CODE_UNREGISTERED)
#: Every outcome a visit row can hold, in the words the pages and the audit log use.
OUTCOME_LABELS: dict[str, object] = {**VISIT_OUTCOME_LABELS, **CHECK_RESULT_LABELS}


class PlacardStatus(StrEnum):
    ISSUED = "issued"
    POSTED = "posted"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


PLACARD_STATUS_LABELS = {
    None: _l("Chưa in"),
    PlacardStatus.ISSUED: _l("Đã in, chưa dán"),
    PlacardStatus.POSTED: _l("Đã dán"),
    PlacardStatus.SUPERSEDED: _l("Hết hiệu lực"),
    PlacardStatus.REVOKED: _l("Đã thu hồi"),
}


class PrintJobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


PRINT_JOB_STATUS_LABELS = {
    PrintJobStatus.QUEUED: _l("Đang chờ"),
    PrintJobStatus.RUNNING: _l("Đang in"),
    PrintJobStatus.DONE: _l("Xong"),
    PrintJobStatus.CANCELLED: _l("Đã dừng"),
    PrintJobStatus.FAILED: _l("Lỗi"),
}


class RevokeReason(StrEnum):
    """Why a placard was revoked; the stored reason is the value (plus the note for OTHER)."""

    LOST = "lost"
    SWAPPED = "swapped"
    OTHER = "other"


REVOKE_REASON_LABELS = {
    RevokeReason.LOST: _l("Bảng bị mất, rách hoặc mờ"),
    RevokeReason.SWAPPED: _l("Bị dán đè / thay bằng mã QR lạ"),
    RevokeReason.OTHER: _l("Lý do khác"),
}


class PlacardLayout(StrEnum):
    """Paper layouts of a print run (the geometry is ``domain.placard_layout.LAYOUTS``)."""

    A6 = "a6"
    A5 = "a5"
    A4 = "a4"
    A4X2 = "a4x2"
    A4X4 = "a4x4"


#: One placard per sheet.
SINGLE_LAYOUTS = (PlacardLayout.A6, PlacardLayout.A5, PlacardLayout.A4)
PLACARD_LAYOUT_LABELS = {
    PlacardLayout.A4X4: _l("4 bảng trên một tờ A4 (có dấu cắt)"),
    PlacardLayout.A4X2: _l("2 bảng trên một tờ A4 ngang (có dấu cắt)"),
    PlacardLayout.A6: _l("Mỗi bảng một tờ A6"),
    PlacardLayout.A5: _l("Mỗi bảng một tờ A5"),
    PlacardLayout.A4: _l("Mỗi bảng một tờ A4"),
}


class AccountKind(StrEnum):
    BANK = "bank"
    WALLET = "wallet"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class StallRequestStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DISMISSED = "dismissed"


class BatchStatus(StrEnum):
    """An import batch: PREVIEWED (dry run), COMMITTED, or FAILED after a rollback."""

    PREVIEWED = "previewed"
    COMMITTED = "committed"
    FAILED = "failed"


class QrCountBand(StrEnum):
    """How many QR payments an account received in a month, as its bank reports it.

    A band, never the exact count and never an amount: the programme asks whether vendors
    are paid through their QR, and a band answers that without anyone's turnover.
    """

    NONE = "0"
    FROM_1 = "1-9"
    FROM_10 = "10-49"
    FROM_50 = "50-199"
    FROM_200 = "200+"


QR_COUNT_BAND_LABELS = {
    QrCountBand.NONE: _l("Không có giao dịch QR"),
    QrCountBand.FROM_1: _l("1–9 giao dịch"),
    QrCountBand.FROM_10: _l("10–49 giao dịch"),
    QrCountBand.FROM_50: _l("50–199 giao dịch"),
    QrCountBand.FROM_200: _l("Từ 200 giao dịch"),
}


class ActivitySource(StrEnum):
    """How a bank's monthly QR payment report arrived."""

    API = "api"
    CSV = "csv"


ACTIVITY_SOURCE_LABELS = {
    ActivitySource.API: _l("API"),
    ActivitySource.CSV: _l("Tệp CSV"),
}


class SessionEndReason(StrEnum):
    """Why a signed-in session ended."""

    SIGN_OUT = "sign_out"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    DEACTIVATED = "deactivated"
    SIGN_OUT_EVERYWHERE = "sign_out_everywhere"
    OTHER_SESSIONS = "other_sessions"
    IDLE = "idle"
    EXPIRED = "expired"


SESSION_END_REASON_LABELS = {
    SessionEndReason.SIGN_OUT: _l("Đăng xuất"),
    SessionEndReason.PASSWORD_CHANGED: _l("Đổi mật khẩu"),
    SessionEndReason.PASSWORD_RESET: _l("Đặt lại mật khẩu"),
    SessionEndReason.DEACTIVATED: _l("Khóa tài khoản"),
    SessionEndReason.SIGN_OUT_EVERYWHERE: _l("Đăng xuất mọi nơi"),
    SessionEndReason.OTHER_SESSIONS: _l("Đăng xuất các phiên khác"),
    SessionEndReason.IDLE: _l("Không hoạt động quá lâu"),
    SessionEndReason.EXPIRED: _l("Hết thời hạn phiên"),
}

#: Every enum of the vocabulary, for Jinja globals and the tests.
ENUMS: tuple[type[StrEnum], ...] = (
    Role,
    OrganisationKind,
    MarketKind,
    StallStatus,
    StatusReason,
    VisitOutcome,
    CheckResult,
    PlacardStatus,
    PrintJobStatus,
    RevokeReason,
    PlacardLayout,
    AccountKind,
    AccountStatus,
    StallRequestStatus,
    BatchStatus,
    SessionEndReason,
    QrCountBand,
    ActivitySource,
)
