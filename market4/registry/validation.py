"""Field rules for vendor registration, shared by the web form, the Excel import and the API.

Pure functions, no database: each ``clean_*`` returns the normalised value or raises
:class:`~market4.errors.ValidationFailed` with one :class:`~market4.errors.FieldError`;
:func:`validate_vendor_fields` runs them all and reports every failing field at once.

Excel is the main source of damaged input (docs/domain.md, “Excel damage”): phone numbers lose
their leading zero, numbers longer than 15 digits are rounded (a 19-digit account
number comes back with trailing zeros or as ``9.70E+18``), and numeric cells read back
as floats (``12345.0``). The rules below recognise those shapes and say so in the
message, because "invalid" alone sends the user hunting for a typo that is not there.
Callers that know a value came from a *numeric* spreadsheet cell pass
``numeric_cell=True`` (or hand over the ``int``/``float`` itself) to get the stricter
checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

import phonenumbers
from flask_babel import lazy_gettext as _l

from market4.domain import banks as bank_directory
from market4.domain.account_rules import check_account_number
from market4.domain.text import bank_style_name as fold_to_bank_style
from market4.domain.text import clean_text, fold_ascii
from market4.errors import FieldError, Text, ValidationFailed
from market4.i18n import N_

__all__ = [
    "ACCOUNT_ALIAS_LENGTH_MESSAGE",
    "ACCOUNT_RULE_MESSAGES",
    "CARD_PREFIX",
    "CONSENT_REQUIRED",
    "GOODS_CATEGORIES",
    "CleanAccountNumber",
    "VendorFields",
    "check_account_for_bank",
    "clean_account_number",
    "clean_bank_style_name",
    "clean_display_name",
    "clean_goods_category",
    "clean_holder_name",
    "clean_partner_reference",
    "clean_phone",
    "clean_stall_code",
    "clean_text",
    "validate_vendor_fields",
]

# Goods categories (ngành hàng) seen in provincial reports (docs/domain.md, “Markets, stalls and goods”) plus those the
# demo markets use. A deployment may pass its own list to clean_goods_category().
# The Vietnamese name is the stored value; pages show ``_(name)``, its label in the UI language.
GOODS_CATEGORIES: tuple[str, ...] = (
    N_("Rau củ"),
    N_("Trái cây"),
    N_("Thịt"),
    N_("Cá, thủy hải sản"),
    N_("Gia cầm"),
    N_("Đồ khô"),
    N_("Thực phẩm chế biến"),
    N_("Gạo"),
    N_("Tạp hóa"),
    N_("Ăn uống"),
    N_("Giải khát"),
    N_("Quần áo, vải"),
    N_("Giày dép"),
    N_("Thời trang"),
    N_("Phụ kiện"),
    N_("Mỹ phẩm"),
    N_("Gia dụng"),
    N_("Hoa"),
    N_("Vàng bạc"),
    N_("Điện thoại"),
    N_("Đồ chơi"),
    N_("Dịch vụ"),
    N_("Khác"),
)

DISPLAY_NAME_MIN, DISPLAY_NAME_MAX = 2, 120
STALL_CODE_MAX = 40
ACCOUNT_NUMBER_MAX = 19  # VietQR 38.01.01
PARTNER_REFERENCE_MAX = 64
# NAPAS domestic cards are 16 or 19 digits and start with 9704; such a "number" is paid
# as a card transfer (QRIBFTTC), everything else as an account transfer (QRIBFTTA).
CARD_PREFIX = "9704"
CARD_LENGTHS = range(16, 20)
# IEEE doubles, and so Excel, keep 15 significant decimal digits.
EXCEL_DIGITS = 15

EXCEL_TEXT_HINT = _l("định dạng cột là Văn bản (Text) rồi nhập lại")

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_DECIMAL = re.compile(r"^\d+[.,]\d+$")
_TRAILING_ZERO_FRACTION = re.compile(r"^(\d+)\.0+$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_ACCOUNT_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")
_ACCOUNT_CHARS = re.compile(r"^[A-Z0-9]+$")

T = TypeVar("T")


def _fail(field_name: str, code: str, message: Text) -> ValidationFailed:
    return ValidationFailed([FieldError(field_name, message, code)])


# --- names -----------------------------------------------------------------------------


def clean_display_name(value: Any, *, field_name: str = "display_name") -> str:
    """The vendor's name as written, NFC with diacritics: "Nguyễn Thị Đào"."""
    name = clean_text(value)
    if not name:
        raise _fail(field_name, "required", _l("Cần nhập tên tiểu thương."))
    if not any(char.isalpha() for char in name):
        raise _fail(field_name, "name_without_letters", _l("Tên phải có chữ cái."))
    if not DISPLAY_NAME_MIN <= len(name) <= DISPLAY_NAME_MAX:
        raise _fail(
            field_name,
            "invalid_length",
            _l(
                "Tên phải dài từ %(min)s đến %(max)s ký tự.",
                min=DISPLAY_NAME_MIN,
                max=DISPLAY_NAME_MAX,
            ),
        )
    return name


def clean_bank_style_name(
    value: Any, *, display_name: str | None, field_name: str = "bank_style_name"
) -> str:
    """Upper-case ASCII as bank apps show it; empty means "fold the display name".

    A typed value is folded again, so "Nguyễn thị Đào" becomes "NGUYEN THI DAO" and the
    stored form never depends on how carefully it was typed.
    """
    typed = clean_text(value)
    source = typed or display_name or ""
    folded = fold_to_bank_style(source)
    if not folded:
        raise _fail(field_name, "required", _l("Cần nhập tên không dấu (như ngân hàng hiển thị)."))
    if not any(char.isalpha() for char in folded):
        raise _fail(field_name, "name_without_letters", _l("Tên không dấu phải có chữ cái."))
    if len(folded) > DISPLAY_NAME_MAX:
        raise _fail(
            field_name,
            "invalid_length",
            _l("Tên không dấu dài quá %(max)s ký tự.", max=DISPLAY_NAME_MAX),
        )
    return folded


def clean_holder_name(value: Any, *, default: str, field_name: str = "holder_name") -> str:
    """The account holder's name as the bank returns it; empty means ``default``."""
    return clean_bank_style_name(value or default, display_name=None, field_name=field_name)


# --- phone -----------------------------------------------------------------------------


def _spreadsheet_digits(value: Any, field_name: str, label: Text) -> tuple[str, bool]:
    """Text of ``value`` and whether it came from a numeric cell (int/float given)."""
    if isinstance(value, bool):
        raise _fail(field_name, "invalid", _l("%(label)s không hợp lệ.", label=label))
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise _fail(
                field_name,
                "decimal_number",
                _l(
                    "%(label)s có dạng số thập phân — Excel đã đọc ô như số; %(hint)s.",
                    label=label,
                    hint=EXCEL_TEXT_HINT,
                ),
            )
        return str(int(value)), True
    return clean_text(value), False


def clean_phone(value: Any, *, numeric_cell: bool = False, field_name: str = "phone") -> str:
    """A Vietnamese mobile number in E.164 ("+84912345678").

    Accepted: "0912 345 678", "0912.345.678", "+84912345678", "84912345678",
    "0084912345678". Refused with a specific message: nine digits that are a valid
    mobile once a 0 is put back (Excel dropped it), old 11-digit "01x" numbers,
    landlines, foreign numbers.
    """
    raw, from_number = _spreadsheet_digits(value, field_name, _l("Số điện thoại"))
    numeric_cell = numeric_cell or from_number
    if not raw:
        raise _fail(field_name, "required", _l("Cần nhập số điện thoại."))
    if _SCIENTIFIC.match(raw.replace(" ", "")):
        raise _fail(
            field_name,
            "phone_scientific_notation",
            _l("Số điện thoại bị Excel đổi sang dạng số mũ — %(hint)s.", hint=EXCEL_TEXT_HINT),
        )
    match = _TRAILING_ZERO_FRACTION.match(raw)
    if match:  # "912345678.0": a numeric cell written out as text
        raw, numeric_cell = match.group(1), True
    compact = _PHONE_SEPARATORS.sub("", raw)
    digits = compact[1:] if compact.startswith("+") else compact
    if not (digits.isascii() and digits.isdigit()):
        raise _fail(field_name, "invalid_phone", _l("Số điện thoại không hợp lệ."))
    # From a numeric cell nine digits can only mean a dropped 0 (84… numbers have 11).
    # Parsing again is only worth it for the 9-digit shape Excel leaves behind.
    lost_zero = numeric_cell or (len(digits) == 9 and _is_vn_mobile("0" + digits))
    if not compact.startswith("+") and len(digits) == 9 and lost_zero:
        raise _fail(
            field_name,
            "phone_leading_zero_lost",
            _l("Số điện thoại mất số 0 ở đầu (Excel?) — nhập dạng văn bản."),
        )
    if not compact.startswith("+") and len(digits) == 11 and digits.startswith("01"):
        raise _fail(
            field_name,
            "phone_old_format",
            _l("Số di động 11 số (đầu 01…) đã chuyển sang 10 số từ năm 2018 — nhập số mới."),
        )
    national = _national_digits(compact, digits)
    try:
        number = phonenumbers.parse(compact, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.country_code != 84:
        raise _fail(field_name, "phone_not_vietnamese", _l("Cần số di động Việt Nam (+84)."))
    valid = number is not None and phonenumbers.is_valid_number(number)
    kind = phonenumbers.number_type(number) if valid else None
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise _fail(field_name, "phone_not_mobile", _l("Cần số di động, không dùng số máy bàn."))
    # Say which rule the number breaks, with its own digits: the count, else the prefix.
    if national is None:
        raise _fail(field_name, "invalid_phone", _l("Số điện thoại không hợp lệ."))
    if len(national) != 10:
        raise _fail(
            field_name,
            "phone_length",
            _l(
                "%(count)s chữ số — số di động cần 10 (ví dụ 0912 345 678).",
                count=len(national),
            ),
        )
    if not _MOBILE_PREFIX.match(national):
        raise _fail(
            field_name,
            "phone_bad_prefix",
            _l("Đầu số %(prefix)s không phải đầu số di động Việt Nam.", prefix=national[:3]),
        )
    raise _fail(
        field_name,
        "phone_unassigned",
        _l(
            "Số %(number)s chưa được cấp cho mạng di động nào; kiểm tra lại từng số.",
            number=f"{national[:4]} {national[4:7]} {national[7:]}",
        ),
    )


# The three-digit mobile prefixes of Vietnam's networks since the 2018 change to ten
# digits (docs/domain.md): only to word the message; libphonenumber decides validity.
_MOBILE_PREFIX = re.compile(r"0(3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-46-9])")


def _national_digits(compact: str, digits: str) -> str | None:
    """The number as dialled inside Vietnam ("0912345678"), when it is written as a
    Vietnamese number (0…, 84…, +84…, 0084…); None for anything else."""
    for international in ("+84", "0084", "84"):
        if compact.startswith(international) and not (international == "84" and len(digits) < 11):
            return "0" + compact[len(international) :]
    return digits if digits.startswith("0") else None


def _is_vn_mobile(national: str) -> bool:
    try:
        number = phonenumbers.parse(national, "VN")
    except phonenumbers.NumberParseException:
        return False
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )


# --- account number --------------------------------------------------------------------


@dataclass(frozen=True)
class CleanAccountNumber:
    """A normalised account (or card) number and what the rules noticed about it."""

    number: str
    is_card: bool
    warnings: tuple[FieldError, ...] = ()


def clean_account_number(
    value: Any, *, numeric_cell: bool = False, field_name: str = "account_number"
) -> CleanAccountNumber:
    """Account, card or alias number as text: spaces and dashes removed, upper-case.

    1–19 characters A–Z/0–9 (VietQR 38.01.01; aliases and virtual accounts have
    letters). A 16–19-digit number starting with 9704 is a NAPAS card. Refused with
    an Excel-specific message: scientific notation ("9.70E+15", "9,70422E+15"),
    float-looking values ("12345.0"), and — when the value came from a numeric cell —
    anything longer than 15 digits, whose last digits Excel has already replaced.
    A shorter number from a numeric cell passes with a warning: a leading 0 may be gone.
    """
    raw, from_number = _spreadsheet_digits(value, field_name, _l("Số tài khoản"))
    numeric_cell = numeric_cell or from_number
    if not raw:
        raise _fail(field_name, "required", _l("Cần nhập số tài khoản."))
    squeezed = raw.replace(" ", "")
    if _SCIENTIFIC.match(squeezed):
        raise _fail(
            field_name,
            "account_number_scientific",
            _l(
                "Số tài khoản bị Excel đổi sang dạng số mũ (như 9,70E+15) và đã mất chữ số — "
                "%(hint)s.",
                hint=EXCEL_TEXT_HINT,
            ),
        )
    if _DECIMAL.match(squeezed):
        raise _fail(
            field_name,
            "account_number_decimal",
            _l("Số tài khoản có dạng số thập phân (như 12345.0) — %(hint)s.", hint=EXCEL_TEXT_HINT),
        )
    number = _ACCOUNT_SEPARATORS.sub("", raw).upper()
    if not _ACCOUNT_CHARS.match(number):
        raise _fail(
            field_name,
            "account_number_invalid_chars",
            _l("Số tài khoản chỉ gồm chữ cái không dấu (A–Z) và chữ số."),
        )
    if len(number) > ACCOUNT_NUMBER_MAX:
        raise _fail(
            field_name,
            "account_number_too_long",
            _l("Số tài khoản dài tối đa %(max)s ký tự.", max=ACCOUNT_NUMBER_MAX),
        )
    warnings: tuple[FieldError, ...] = ()
    if numeric_cell and number.isdigit():
        if len(number) > EXCEL_DIGITS:
            raise _fail(
                field_name,
                "account_number_excel_precision",
                _l(
                    "Số tài khoản dài hơn %(digits)s chữ số đã bị Excel làm tròn (các số cuối "
                    "thành 0) — %(hint)s.",
                    digits=EXCEL_DIGITS,
                    hint=EXCEL_TEXT_HINT,
                ),
            )
        warnings = (
            FieldError(
                field_name,
                _l(
                    "Ô số tài khoản có dạng số: nếu số bắt đầu bằng 0 thì Excel đã bỏ "
                    "số 0 đó — hãy kiểm tra lại."
                ),
                "account_number_numeric_cell",
            ),
        )
    is_card = number.isdigit() and len(number) in CARD_LENGTHS and number.startswith(CARD_PREFIX)
    return CleanAccountNumber(number=number, is_card=is_card, warnings=warnings)


# Messages of check_account_for_bank, by code: untranslated templates (N_), formatted with
# ``%`` and the Violation's params (bank, number, length, allowed; alias is 1 for numbers
# with letters). Translate the template first, then format, so the English UI can show them.
ACCOUNT_RULE_MESSAGES: dict[str, str] = {
    "account_number_letters_not_allowed": N_(
        "Số tài khoản %(bank)s chỉ gồm chữ số; “%(number)s” có chữ cái."
    ),
    "account_number_letters_required": N_(
        "Số tài khoản %(bank)s là tài khoản định danh có chữ cái; “%(number)s” chỉ có chữ số."
    ),
    "account_number_length": N_(
        "Số tài khoản %(bank)s có %(allowed)s chữ số; “%(number)s” có %(length)d."
    ),
    "card_number_length": N_(
        "Số thẻ NAPAS (bắt đầu 9704) có %(allowed)s chữ số; “%(number)s” có %(length)d."
    ),
    "card_number_checksum": N_(
        "Số thẻ “%(number)s” sai số kiểm tra (Luhn) — có thể gõ nhầm một chữ số, hãy đối chiếu "
        "với thẻ."
    ),
}
# account_number_length for a number with letters (alias=1): the lengths are in characters.
ACCOUNT_ALIAS_LENGTH_MESSAGE = N_(
    "Số tài khoản định danh %(bank)s có %(allowed)s ký tự; “%(number)s” có %(length)d."
)


def check_account_for_bank(
    number: CleanAccountNumber | str,
    bank_bin: str,
    *,
    is_card: bool | None = None,
    field_name: str = "account_number",
) -> None:
    """Raise ValidationFailed when ``number`` cannot be an account (or card) of bank ``bank_bin``.

    ``number`` is :func:`clean_account_number`'s result, or its ``.number`` text (then
    ``is_card`` says whether it is a card; by default a 16–19-digit "9704…" number is).
    The bank's rules come from ``market4/data/bank_account_rules.csv`` (digits only unless
    the bank issues virtual accounts with letters; a length range where a source states
    one, else 6–19 digits); a BIN outside the directory gets that default. NAPAS cards must
    be 16–19 digits with a valid Luhn check digit, whatever the bank. The message names
    the value and the rule ("Số tài khoản Agribank chỉ gồm chữ số; “12345ABC678” có chữ
    cái."); the codes and their templates are in :data:`ACCOUNT_RULE_MESSAGES`.
    """
    if isinstance(number, CleanAccountNumber):
        text, card = number.number, number.is_card
    else:
        text = str(number).upper()
        card = text.isdigit() and len(text) in CARD_LENGTHS and text.startswith(CARD_PREFIX)
    if is_card is not None:
        card = is_card
    bank = bank_directory.by_bin(bank_bin)
    violation = check_account_number(
        text, bank.account_rules if bank is not None else (), is_card=card
    )
    if violation is None:
        return
    params = {
        "bank": bank.short_name if bank is not None else f"BIN {bank_bin}",
        **violation.params,
    }
    template = ACCOUNT_RULE_MESSAGES[violation.code]
    if violation.code == "account_number_length" and params.get("alias"):
        template = ACCOUNT_ALIAS_LENGTH_MESSAGE
    raise ValidationFailed(
        [FieldError.from_template(field_name, template, violation.code, **params)]
    )


# --- market fields ---------------------------------------------------------------------


def clean_stall_code(value: Any, *, field_name: str = "stall_code") -> str:
    """A stall's free-text code ("Sạp 12", "Lô A12"), NFC, 1–40 characters."""
    code = clean_text(value)
    if not code:
        raise _fail(field_name, "required", _l("Cần nhập mã sạp."))
    if len(code) > STALL_CODE_MAX:
        raise _fail(
            field_name, "invalid_length", _l("Mã sạp dài tối đa %(max)s ký tự.", max=STALL_CODE_MAX)
        )
    return code


def _category_key(text: str) -> str:
    return " ".join(fold_ascii(text).casefold().replace(",", " ").split())


def clean_goods_category(
    value: Any,
    *,
    categories: Collection[str] | None = None,
    field_name: str = "goods_category",
) -> str | None:
    """One of ``categories`` (default :data:`GOODS_CATEGORIES`), in its canonical spelling.

    Matching ignores case, diacritics and commas ("thit" → "Thịt"); empty means None.
    """
    text = clean_text(value)
    if not text:
        return None
    allowed = GOODS_CATEGORIES if categories is None else tuple(categories)
    by_key = {_category_key(category): category for category in allowed}
    try:
        return by_key[_category_key(text)]
    except KeyError:
        raise _fail(
            field_name,
            "unknown_goods_category",
            _l("Ngành hàng không có trong danh mục: %(text)s.", text=text),
        ) from None


def clean_partner_reference(value: Any, *, field_name: str = "partner_reference") -> str | None:
    text = clean_text(value)
    if len(text) > PARTNER_REFERENCE_MAX:
        raise _fail(
            field_name,
            "invalid_length",
            _l("Mã tham chiếu dài tối đa %(max)s ký tự.", max=PARTNER_REFERENCE_MAX),
        )
    return text or None


# --- consent -----------------------------------------------------------------------------

#: Law 91/2025: processing a vendor's data needs their explicit consent, never pre-ticked.
CONSENT_REQUIRED = FieldError(
    "consent",
    _l("Cần có sự đồng ý của tiểu thương về việc xử lý dữ liệu cá nhân."),
    "consent_required",
)


# --- everything at once ----------------------------------------------------------------


@dataclass(frozen=True)
class VendorFields:
    """The normalised registration fields; ``warnings`` never block a registration."""

    display_name: str
    bank_style_name: str
    phone_e164: str | None
    account_number: str
    is_card: bool
    holder_name: str
    goods_category: str | None
    partner_reference: str | None
    warnings: tuple[FieldError, ...] = field(default=())


class _Collector:
    """Runs field rules and keeps every failure, so the user sees all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return rule(*args, **kwargs)
        except ValidationFailed as failure:
            self.errors.extend(failure.errors)
            return None


def validate_vendor_fields(
    *,
    display_name: Any,
    phone: Any,
    account_number: Any,
    bank_style_name: Any = None,
    holder_name: Any = None,
    goods_category: Any = None,
    partner_reference: Any = None,
    phone_required: bool = True,
    phone_numeric_cell: bool = False,
    account_numeric_cell: bool = False,
    categories: Collection[str] | None = None,
) -> VendorFields:
    """Normalise every registration field or raise one ValidationFailed listing all errors."""
    check = _Collector()
    name = check.run(clean_display_name, display_name)
    bank_name = None
    if name is not None or clean_text(bank_style_name):
        bank_name = check.run(clean_bank_style_name, bank_style_name, display_name=name)
    phone_e164 = None
    if phone_required or clean_text(phone) or isinstance(phone, int | float):
        phone_e164 = check.run(clean_phone, phone, numeric_cell=phone_numeric_cell)
    account = check.run(clean_account_number, account_number, numeric_cell=account_numeric_cell)
    holder = None
    if bank_name is not None or clean_text(holder_name):
        holder = check.run(clean_holder_name, holder_name, default=bank_name or "")
    category = check.run(clean_goods_category, goods_category, categories=categories)
    reference = check.run(clean_partner_reference, partner_reference)
    if check.errors:
        raise ValidationFailed(check.errors)
    assert name and bank_name and account and holder  # every rule passed
    warnings = list(account.warnings)
    if clean_text(bank_style_name) and bank_name != fold_to_bank_style(name):
        warnings.append(
            FieldError(
                "bank_style_name",
                _l("Tên không dấu khác với tên tiểu thương — kiểm tra lại."),
                "bank_style_name_differs",
            )
        )
    if holder != bank_name:
        warnings.append(holder_name_differs())
    return VendorFields(
        display_name=name,
        bank_style_name=bank_name,
        phone_e164=phone_e164,
        account_number=account.number,
        is_card=account.is_card,
        holder_name=holder,
        goods_category=category,
        partner_reference=reference,
        warnings=tuple(warnings),
    )


def holder_name_differs() -> FieldError:
    """The warning when an account's holder is not the vendor: a fake QR stuck on a stall
    often pays an account whose name is only close to the vendor's."""
    return FieldError(
        "holder_name",
        _l(
            "Tên chủ tài khoản khác với tên tiểu thương — kiểm tra lại "
            "(mã QR giả thường dùng tên gần giống)."
        ),
        "holder_name_differs",
    )
