"""Request and response schemas of the partner API (marshmallow).

These classes both validate what partners send (through ``Blueprint.arguments``) and
produce ``/api/v1/openapi.json`` (through flask-smorest/apispec): what is documented is
what is checked. Field rules here are only the shape (types, lengths, required); the
domain rules (a valid Vietnamese mobile, a known BIN, a free stall) stay in the services,
whose ``ValidationFailed`` comes back as the same 422 problem with a field list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import Response, current_app
from flask_smorest.fields import Upload
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from market4.vocabulary import AccountKind, AccountStatus, BatchStatus, MarketKind, PlacardStatus

AREA_PATTERN = r"^(2008|2025)/(province|district|commune)/[0-9A-Za-z]{1,10}$"


def one_of(codes: Iterable[str]) -> validate.OneOf:
    """The allowed codes of a vocabulary field, so the OpenAPI document lists them as ``enum``."""
    return validate.OneOf([str(code) for code in codes])


class SafeString(fields.String):
    """A string PostgreSQL can store: no NUL, no control characters, valid Unicode."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(ord(char) < 32 and char not in "\t\n\r" for char in text) or "\x7f" in text:
            raise ValidationError("Control characters are not allowed.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Not valid Unicode text.") from None
        return text


def utc_iso(value: datetime) -> str:
    """ISO 8601 with an offset; SQLite hands back naive UTC, which is made explicit."""
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()


class UtcDateTime(fields.DateTime):
    """A date and time as :func:`utc_iso` writes it."""

    def _serialize(
        self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else utc_iso(value)


def lean_json(value: Any) -> Response:
    """A JSON answer for ``value``, a dict already built with its schema's keys: written
    by orjson without marshmallow's walk, keys sorted as ``jsonify`` sorts them, dates in
    ISO 8601 and times as :func:`utc_iso` writes them (orjson's own RFC 3339, naive ones
    taken as UTC; tests compare the two). Text stays UTF-8 where ``jsonify`` would escape
    it: the same JSON, a third shorter for Vietnamese names."""
    return current_app.response_class(
        orjson.dumps(
            value,
            default=current_app.json.default,  # type: ignore[attr-defined]
            option=orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE,
        ),
        mimetype=current_app.json.mimetype,
    )


def text(
    max_length: int,
    *,
    required: bool = False,
    allow_none: bool = False,
    description: str = "",
    example: str | None = None,
    min_length: int = 0,
) -> SafeString:
    return SafeString(
        required=required,
        allow_none=allow_none,
        validate=validate.Length(min=min_length, max=max_length),
        metadata=_documented(description, example),
    )


def bin_field(description: str = "", example: str | None = None) -> SafeString:
    """A bank's BIN: six ASCII digits. Whether a bank has that BIN is for the bank
    directory to say, after the schema (``domain.banks``)."""
    return SafeString(
        validate=validate.Regexp(r"^[0-9]{6}$"), metadata=_documented(description, example)
    )


def _documented(description: str, example: str | None) -> dict[str, Any]:
    return {"description": description} | ({} if example is None else {"example": example})


# --- shared ----------------------------------------------------------------------------


class FieldErrorSchema(Schema):
    field = fields.String(
        required=True, metadata={"description": "The input field (or header) at fault."}
    )
    code = fields.String(
        required=True, metadata={"description": "Stable machine code, e.g. invalid_phone."}
    )
    message = fields.String(
        required=True, metadata={"description": "Explanation for people (Vietnamese)."}
    )


class ProblemSchema(Schema):
    """RFC 9457 problem details; domain errors add members such as ``object_ids``."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: extension members are allowed

    type = fields.String(
        required=True, metadata={"example": "https://market4.vn/problems/validation_failed"}
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema), required=True)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class PageSchema(Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(
        required=True, metadata={"description": "Items matching, over all pages."}
    )


class AreaSchema(Schema):
    scheme = fields.String(
        required=True, metadata={"description": "2025 (current) or 2008 (before 1/7/2025)."}
    )
    level = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


# --- markets and stalls ----------------------------------------------------------------


class MarketSchema(Schema):
    code = fields.String(required=True, metadata={"example": "CD-NGAIGIAO"})
    name = fields.String(required=True)
    kind = fields.String(
        required=True,
        validate=one_of(MarketKind),
        metadata={"description": "traditional, night, street or supermarket."},
    )
    market_class = fields.Integer(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    commune = fields.Nested(AreaSchema, required=True)
    in_programme = fields.Boolean(
        required=True, metadata={"description": "In the chợ 4.0 programme today."}
    )
    programme_joined_on = fields.Date(required=True, allow_none=True)


class MarketPageSchema(PageSchema):
    items = fields.List(fields.Nested(MarketSchema), required=True)


class StallArgs(PageArgs):
    vacant = fields.Boolean(
        metadata={"description": "true: only stalls without a vendor; false: only occupied."}
    )
    stall_code = text(40, description="Exact stall code (case and spacing ignored).")


class StallSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"example": "Sạp 12"})
    zone = fields.String(required=True, allow_none=True)
    row = fields.String(required=True, allow_none=True)
    goods_category = fields.String(required=True, allow_none=True)
    is_open = fields.Boolean(required=True)
    status = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "accepting, not_accepting, or null when never set."},
    )
    occupied = fields.Boolean(required=True)
    vendor_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The occupant, when it is one of your vendors."},
    )


class StallPageSchema(PageSchema):
    items = fields.List(fields.Nested(StallSchema), required=True)


# --- vendors ---------------------------------------------------------------------------


class VendorCreateSchema(Schema):
    market_code = text(40, required=True, min_length=1, example="CD-NGAIGIAO")
    stall_code = text(40, required=True, min_length=1, example="Sạp 12")
    display_name = text(
        200,
        required=True,
        example="Nguyễn Thị Đào",
        description="As the vendor writes it, with diacritics.",
    )
    bank_style_name = text(
        200,
        allow_none=True,
        example="NGUYEN THI DAO",
        description="Upper-case ASCII as bank apps show it; default: folded display_name.",
    )
    phone = text(40, required=True, example="0912345678", description="Vietnamese mobile, as text.")
    bank_bin = bin_field("6-digit BIN; default: your bank's.", example="970405")
    account_number = text(
        40,
        required=True,
        example="1234567890123",
        description="As text (never a number: leading zeros count).",
    )
    holder_name = text(200, allow_none=True, description="Account holder as the bank returns it.")
    goods_category = text(60, allow_none=True, example="Rau củ")
    partner_reference = text(64, allow_none=True, description="Your own id for this registration.")
    consent = fields.Boolean(
        required=True,
        metadata={
            "description": "The vendor agreed to the processing of their data (Law 91/2025); must be true."
        },
    )
    replace_occupant = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Admin tokens only: end the current occupant's stay at the stall instead of "
            "answering 409 (occupancy is the market board's; banks get 403)."
        },
    )


class VendorUpdateSchema(Schema):
    display_name = text(200)
    bank_style_name = text(200, allow_none=True)
    phone = text(40)
    bank_bin = bin_field()
    account_number = text(40, description="A new number supersedes the printed placards.")
    holder_name = text(200, allow_none=True)
    partner_reference = text(64, allow_none=True)


class AccountCreateSchema(Schema):
    bank_bin = bin_field("6-digit BIN; default: your bank's.", example="970405")
    account_number = text(
        40,
        required=True,
        example="1234567890123",
        description="As text (never a number: leading zeros count).",
    )
    holder_name = text(200, allow_none=True, description="Default: the vendor's bank-style name.")
    partner_reference = text(64, allow_none=True, description="Your own id for this account.")
    consent = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Needed only when the vendor never consented before (Law 91/2025)."
        },
    )


class AccountUpdateSchema(Schema):
    bank_bin = bin_field()
    account_number = text(40, description="A new number supersedes the printed placards.")
    holder_name = text(200, allow_none=True)
    partner_reference = text(64, allow_none=True)


class VendorListArgs(PageArgs):
    market = text(40, description="Only vendors currently at this market (code).")
    q = text(120, description="Part of the name, diacritics and case ignored.")
    phone = text(40, description="Exact mobile number, any usual spelling.")
    partner_reference = text(64)
    account_number = text(40, description="Exact account number at your bank.")
    active = fields.Boolean(
        metadata={"description": "Only vendors with (true) / without (false) an open account."}
    )
    after = fields.Integer(
        validate=validate.Range(min=1, max=2_147_483_647),
        metadata={
            "description": "Keyset paging: the vendors after this one (the previous page's "
            "next_after), newest first. As fast on the thousandth page as on the first; "
            "page is then ignored."
        },
    )


class DeleteArgs(Schema):
    reason = text(255, description="Why the registration ends (kept in the audit log).")


class AccountSchema(Schema):
    id = fields.Integer(required=True)
    bank_bin = fields.String(required=True)
    bank_name = fields.String(required=True)
    kind = fields.String(
        required=True, validate=one_of(AccountKind), metadata={"description": "bank or wallet."}
    )
    account_number = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Full number; null unless it is at your bank."},
    )
    account_number_masked = fields.String(required=True, metadata={"example": "…6789"})
    is_card = fields.Boolean(required=True)
    holder_name = fields.String(required=True)
    status = fields.String(
        required=True, validate=one_of(AccountStatus), metadata={"description": "active or closed."}
    )
    is_on_placard = fields.Boolean(required=True)
    partner_reference = fields.String(required=True, allow_none=True)
    verified_at = UtcDateTime(required=True, allow_none=True)


class StallRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    market_code = fields.String(required=True)
    market_name = fields.String(required=True)


class PlacardRefSchema(Schema):
    serial = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=one_of((PlacardStatus.ISSUED, PlacardStatus.POSTED)),
        metadata={"description": "issued or posted."},
    )
    version = fields.Integer(required=True)


class VendorSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    bank_style_name = fields.String(required=True)
    phone = fields.String(required=True, allow_none=True, metadata={"example": "+84912345678"})
    is_active = fields.Boolean(required=True)
    consent_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    stall = fields.Nested(
        StallRefSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Where the vendor trades now."},
    )
    placard = fields.Nested(
        PlacardRefSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The live placard at that stall, if any."},
    )
    accounts = fields.List(
        fields.Nested(AccountSchema),
        required=True,
        metadata={"description": "The accounts you may see."},
    )


class VendorWrittenSchema(VendorSchema):
    warnings = fields.List(
        fields.Nested(FieldErrorSchema),
        required=True,
        metadata={"description": "Non-blocking findings to check (same phone elsewhere…)."},
    )
    outcome = fields.String(
        metadata={
            "description": "registered (new vendor on a vacant stall); account_added, account_updated or "
            "unchanged (the request named the stall's current vendor: no second person record)."
        }
    )


class AccountWrittenSchema(AccountSchema):
    outcome = fields.String(
        required=True, metadata={"description": "account_added, account_updated or unchanged."}
    )
    warnings = fields.List(fields.Nested(FieldErrorSchema), required=True)
    superseded_placards = fields.List(
        fields.String(), required=True, metadata={"description": "Serials that must be reprinted."}
    )


class AccountListSchema(Schema):
    items = fields.List(fields.Nested(AccountSchema), required=True)


class VendorUpdatedSchema(VendorWrittenSchema):
    changed = fields.Dict(keys=fields.String(), required=True)
    superseded_placards = fields.List(
        fields.String(), required=True, metadata={"description": "Serials that must be reprinted."}
    )


class VendorPageSchema(PageSchema):
    items = fields.List(fields.Nested(VendorSchema), required=True)
    total = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "Vendors matching, over all pages; null on keyset (after=) pages."
        },
    )
    next_after = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as after= for the next page; null on the last page."},
    )


# --- stats -----------------------------------------------------------------------------


class StatsArgs(Schema):
    area = SafeString(
        validate=validate.Regexp(AREA_PATTERN),
        metadata={
            "description": "SCHEME/LEVEL/CODE, e.g. 2025/province/79 or 2008/district/750; default: your area.",
            "example": "2008/district/750",
        },
    )
    date = fields.Date(
        metadata={"description": "Figures as they stood on this day (default: today)."}
    )


#: Months of ``trend_by_month`` in ``GET /api/v1/stats``.
MONTHS_IN_TREND = 6


def _paid_count() -> fields.Integer:
    return fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "Stalls paid by QR in paid_by_qr_month: open on its last day, with "
            "a vendor whose account a bank reported as having received QR payments that "
            "month. Null before any report."
        },
    )


def _paid_rate() -> fields.Float:
    return fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "stalls_paid_by_qr over stalls_total, 0–1."},
    )


class MarketFiguresSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    market_class = fields.Integer(required=True, allow_none=True)
    in_programme = fields.Boolean(required=True)
    stalls_total = fields.Integer(required=True)
    stalls_accepting = fields.Integer(required=True)
    rate = fields.Float(required=True, allow_none=True)
    stalls_paid_by_qr = _paid_count()
    paid_by_qr_rate = _paid_rate()


class AreaFiguresSchema(Schema):
    area = fields.Nested(AreaSchema, required=True)
    markets_total = fields.Integer(required=True)
    markets_cashless = fields.Integer(required=True)
    stalls_total = fields.Integer(required=True)
    stalls_accepting = fields.Integer(required=True)
    rate = fields.Float(required=True, allow_none=True)
    stalls_paid_by_qr = _paid_count()
    paid_by_qr_rate = _paid_rate()


class MonthFiguresSchema(Schema):
    month = fields.String(required=True, metadata={"example": "2026-10"})
    stalls_total = fields.Integer(
        required=True, metadata={"description": "Stalls open on the month's last day."}
    )
    stalls_accepting = fields.Integer(
        required=True, metadata={"description": "Of them, accepting (has QR) that day."}
    )
    rate = fields.Float(required=True, allow_none=True)
    stalls_paid_by_qr = fields.Integer(required=True)
    paid_by_qr_rate = fields.Float(required=True, allow_none=True)


class StatsSchema(Schema):
    date = fields.Date(required=True)
    area = fields.Nested(AreaSchema, required=True, allow_none=True)
    markets_total = fields.Integer(required=True)
    markets_cashless = fields.Integer(
        required=True, metadata={"description": "Markets in the programme."}
    )
    stalls_total = fields.Integer(required=True)
    stalls_accepting = fields.Integer(required=True)
    rate = fields.Float(
        required=True, allow_none=True, metadata={"description": "Share of stalls accepting, 0–1."}
    )
    markets = fields.List(fields.Nested(MarketFiguresSchema), required=True)
    children = fields.List(
        fields.Nested(AreaFiguresSchema),
        required=True,
        metadata={
            "description": "The same figures split one level down (country: provinces; "
            "province: communes; legacy province: districts; legacy district: communes); "
            "empty for a commune. Ask again with area= for the next level."
        },
    )
    paid_by_qr_month = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "YYYY-MM: the latest finished month, before the date's own, with "
            "bank reports on these markets; null before any.",
            "example": "2026-10",
        },
    )
    stalls_paid_by_qr = _paid_count()
    paid_by_qr_rate = _paid_rate()
    trend_by_month = fields.List(
        fields.Nested(MonthFiguresSchema),
        required=True,
        metadata={
            "description": f"Up to {MONTHS_IN_TREND} months up to paid_by_qr_month that have "
            "bank reports: has QR and paid by QR side by side."
        },
    )


# --- imports ---------------------------------------------------------------------------


class ImportArgs(Schema):
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Check every row, register nothing."}
    )


class ImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "The .xlsx or .csv file (at most 5 MB)."})


class ImportRowErrorSchema(Schema):
    column = fields.String(
        required=True, metadata={"description": "The file's column (or field) at fault."}
    )
    code = fields.String(required=True)
    message = fields.String(required=True)
    severity = fields.String(
        required=True, metadata={"description": "error blocks the row; warning does not."}
    )


class ImportRowSchema(Schema):
    row_number = fields.Integer(
        required=True, metadata={"description": "As the spreadsheet numbers it."}
    )
    outcome = fields.String(
        required=True,
        metadata={
            "description": "create, add_account (the stall's current vendor gets the account), update, unchanged, "
            "invalid or duplicate."
        },
    )
    errors = fields.List(fields.Nested(ImportRowErrorSchema), required=True)
    vendor_id = fields.Integer(required=True, allow_none=True)
    payment_account_id = fields.Integer(required=True, allow_none=True)


class ImportResultSchema(Schema):
    id = fields.Integer(required=True)
    dry_run = fields.Boolean(required=True)
    status = fields.String(
        required=True,
        validate=one_of(BatchStatus),
        metadata={"description": "previewed (dry run), committed or failed."},
    )
    filename = fields.String(required=True)
    file_format = fields.String(required=True)
    bank_bin = fields.String(required=True)
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    error = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, allow_none=True)
    committed_at = fields.String(required=True, allow_none=True)
    rows = fields.List(fields.Nested(ImportRowSchema), required=True)
