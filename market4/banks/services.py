"""Copying the bank directory (``market4/data/banks.csv``) into the ``banks`` table."""

from __future__ import annotations

from sqlalchemy import select

from market4.banks.models import Bank
from market4.domain import banks as directory
from market4.extensions import db


def sync_banks() -> tuple[int, int]:
    """Insert new BINs and update renamed banks; returns (added, updated).

    Rows are never deleted: accounts keep pointing at a BIN that left the list.
    """
    existing = {bank.bin: bank for bank in db.session.scalars(select(Bank))}
    added = updated = 0
    for entry in directory.all_banks():
        values = {
            "code": entry.code,
            "short_name": entry.short_name,
            "name": entry.name,
            "vietqr_status": entry.vietqr_status,
            "is_wallet": entry.kind == "wallet",
        }
        bank = existing.get(entry.bin)
        if bank is None:
            db.session.add(Bank(bin=entry.bin, **values))
            added += 1
        elif any(getattr(bank, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(bank, key, value)
            updated += 1
    db.session.flush()
    return added, updated
