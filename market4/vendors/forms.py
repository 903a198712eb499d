"""Forms of the vendor pages: register, edit, deactivate, and the list filters.

The field *rules* are not repeated here: they live in ``registry.validation`` and are
applied by ``vendors.services`` (the same path as the Excel import and the API), which
reports every bad field at once as :class:`~market4.errors.ValidationFailed`. These
forms declare the fields and widgets, turn the input into the service's arguments
(``to_registration``, ``to_changes``) and put the service's errors and warnings next to
the fields they belong to (``show_problems``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from market4.domain.text import bank_style_name as fold_to_bank_style
from market4.errors import FieldError
from market4.registry.markets import Stall
from market4.registry.validation import GOODS_CATEGORIES
from market4.registry.vendors import PaymentAccount, Vendor
from market4.vendors.services import VendorRegistration

__all__ = [
    "DeactivateForm",
    "EditForm",
    "ListFilterForm",
    "RegistrationForm",
    "StallSearchForm",
]


def _longest(limit: int) -> Length:
    """A cap on what is posted at all (the real limits are the service's, and shorter)."""
    return Length(max=limit, message=_l("Dài quá %(max)d ký tự."))


# Service field names that have no widget of their own, and where their message goes.
_FIELD_ALIASES = {"phone_e164": "phone", "stall_code": None, "stall": None}


class _VendorFieldsMixin:
    """What the register and edit forms share: mapping problems and warnings to fields."""

    #: Non-blocking findings per field name (same phone elsewhere, names that differ…).
    field_warnings: dict[str, list[str]]
    #: Problems that belong to no single field, shown above the form.
    top_errors: list[str]

    def _start(self) -> None:
        self.field_warnings = {}
        self.top_errors = []
        # What the last refusal was about, so the template can offer the way out.
        self.phone_duplicate = False
        self.stall_occupied = False
        self.duplicate_vendor_ids: list[int] = []

    def show_problems(self, problems: Iterable[FieldError], *, as_warnings: bool = False) -> None:
        """Put each problem next to its field (errors or warnings), the rest at the top."""
        for problem in problems:
            name = _FIELD_ALIASES.get(problem.field, problem.field)
            field = self._fields.get(name) if name else None  # type: ignore[attr-defined]
            message = problem.translated(gettext)
            if field is None:
                self.top_errors.append(message)
            elif as_warnings:
                self.field_warnings.setdefault(name, []).append(message)
            else:
                field.errors = [*field.errors, message]

    def warnings_for(self, name: str) -> list[str]:
        return self.field_warnings.get(name, [])

    @property
    def has_errors(self) -> bool:
        return bool(self.top_errors) or any(field.errors for field in self)  # type: ignore[attr-defined]


class RegistrationForm(_VendorFieldsMixin, FlaskForm):
    """Register a vendor at one stall with the account their placard pays into.

    ``bank_bin`` is only offered to users who may register at any bank (operator,
    market board); a bank partner's bank is fixed and the field is removed.
    """

    display_name = StringField(_l("Họ tên tiểu thương"), validators=[_longest(200)])
    bank_style_name = StringField(
        _l("Tên không dấu (như ngân hàng hiển thị)"), validators=[_longest(200)]
    )
    phone = TelField(_l("Số điện thoại di động"), validators=[_longest(40)])
    bank_bin = SelectField(_l("Ngân hàng / ví"), validate_choice=False)
    account_number = StringField(_l("Số tài khoản"), validators=[_longest(60)])
    holder_name = StringField(_l("Tên chủ tài khoản (không bắt buộc)"), validators=[_longest(200)])
    goods_category = SelectField(_l("Ngành hàng"), validate_choice=False)
    partner_reference = StringField(
        _l("Mã tham chiếu của ngân hàng (không bắt buộc)"), validators=[_longest(100)]
    )
    consent = BooleanField(_l("Tiểu thương đã đồng ý cho lưu và xử lý các thông tin trên"))
    acknowledge_phone = BooleanField(_l("Vẫn đăng ký với số điện thoại này"))
    replace_occupant = BooleanField(_l("Thay tiểu thương đang ở sạp này"))

    def __init__(
        self, *args: Any, bank_choices: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._start()
        self.goods_category.choices = [("", _l("— Chọn ngành hàng —"))] + [
            (c, _l(c)) for c in GOODS_CATEGORIES
        ]
        if bank_choices is None:
            del self.bank_bin
        else:
            self.bank_bin.choices = [("", _l("— Chọn ngân hàng —")), *bank_choices]

    def to_registration(self, stall: Stall, bank_bin: str | None) -> VendorRegistration:
        """The service's input; ``bank_bin`` is the partner's own BIN or None to use the select."""
        chosen = bank_bin if bank_bin is not None else (self.bank_bin.data or "")
        return VendorRegistration(
            display_name=self.display_name.data,
            phone=self.phone.data,
            bank_bin=chosen,
            account_number=self.account_number.data,
            stall=stall,
            bank_style_name=self.bank_style_name.data,
            holder_name=self.holder_name.data,
            goods_category=self.goods_category.data,
            partner_reference=self.partner_reference.data,
            consent_given=bool(self.consent.data),
        )


class EditForm(_VendorFieldsMixin, FlaskForm):
    """Change a vendor's names and phone and, when the viewer may, one account of theirs."""

    display_name = StringField(_l("Họ tên tiểu thương"), validators=[_longest(200)])
    bank_style_name = StringField(
        _l("Tên không dấu (như ngân hàng hiển thị)"), validators=[_longest(200)]
    )
    phone = TelField(_l("Số điện thoại di động"), validators=[_longest(40)])
    account_number = StringField(_l("Số tài khoản"), validators=[_longest(60)])
    holder_name = StringField(_l("Tên chủ tài khoản"), validators=[_longest(200)])
    acknowledge_phone = BooleanField(_l("Vẫn lưu với số điện thoại này"))

    def __init__(
        self, *args: Any, vendor: Vendor, account: PaymentAccount | None, **kwargs: Any
    ) -> None:
        # Current values; posted input (when there is some) takes precedence field by field.
        kwargs.setdefault(
            "data",
            {
                "display_name": vendor.display_name,
                "bank_style_name": vendor.bank_style_name,
                "phone": _national(vendor.phone_e164),
                "account_number": account.account_number if account else "",
                "holder_name": account.holder_name if account else "",
            },
        )
        super().__init__(*args, **kwargs)
        self._start()
        self.vendor, self.account = vendor, account
        if account is None:
            del self.account_number
            del self.holder_name

    def to_changes(self) -> dict[str, Any]:
        """The fields to hand to ``update_registration``.

        A bank-style name left as it was while it was the folded display name is not
        sent, so the service keeps it in step with a corrected display name (a form
        without JavaScript cannot refill it).
        """
        changes: dict[str, Any] = {"display_name": self.display_name.data, "phone": self.phone.data}
        typed = (self.bank_style_name.data or "").strip()
        was_folded = self.vendor.bank_style_name == fold_to_bank_style(self.vendor.display_name)
        if not (was_folded and typed == self.vendor.bank_style_name):
            changes["bank_style_name"] = typed
        if self.account is not None:
            changes["account_number"] = self.account_number.data
            changes["holder_name"] = self.holder_name.data
        return changes


class DeactivateForm(FlaskForm):
    """Close an account: its placards stop being valid, so a reason is required."""

    reason = TextAreaField(_l("Lý do ngừng sử dụng tài khoản"), validators=[_longest(255)])


class ListFilterForm(FlaskForm):
    """Search and filters of the registrations list (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Tìm"), validators=[Optional(), _longest(100)])
    cho = SelectField(_l("Chợ"), validate_choice=False)
    trang_thai = SelectField(
        _l("Trạng thái tài khoản"),
        validate_choice=False,
        choices=[
            SelectChoice("", _l("Tất cả")),
            SelectChoice("active", _l("Đang dùng")),
            SelectChoice("closed", _l("Đã ngừng")),
        ],
    )


class StallSearchForm(FlaskForm):
    """Step 1 of registering: find a market, then a stall in it (GET)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Tìm chợ"), validators=[Optional(), _longest(100)])
    cho = HiddenField()
    tim = SearchField(_l("Tìm sạp"), validators=[Optional(), _longest(100)])
    trong = BooleanField(_l("Chỉ hiện sạp trống"))
    chua_nhan = BooleanField(_l("Chỉ hiện sạp chưa nhận QR"))


def _national(phone_e164: str | None) -> str:
    """ "+84912345678" → "0912345678", how people read and type their number."""
    if phone_e164 and phone_e164.startswith("+84"):
        return "0" + phone_e164[3:]
    return phone_e164 or ""
