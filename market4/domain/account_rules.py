"""Which account numbers a bank can have, and the NAPAS card rule.  Pure: no Flask, no database.

The rules are data: ``market4/data/bank_account_rules.csv`` (loaded by
:mod:`market4.domain.banks`, one or more rows per BIN, each with its source).
A number is accepted when it satisfies *any* row of its bank:

- ``digits`` rows: 0–9 only, ``min_length``–``max_length`` characters;
- ``alnum`` rows: virtual accounts with letters (BVBank's MoMo/ZaloPay accounts
  "99ZP…", MoMo's "PSP…"): A–Z and 0–9 with at least one letter.  An all-digit
  number is always judged by the ``digits`` rows, so an ``alnum`` row never
  lets a too-short bank account through.

A BIN without rows gets :data:`DEFAULT_RULE` (digits, 6–19).  NAPAS domestic
card numbers (QRIBFTTC, "9704…") are not bank-specific: 16–19 digits and a
valid Luhn check digit (ISO/IEC 7812-1 annex B).  See docs/account-numbers.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "CARD_LENGTHS",
    "CARD_PREFIX",
    "CHARSETS",
    "DEFAULT_RULE",
    "VIETQR_ACCOUNT_MAX",
    "AccountRule",
    "Violation",
    "check_account_number",
    "describe_lengths",
    "luhn_valid",
    "parse_rule",
]

CHARSETS = ("digits", "alnum")
VIETQR_ACCOUNT_MAX = 19  # NAPAS VietQR 38.01.01 (ANS, up to 19)
CARD_PREFIX = "9704"  # NAPAS domestic cards
CARD_LENGTHS = range(16, 20)
DEFAULT_SOURCE = "default: VietQR 38.01.01 max 19; vietqr.io API accountNo 6-19"


@dataclass(frozen=True, slots=True)
class AccountRule:
    """One accepted shape of account number at one bank (a row of bank_account_rules.csv)."""

    charset: str
    min_length: int
    max_length: int
    source: str
    note: str = ""

    @property
    def is_default(self) -> bool:
        """True when no bank-specific evidence backs the rule (``source`` starts with "default")."""
        return self.source.startswith("default")

    @property
    def allows_letters(self) -> bool:
        return self.charset == "alnum"

    def fits_charset(self, number: str) -> bool:
        if not (number.isascii() and number.isalnum()):
            return False
        if self.charset == "digits":
            return number.isdigit()
        return not number.isdigit()  # alnum: letters required, digits optional

    def matches(self, number: str) -> bool:
        return self.fits_charset(number) and self.min_length <= len(number) <= self.max_length


DEFAULT_RULE = AccountRule(
    "digits",
    6,
    VIETQR_ACCOUNT_MAX,
    DEFAULT_SOURCE,
    "no bank-specific evidence: any 6-19 digits",
)


def parse_rule(row: Mapping[str, str], where: str = "bank_account_rules.csv") -> AccountRule:
    """An :class:`AccountRule` from one CSV row, or ValueError naming ``where`` and the problem."""
    charset = (row.get("charset") or "").strip()
    if charset not in CHARSETS:
        raise ValueError(f"{where}: charset {charset!r} is not one of {', '.join(CHARSETS)}")
    lengths = []
    for key in ("min_length", "max_length"):
        text = (row.get(key) or "").strip()
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"{where}: {key} {text!r} is not a whole number")
        lengths.append(int(text))
    low, high = lengths
    if not 1 <= low <= high <= VIETQR_ACCOUNT_MAX:
        raise ValueError(
            f"{where}: lengths {low}-{high} are not within 1-{VIETQR_ACCOUNT_MAX} (min <= max)"
        )
    source = (row.get("source") or "").strip()
    if not source:
        raise ValueError(
            f"{where}: every rule needs a source (write 'default: …' when there is none)"
        )
    return AccountRule(charset, low, high, source, (row.get("note") or "").strip())


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn (mod 10) check digit of the rest (ISO/IEC 7812-1)."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) < 2:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def describe_lengths(rules: Sequence[AccountRule]) -> str:
    """The lengths the rules allow, merged, language-neutral: "13", "10–13", "10–13, 18"."""
    spans: list[list[int]] = []
    for low, high in sorted((rule.min_length, rule.max_length) for rule in rules):
        if spans and low <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    parts = [str(low) if low == high else f"{low}–{high}" for low, high in spans]
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Violation:
    """Why a number does not fit: a stable ``code`` and the values its message needs."""

    code: str
    params: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))


def _violation(code: str, **params: str | int) -> Violation:
    return Violation(code, MappingProxyType(params))


def check_account_number(
    number: str, rules: Sequence[AccountRule], *, is_card: bool = False
) -> Violation | None:
    """None when ``number`` (already cleaned: upper-case A–Z/0–9) fits, else the first problem.

    Cards are checked against the NAPAS card rule only (a card's BIN need not be
    the bank's VietQR BIN: Agribank cards start 970499).  Accounts must fit one
    of ``rules`` (``DEFAULT_RULE`` when empty).  Codes:

    - ``card_number_length``: a card that is not 16–19 digits;
    - ``card_number_checksum``: a card whose last digit fails the Luhn check;
    - ``account_number_letters_not_allowed``: letters at a bank with digit-only rules;
    - ``account_number_letters_required``: digits only at a bank whose rules all need letters;
    - ``account_number_length``: the right characters, a length no rule allows
      (``allowed`` lists the lengths for the number's kind, ``alias`` says which kind).
    """
    length = len(number)
    if is_card:
        if not (number.isascii() and number.isdigit()) or length not in CARD_LENGTHS:
            return _violation(
                "card_number_length",
                number=number,
                length=length,
                allowed=f"{CARD_LENGTHS.start}–{CARD_LENGTHS.stop - 1}",
            )
        if not luhn_valid(number):
            return _violation("card_number_checksum", number=number, length=length)
        return None
    rules = tuple(rules) or (DEFAULT_RULE,)
    if any(rule.matches(number) for rule in rules):
        return None
    has_letters = not number.isdigit()
    same_kind = [rule for rule in rules if rule.allows_letters == has_letters]
    if not same_kind:
        code = (
            "account_number_letters_not_allowed"
            if has_letters
            else "account_number_letters_required"
        )
        return _violation(code, number=number, length=length, allowed=describe_lengths(rules))
    return _violation(
        "account_number_length",
        number=number,
        length=length,
        allowed=describe_lengths(same_kind),
        alias=int(has_letters),
    )
