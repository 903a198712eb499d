"""``POST /api/v1/activity``: banks report, per account and month, whether it received
QR payments and how many (a band). Never an amount: the schema has no field for one,
and an unknown field is refused.

Up to :data:`~market4.activity.services.MAX_API_ROWS` reports per request, all written
or none: any invalid row answers 422 with every problem named by row index and field
(``reports.3.month``) and nothing is stored. A report on an account and month already
reported replaces it (latest wins; the same values again change nothing), so a retry is
harmless, and ``Idempotency-Key`` replays the first answer. The rules are
:mod:`market4.activity.services`', shared with the CSV upload and the CLI.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from market4.activity.services import MAX_API_ROWS, ReportInput, report_activity
from market4.api import new_blueprint
from market4.api.auth import current_user, roles_allowed
from market4.api.idempotency import HEADER_DOC, idempotent
from market4.api.schemas import bin_field
from market4.vocabulary import ActivitySource, QrCountBand, Role

blp = new_blueprint(
    "activity",
    "Banks' monthly reports of QR payments per account: received or not, and a count band.",
)

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class ActivityReportItemSchema(Schema):
    bank_bin = bin_field("BIN of the account's bank; default: your bank's.", example="970405")
    account_number = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "The account as registered in market4.",
            "example": "1903123456789",
        },
    )
    month = fields.String(
        required=True,
        validate=validate.Regexp(MONTH_PATTERN),
        metadata={
            "description": "YYYY-MM, from 2018-10 to the current month.",
            "example": "2026-10",
        },
    )
    received = fields.Boolean(
        required=True,
        metadata={"description": "Whether the account received QR payments that month."},
    )
    count_band = fields.String(
        validate=validate.OneOf([band.value for band in QrCountBand]),
        metadata={
            "description": "How many QR payments, as a band: 0 (none), 1-9, 10-49, 50-199, "
            "200+. Required when received is true; 0 or absent when false.",
            "example": "10-49",
        },
    )


class ActivityReportSchema(Schema):
    reports = fields.List(
        fields.Nested(ActivityReportItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_API_ROWS),
        metadata={"description": f"1 to {MAX_API_ROWS} reports, one per account and month."},
    )


class ActivityResultSchema(Schema):
    rows = fields.Integer(required=True)
    created = fields.Integer(
        required=True, metadata={"description": "Account-months reported for the first time."}
    )
    replaced = fields.Integer(
        required=True, metadata={"description": "Earlier reports replaced by new values."}
    )
    unchanged = fields.Integer(
        required=True, metadata={"description": "Reports identical to the ones stored."}
    )
    outcomes = fields.List(
        fields.String(validate=validate.OneOf(["created", "replaced", "unchanged"])),
        required=True,
        metadata={"description": "Each report's outcome, in the order sent."},
    )


@blp.route("/activity", methods=["POST"])
@blp.doc(parameters=[HEADER_DOC])
@roles_allowed(Role.BANK_PARTNER, Role.ADMIN)
@idempotent
@blp.arguments(ActivityReportSchema())
@blp.response(200, ActivityResultSchema)
def report(payload: dict[str, Any]):
    """Report whether accounts received QR payments in a month (all rows, or none).

    A bank partner reports its own bank's accounts; an account you cannot see is refused
    with ``account_not_found``, whether or not it exists at another bank. A 422 lists
    every invalid row as ``reports.<index>.<field>`` and stores nothing.
    """
    summary = report_activity(
        [
            ReportInput(
                bank=item.get("bank_bin"),
                account_number=item["account_number"],
                month=item["month"],
                received=item["received"],
                count_band=item.get("count_band"),
            )
            for item in payload["reports"]
        ],
        actor=current_user(),
        source=ActivitySource.API,
        channel="api",
    )
    return {**summary.as_dict(), "outcomes": summary.outcomes}
