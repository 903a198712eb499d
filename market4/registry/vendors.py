"""Vendors (tiểu thương), the stalls they occupy and the accounts they are paid into."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market4.db import now_utc, today
from market4.extensions import db
from market4.vocabulary import AccountKind, AccountStatus, sql_in

if TYPE_CHECKING:
    from market4.auth.models import Organisation
    from market4.banks.models import Bank
    from market4.registry.markets import Stall

ACCOUNT_KINDS = tuple(AccountKind)
ACCOUNT_NUMBER_MAX = 19  # VietQR 38.01.01 (NAPAS §5.2.3.2): account or card number


class Vendor(db.Model):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    # As the vendor writes it, NFC Vietnamese with diacritics: "Nguyễn Thị Đào".
    display_name: Mapped[str] = mapped_column(String(120))
    # As bank apps show it to the payer: upper-case ASCII, "NGUYEN THI DAO".
    bank_style_name: Mapped[str] = mapped_column(String(120))
    phone_e164: Mapped[Optional[str]] = mapped_column(String(16), index=True)
    # Law 91/2025/QH15: processing needs explicit consent, recorded, never pre-ticked.
    consent_at: Mapped[Optional[datetime]]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    registered_by_org_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    # Set when an admin merged this duplicate person record into another one.
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vendors.id"))

    accounts: Mapped[list[PaymentAccount]] = relationship(
        back_populates="vendor", order_by="PaymentAccount.id"
    )
    occupancies: Mapped[list[Occupancy]] = relationship(
        back_populates="vendor", order_by="Occupancy.started_on"
    )

    @property
    def placard_account(self) -> PaymentAccount | None:
        return next(
            (a for a in self.accounts if a.is_on_placard and a.status == AccountStatus.ACTIVE), None
        )

    def __repr__(self) -> str:
        return f"<Vendor {self.id} {self.display_name!r}>"


class PaymentAccount(db.Model):
    """A bank account, card or wallet a vendor can be paid into by VietQR.

    A vendor often has two or three (docs/domain.md, “Vendors and their accounts”); exactly one may go on the placard.
    """

    __tablename__ = "payment_accounts"
    __table_args__ = (
        # One row per real account: the same bank + number twice is a duplicate.
        UniqueConstraint("bank_bin", "account_number"),
        CheckConstraint(sql_in("kind", AccountKind), name="kind"),
        CheckConstraint(sql_in("status", AccountStatus), name="status"),
        Index(
            "uq_payment_accounts_one_placard_account",
            "vendor_id",
            unique=True,
            sqlite_where=text("is_on_placard AND status = 'active'"),
            postgresql_where=text("is_on_placard AND status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    bank_bin: Mapped[str] = mapped_column(ForeignKey("banks.bin"), index=True)
    # Text, never a number: leading zeros and 16–19 digit card numbers must survive.
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_MAX))
    is_card: Mapped[bool] = mapped_column(default=False)
    holder_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10), default=AccountKind.BANK)
    is_on_placard: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default=AccountStatus.ACTIVE)
    registered_by_org_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    # The partner's own reference, so re-imports and API retries find the same row.
    partner_reference: Mapped[Optional[str]] = mapped_column(String(64))
    verified_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    closed_at: Mapped[Optional[datetime]]

    vendor: Mapped[Vendor] = relationship(back_populates="accounts")
    bank: Mapped[Bank] = relationship()
    registered_by: Mapped[Optional[Organisation]] = relationship()

    @property
    def last4(self) -> str:
        return self.account_number[-4:]

    @property
    def bank_name(self) -> str:
        return self.bank.short_name

    def __repr__(self) -> str:
        return f"<PaymentAccount {self.id} {self.bank_bin} …{self.last4}>"


class Occupancy(db.Model):
    """Which vendor trades at which stall, and when; the open row is the current one."""

    __tablename__ = "occupancies"
    __table_args__ = (
        Index(
            "uq_occupancies_one_current_vendor",
            "stall_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(ForeignKey("stalls.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    started_on: Mapped[date] = mapped_column(default=today)
    ended_on: Mapped[Optional[date]]

    stall: Mapped[Stall] = relationship()
    vendor: Mapped[Vendor] = relationship(back_populates="occupancies")
