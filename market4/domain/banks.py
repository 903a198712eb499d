"""Directory of banks, digital banks, wallets and finance companies by VietQR BIN.

Data (package files under ``market4/data``, loaded once on first use):

- ``banks.csv``: bin, NAPAS code, short name, legal name, sources (72 rows;
  vietqr.io v2 snapshot, SBV letter 1589/NHNN-TT 2024, subiz/vietqr,
  vietnam-qr-pay@1.5.1).
- ``banks_vietqr_status.csv``: whether the bank's app can scan VietQR
  (TRANSFER_SUPPORTED), its accounts can only be paid (RECEIVE_ONLY),
  ``unknown``, or the BIN is absent from every VietQR list
  (``not_in_vietqr_lists``: SBV-only BINs).
- ``bank_aliases.csv``: kind, former names and extra aliases, each row with
  its source, because renamed banks keep their BIN.
- ``bank_account_rules.csv``: which account numbers each BIN issues (digits
  or letters, lengths), one or more rows per BIN, each with its source; see
  :mod:`market4.domain.account_rules` and docs/account-numbers.md.

The BIN is the key.  NAPAS codes are not unique: CIMB is on 422589 (VietQR
lists) and 970459 (SBV), MAFC on 977777 (vietqr.io) and 970468 (SBV).
:func:`resolve` settles such ties deliberately by preferring the one BIN that
is in the VietQR lists, since that is the BIN bank apps route VietQR
transfers on; :func:`by_code` returns every holder, preferred first.  Codes
from other namespaces are not understood: "BVB" is BaoVietBank (NAPAS), not
BVBank as in vietnam-qr-pay's own BankCode enum.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from market4.domain.account_rules import DEFAULT_RULE, AccountRule, parse_rule
from market4.domain.text import fold_ascii, nfc

__all__ = [
    "KINDS",
    "VIETQR_STATUSES",
    "Bank",
    "BankLookupError",
    "all_banks",
    "by_bin",
    "by_code",
    "resolve",
    "search",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
KINDS = ("bank", "digital_bank", "wallet", "finance_company")
VIETQR_STATUSES = ("TRANSFER_SUPPORTED", "RECEIVE_ONLY", "unknown", "not_in_vietqr_lists")


@dataclass(frozen=True, slots=True)
class Bank:
    """One BIN in the directory.  ``name`` is the current legal name (NFC)."""

    bin: str
    code: str
    short_name: str
    name: str
    vietqr_status: str
    kind: str = "bank"
    former_names: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    # Accepted account-number shapes; a number must fit one (bank_account_rules.csv).
    account_rules: tuple[AccountRule, ...] = (DEFAULT_RULE,)

    @property
    def in_vietqr_lists(self) -> bool:
        """True when VietQR bank lists carry this BIN, i.e. it can be paid by VietQR."""
        return self.vietqr_status != "not_in_vietqr_lists"

    @property
    def can_scan_vietqr(self) -> bool:
        """True when the bank's own app is known to pay VietQR codes."""
        return self.vietqr_status == "TRANSFER_SUPPORTED"


class BankLookupError(ValueError):
    """``resolve`` found no bank, or several, for ``query``; ``candidates`` lists the latter."""

    def __init__(self, query: str, message: str, candidates: tuple[Bank, ...] = ()) -> None:
        self.query = query
        self.candidates = candidates
        super().__init__(message)


def _words(text: str) -> str:
    """Lower-case ASCII words: "Ngân hàng TMCP Lộc Phát" → "ngan hang tmcp loc phat"."""
    return " ".join(
        "".join(c if c.isalnum() else " " for c in fold_ascii(nfc(text)).lower()).split()
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    bank: Bank
    words: tuple[str, ...]  # every name of the bank, as _words()
    compact: tuple[str, ...]  # the same without spaces: "Dong A" == "DongA"

    def rank(self, query: str, compact_query: str) -> int | None:
        """0 exact name/code/BIN, 1 whole-word phrase, 2 prefix, 3 substring, None no match."""
        if compact_query == self.bank.bin or compact_query in self.compact:
            return 0
        padded = f" {query} "
        if any(padded in f" {words} " for words in self.words):
            return 1
        if compact_query.isdigit():
            return 2 if self.bank.bin.startswith(compact_query) else None
        if any(key.startswith(compact_query) for key in self.compact):
            return 2
        # Short fragments ("mb") occur inside unrelated names ("Techcombank").
        if len(compact_query) >= 3 and any(compact_query in key for key in self.compact):
            return 3
        return None


@dataclass(frozen=True, slots=True)
class _Directory:
    banks: tuple[Bank, ...]
    by_bin: dict[str, Bank]
    by_code: dict[str, tuple[Bank, ...]]
    entries: tuple[_Entry, ...]


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return [
            {key: nfc(value.strip()) for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _split(field: str, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in field.split(separator) if part.strip())


def _account_rules(short_names: dict[str, str]) -> dict[str, list[AccountRule]]:
    """bank_account_rules.csv by BIN; ValueError for an unknown BIN, a wrong bank label or a bad row."""
    rules: dict[str, list[AccountRule]] = {}
    for line, row in enumerate(_read_csv("bank_account_rules.csv"), start=2):
        where = f"bank_account_rules.csv line {line}"
        bank_bin = row.get("bin", "")
        if bank_bin not in short_names:
            raise ValueError(f"{where}: BIN {bank_bin!r} is not in banks.csv")
        if row.get("bank") != short_names[bank_bin]:
            raise ValueError(
                f"{where}: BIN {bank_bin} is {short_names[bank_bin]!r}, not {row.get('bank')!r}"
            )
        rule = parse_rule(row, where)
        shapes = [(r.charset, r.min_length, r.max_length) for r in rules.get(bank_bin, [])]
        if (rule.charset, rule.min_length, rule.max_length) in shapes:
            raise ValueError(f"{where}: BIN {bank_bin} already has this rule")
        rules.setdefault(bank_bin, []).append(rule)
    return rules


def _preferred_first(banks: list[Bank]) -> tuple[Bank, ...]:
    return tuple(sorted(banks, key=lambda bank: (not bank.in_vietqr_lists, bank.bin)))


@cache
def _directory() -> _Directory:
    statuses = {row["bin"]: row["vietqr_status"] for row in _read_csv("banks_vietqr_status.csv")}
    overrides = {row["bin"]: row for row in _read_csv("bank_aliases.csv")}
    rows = _read_csv("banks.csv")
    account_rules = _account_rules({row["bin"]: row["short_name"] for row in rows})
    banks = []
    for row in rows:
        bank_bin = row["bin"]
        if not (len(bank_bin) == 6 and bank_bin.isascii() and bank_bin.isdigit()):
            raise ValueError(f"banks.csv: BIN {bank_bin!r} is not 6 digits")
        override = overrides.pop(bank_bin, {})
        bank = Bank(
            bin=bank_bin,
            code=row["code"],
            short_name=row["short_name"],
            name=row["name"],
            vietqr_status=statuses.pop(bank_bin, ""),
            kind=override.get("kind") or "bank",
            former_names=_split(override.get("former_names", ""), "|"),
            aliases=_split(override.get("aliases", ""), "|"),
            sources=_split(row["source"], ";"),
            account_rules=tuple(account_rules.get(bank_bin, ())) or (DEFAULT_RULE,),
        )
        if bank.vietqr_status not in VIETQR_STATUSES or bank.kind not in KINDS:
            raise ValueError(
                f"bank data: BIN {bank_bin} has status {bank.vietqr_status!r}, kind {bank.kind!r}"
            )
        banks.append(bank)
    if statuses or overrides:
        raise ValueError(
            f"bank data: BINs missing from banks.csv: {sorted({*statuses, *overrides})}"
        )
    by_bin = {bank.bin: bank for bank in banks}
    if len(by_bin) != len(banks):
        raise ValueError("banks.csv: duplicate BIN")
    codes: dict[str, list[Bank]] = {}
    for bank in banks:
        codes.setdefault(_words(bank.code).replace(" ", ""), []).append(bank)
    entries = []
    for bank in banks:
        words = tuple(
            _words(name)
            for name in (bank.code, bank.short_name, bank.name, *bank.aliases, *bank.former_names)
        )
        entries.append(_Entry(bank, words, tuple(word.replace(" ", "") for word in words)))
    return _Directory(
        banks=tuple(sorted(banks, key=lambda bank: bank.bin)),
        by_bin=by_bin,
        by_code={code: _preferred_first(holders) for code, holders in codes.items()},
        entries=tuple(entries),
    )


def all_banks() -> tuple[Bank, ...]:
    """Every bank, ordered by BIN."""
    return _directory().banks


def by_bin(bin: str) -> Bank | None:
    """The bank with this 6-digit BIN, or None."""
    return _directory().by_bin.get(bin.strip())


def by_code(code: str) -> list[Bank]:
    """Banks whose NAPAS code is ``code`` (case- and space-insensitive: "ibk-hn" finds "IBK - HN").

    Usually one; for CIMB and MAFC two, the one in the VietQR lists first.
    """
    return list(_directory().by_code.get(_words(code).replace(" ", ""), ()))


def search(text: str) -> list[Bank]:
    """Banks matching ``text`` anywhere in BIN, code, short name, name, aliases or former names.

    Diacritics, case, spacing and punctuation are ignored ("loc phat" finds
    LPBank, "dong a" finds Vikki).  Best matches first: exact, whole words,
    prefix, then substring (for fragments of 3+ characters); ties by BIN.
    An empty query matches nothing.
    """
    query = _words(text)
    if not query:
        return []
    compact = query.replace(" ", "")
    ranked = []
    for entry in _directory().entries:
        rank = entry.rank(query, compact)
        if rank is not None:
            ranked.append((rank, entry.bank.bin, entry.bank))
    return [bank for _, _, bank in sorted(ranked, key=lambda item: item[:2])]


def _single(query: str, matches: list[Bank]) -> Bank | None:
    """One bank, or None; several collapse to the single one in the VietQR lists."""
    if len(matches) > 1:
        listed = [bank for bank in matches if bank.in_vietqr_lists]
        if len(listed) == 1:
            return listed[0]
        names = ", ".join(f"{bank.bin} {bank.short_name}" for bank in matches)
        raise BankLookupError(query, f"bank {query!r} is ambiguous: {names}", tuple(matches))
    return matches[0] if matches else None


def resolve(text: str) -> Bank:
    """Return the one bank that ``text`` names, or raise :class:`BankLookupError`.

    Accepted: a 6-digit BIN in the directory; a NAPAS code ("VCB", "ICB");
    a short, legal, former or alias name matched exactly or as whole words
    ("Vietcombank", "Lộc Phát", "OceanBank").  Partial words are not enough
    ("Vietin" raises): an import column must not pick a bank by guesswork.
    Shared codes resolve to the BIN in the VietQR lists (CIMB → 422589,
    MAFC → 977777).
    """
    query = text.strip()
    if len(query) == 6 and query.isascii() and query.isdigit():
        bank = by_bin(query)
        if bank is None:
            raise BankLookupError(query, f"no bank with BIN {query} in the directory")
        return bank
    words = _words(query)
    compact = words.replace(" ", "")
    if not compact:
        raise BankLookupError(query, "empty bank name")
    for wanted_rank in (0, 1):
        matches = [
            entry.bank
            for entry in _directory().entries
            if entry.rank(words, compact) == wanted_rank
        ]
        bank = _single(query, matches)
        if bank is not None:
            return bank
    raise BankLookupError(query, f"no bank matches {query!r}; give its BIN or NAPAS code")
