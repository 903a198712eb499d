"""Vietnamese text folding for bank-facing strings.

Bank systems in Vietnam carry names and transfer messages as plain ASCII:
NAPAS account-lookup names are upper-case without diacritics ("NGUYEN THI
BICH THUY"), and VietQR fields 59, 60 and 62 are EMV "ANS" (printable ASCII,
VIETQR.md §1.6).  Everything here is pure and dependency-free so that any
layer (forms, imports, the VietQR codec, search) folds text the same way.

Why not Unidecode: it is GPL-2+, and Vietnamese needs only canonical
decomposition plus the one letter that does not decompose, đ/Đ (DOMAIN.md §3.3).
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "BANK_TEXT_CHARS",
    "bank_style_name",
    "fold_ascii",
    "fold_bank_text",
    "nfc",
]

# Đ/đ (U+0110/U+0111) have no canonical decomposition, so NFD leaves them
# intact; Ð/ð (U+00D0/U+00F0, Icelandic eth) look identical and turn up in text
# converted from legacy Vietnamese encodings, so they fold the same way.
_LETTERS_WITHOUT_DECOMPOSITION = {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"}

#: Characters kept in VietQR free text (purpose, names, labels) after folding:
#: ASCII letters, digits, space and ``- . ,``.  EMV "ANS" would allow all of
#: printable ASCII, but bank apps pre-fill the transfer message from 62.08 and
#: several refuse or mangle "special characters" (VIETQR.md §1.6: the
#: vietnam-qr-pay maintainer and api.vietqr.vn say "no special characters";
#: Odoo strips "/").  Hyphen, full stop and comma survive every app reported
#: and are enough for order numbers ("DH-2026-0042") and dates ("T11.2026").
BANK_TEXT_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -.,"
)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the form to store and compare in.

    Input from macOS, Excel exports and some Android keyboards arrives in NFD
    (base letter + combining marks); NFC makes "Hòa" typed either way equal.
    """
    return unicodedata.normalize("NFC", text)


def fold_ascii(text: str) -> str:
    """Fold Vietnamese (and other Latin) text to ASCII.

    Tone and vowel marks are removed whether the input is NFC or NFD,
    đ→d and Đ→D, any Unicode whitespace becomes a plain space, and characters
    with no ASCII base letter (emoji, CJK, "ß") are dropped.  Old and new tone
    placement ("Hoà"/"Hòa") fold to the same result.  Spacing is kept as is;
    see :func:`fold_bank_text` for the collapsed, bank-safe form.

    >>> fold_ascii("Nguyễn Thị Bích Thủy")
    'Nguyen Thi Bich Thuy'
    """
    if text.isascii():
        return text
    folded: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if char.isascii():
            folded.append(char)
        elif char in _LETTERS_WITHOUT_DECOMPOSITION:
            folded.append(_LETTERS_WITHOUT_DECOMPOSITION[char])
        elif char.isspace():
            folded.append(" ")
        # Anything else is a combining mark or has no ASCII equivalent.
    return "".join(folded)


def fold_bank_text(text: str) -> str:
    """Fold free text to what VietQR fields 59/60/62 may carry (VIETQR.md §1.6).

    Steps: :func:`fold_ascii`, ASCII control characters and tabs become
    spaces, characters outside :data:`BANK_TEXT_CHARS` are dropped (as Odoo
    does: "INV/TEST/0001" → "INVTEST0001"), runs of spaces collapse to one and
    the ends are trimmed.  Length limits are the caller's business: the codec
    checks them after folding so that a long value is reported, not cut.

    >>> fold_bank_text("  Tiền hàng   #12 / chị Đào ")
    'Tien hang 12 chi Dao'
    """
    # Fast path: text that is already bank-safe is returned unchanged; the
    # VietQR encoder calls this on every free-text field.
    if (
        BANK_TEXT_CHARS.issuperset(text)
        and "  " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    ):
        return text
    kept = "".join(
        char if char in BANK_TEXT_CHARS else " " if char.isspace() else ""
        for char in fold_ascii(text)
    )
    return " ".join(kept.split())


def bank_style_name(display_name: str) -> str:
    """Return a person's or business's name as bank apps display holder names.

    NAPAS account lookup returns upper-case ASCII letters, digits and single
    spaces (DOMAIN.md §3.3; the vietqr.io sample "QUY VAC XIN PHONG COVID 19"
    shows that punctuation such as the hyphen in "COVID-19" becomes a space),
    so every other character turns into a word break.

    >>> bank_style_name("Nguyễn Thị Bích Thủy")
    'NGUYEN THI BICH THUY'
    """
    words = "".join(
        char if char.isalnum() else " " for char in fold_ascii(display_name).upper()
    )
    return " ".join(words.split())
