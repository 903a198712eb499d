"""What stands in the way of registering a person at a stall, beside the fields' own rules.

A registration (the web form, the API) and every row of an import ask the same
questions: is the stall open, and does someone else trade there? Each loads the facts
its own way (a few queries for one registration, a few for a whole file) and asks here,
so both refuse for the same reasons, with the same codes and words. The bank account
and the phone are looked up by :mod:`market4.vendors.duplicates`, whose report words
those refusals.

The refusals name the stall and the rule, never the person trading there: the caller
may be a bank that must not learn another bank's customers (a page that may show the
occupant's name shows it on its own). Each carries the field it belongs to
(``stall_code``), so a form, problem+json and an import report put it in its place.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from market4.errors import Conflict
from market4.registry.markets import Stall
from market4.registry.stalls import stall_name
from market4.vendors.duplicates import same_person

__all__ = ["STALL_FIELD", "is_the_occupant", "stall_conflict"]

#: The input that names the stall, in the API's body and the import's columns.
STALL_FIELD = "stall_code"


def is_the_occupant(
    occupant: Any, *, bank_style_name: str | None, phone_e164: str | None
) -> bool | None:
    """Is the person typed ``occupant`` (a Vendor or a row with its ``bank_style_name``
    and ``phone_e164``), by :func:`~market4.vendors.duplicates.same_person`?

    None when what was typed is too broken to tell (a name or, where the occupant has a
    phone, a phone that failed its rules): the field's own error is then the problem to
    show, not the stall.
    """
    if bank_style_name is None:
        return None
    if occupant.bank_style_name != bank_style_name:
        return False
    if occupant.phone_e164 is not None and phone_e164 is None:
        return None
    return same_person(occupant, phone_e164=phone_e164, bank_style_name=bank_style_name)


def stall_conflict(
    stall: Stall,
    *,
    is_open: bool,
    occupant: Any | None,
    is_occupant: bool | None,
    replace_occupant: bool = False,
    ends_inactive_stay: bool = True,
) -> Conflict | None:
    """Why nobody new may start at ``stall`` now, or None.

    Closed: ``stall_closed``. Someone trades there who is not the person registered
    (``is_occupant`` False; None, unknown, is no refusal) and the caller does not
    replace them: ``stall_occupied``, with the way out in the message — only the market
    board changes who trades at a stall; if it is that person, type their name and
    phone as registered. A deactivated occupant (merged away) leaves when someone new
    starts, unless the caller cannot end their stay (``ends_inactive_stay``: an import
    writes its rows in bulk, around the occupancy rules).
    """
    details = {"field": STALL_FIELD, "stall_id": stall.id}
    if not is_open:
        return Conflict(
            _l("%(stall)s đã đóng.", stall=stall_name(stall.code)),
            code="stall_closed",
            details=details,
        )
    if occupant is None or replace_occupant or is_occupant is not False:
        return None
    if not occupant.is_active and ends_inactive_stay:
        return None
    return Conflict(
        _l(
            "%(stall)s đang có tiểu thương khác. Chỉ ban quản lý chợ đổi người kinh doanh "
            "tại sạp; nếu đúng là người này, hãy nhập đúng tên và số điện thoại của họ.",
            stall=stall_name(stall.code),
        ),
        code="stall_occupied",
        details=details,
    )
