"""Every feature's models in one import, so Alembic and ``market4 shell`` see them all."""

from market4.activity.models import ActivityUpload
from market4.api.models import ApiToken
from market4.areas.models import AdminUnit, AdminUnitLineage
from market4.audit.models import AuditEvent
from market4.auth.models import LoginAttempt, Organisation, User, user_markets
from market4.banks.models import Bank
from market4.idempotency import IdempotencyRecord
from market4.registry.activity import MarketActivityMonth, PaymentActivity
from market4.registry.imports import ImportBatch, ImportRow
from market4.registry.market_days import MarketBankDay, MarketDay
from market4.registry.markets import Market, Stall, StallStatusChange, VerificationVisit
from market4.registry.placards import Placard
from market4.registry.print_jobs import PrintJob
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor

__all__ = [
    "ActivityUpload",
    "AdminUnit",
    "ApiToken",
    "IdempotencyRecord",
    "ImportBatch",
    "ImportRow",
    "LoginAttempt",
    "VerificationVisit",
    "AdminUnitLineage",
    "AuditEvent",
    "Bank",
    "Market",
    "MarketActivityMonth",
    "MarketBankDay",
    "MarketDay",
    "Occupancy",
    "Organisation",
    "PaymentAccount",
    "PaymentActivity",
    "Placard",
    "PrintJob",
    "Stall",
    "StallStatusChange",
    "User",
    "Vendor",
    "user_markets",
]
