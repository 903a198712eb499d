"""The bank directory as a table, so payment accounts can reference a bank by BIN.

The rows are copied from ``market4/data/banks.csv`` (``market4 banks sync``); the CSV,
read by ``market4.domain.banks``, stays the source of truth.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from market4.extensions import db


class Bank(db.Model):
    __tablename__ = "banks"

    # The SBV-issued BIN is the only stable key: names and NAPAS codes change and collide.
    bin: Mapped[str] = mapped_column(String(6), primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    short_name: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    vietqr_status: Mapped[str] = mapped_column(String(30))
    is_wallet: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Bank {self.bin} {self.short_name}>"
