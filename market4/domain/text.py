"""Vietnamese text folding for bank-facing strings.

Bank systems in Vietnam carry names and transfer messages as plain ASCII:
NAPAS account-lookup names are upper-case without diacritics ("NGUYEN THI
BICH THUY"), and VietQR fields 59, 60 and 62 are EMV "ANS" (printable ASCII,
docs/vietqr.md §2.7).  Everything here is pure and dependency-free so that any
layer (forms, imports, the VietQR codec, search) folds text the same way.

Why not Unidecode: it is GPL-2+, and Vietnamese needs only canonical
decomposition plus the one letter that does not decompose, đ/Đ (docs/vietqr.md §5).
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
#: ASCII letters, digits, space and ``- . , / #`` (docs/vietqr.md §5.2).  EMV
#: "ANS" would allow all of printable ASCII, but bank apps pre-fill the
#: transfer message from 62.08 and several refuse or mangle "special
#: characters" (the vietnam-qr-pay maintainer and api.vietqr.vn both advise
#: none), so the set stays narrow: only characters that carry meaning in the
#: references vendors and payers write.  Hyphen, full stop and comma serve
#: dates and amounts ("T11.2026", "DH-2026-0042"); "/" and "#" are part of
#: order and invoice numbers ("DH#12/2026"), where dropping them would merge
#: digits into a different number ("DH122026").  Left out on purpose: "*"
#: ("***" in 62 asks the app to prompt the payer), "%", "&", "+", "=", "?"
#: (they change meaning in URLs and app deep links that carry the message,
#: "+" even becomes a space), quotes, "<", ">" and backslash (escaped or stripped
#: by web layers), and the rest (":", ";", "_", "@", brackets...), for which no
#: reference needs them and every extra character is one more chance for an
#: app to mangle the message.
BANK_TEXT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -.,/#")

# Invisible characters that separate words when they appear at all: a word
# glued to the next by one of them ("Tiền\u200bhàng") must stay two words.
# Zero width space, non-joiner, joiner, word joiner, BOM / zero width
# no-break space, soft hyphen.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
# Non-ASCII characters NFKC leaves alone that still mean an ASCII one kept in
# BANK_TEXT_CHARS: dashes and minus ("2025–2026") and the fraction and
# division slashes ("½" becomes "1⁄2" under NFKC) would otherwise be dropped
# and merge the numbers on either side.
_MEANINGFUL_PUNCTUATION = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58", "-"),
    **dict.fromkeys("\u2044\u2215", "/"),
}


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


def search_key(text: str | None) -> str:
    """Text as searches compare it: no case, diacritics or extra spaces, so "thi  dao"
    finds "Thị Đào" and "Ngãi Giao" equals "ngai giao"."""
    return " ".join(fold_ascii(nfc(text or "")).casefold().split())


def fold_bank_text(text: str) -> str:
    r"""Fold free text to what VietQR fields 59/60/62 may carry (docs/vietqr.md §5).

    Steps, in order:

    1. Unicode NFKC, so compatibility forms mean what they show: fullwidth
       "１２" → "12", "＃" → "#", "№" → "No", no-break space → space.
    2. Zero-width characters (U+200B, U+200C, U+200D, U+2060, U+FEFF) and the
       soft hyphen (U+00AD) become spaces, so "Tiền\u200bhàng" stays two words.
    3. :func:`fold_ascii`: tone and vowel marks removed, đ→d, Đ→D.
    4. Dashes and the minus sign become "-", the fraction and division
       slashes "/"; whitespace and control characters become spaces; any
       other character outside :data:`BANK_TEXT_CHARS` is dropped
       ("Đơn (12)*" → "Don 12").
    5. Runs of spaces collapse to one and the ends are trimmed.

    Length limits are the caller's business: the codec checks them after
    folding so that a long value is reported, not cut.  Steps 1 and 3 run as
    one NFKD pass, which is NFKC followed by the NFD that step 3 needs.

    >>> fold_bank_text("  Tiền hàng   #12 / chị Đào ")
    'Tien hang #12 / chi Dao'
    >>> fold_bank_text("ĐH\u200b＃１２/2026")
    'DH #12/2026'
    """
    # Fast path: text that is already bank-safe is returned unchanged (NFKC
    # leaves ASCII alone); the VietQR encoder calls this on every free-text field.
    if (
        BANK_TEXT_CHARS.issuperset(text)
        and "  " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    ):
        return text
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if char in BANK_TEXT_CHARS:
            kept.append(char)
        elif char in _LETTERS_WITHOUT_DECOMPOSITION:
            kept.append(_LETTERS_WITHOUT_DECOMPOSITION[char])
        elif char in _MEANINGFUL_PUNCTUATION:
            kept.append(_MEANINGFUL_PUNCTUATION[char])
        elif char in _ZERO_WIDTH or char.isspace() or (char.isascii() and not char.isprintable()):
            kept.append(" ")
        # Anything else is a combining mark, ASCII punctuation outside the
        # set, or has no ASCII equivalent: dropped.
    return " ".join("".join(kept).split())


def bank_style_name(display_name: str) -> str:
    """Return a person's or business's name as bank apps display holder names.

    NAPAS account lookup returns upper-case ASCII letters, digits and single
    spaces (docs/vietqr.md §5.3; the vietqr.io sample "QUY VAC XIN PHONG COVID 19"
    shows that punctuation such as the hyphen in "COVID-19" becomes a space),
    so every other character turns into a word break.

    >>> bank_style_name("Nguyễn Thị Bích Thủy")
    'NGUYEN THI BICH THUY'
    """
    words = "".join(char if char.isalnum() else " " for char in fold_ascii(display_name).upper())
    return " ".join(words.split())


# Zero-width characters and soft hyphens pasted from chat apps and spreadsheets.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def clean_text(value: object) -> str:
    """NFC, invisible characters removed, every whitespace run one space, trimmed."""
    if value is None:
        return ""
    text = nfc(str(value)).translate(_INVISIBLE)
    return " ".join(text.split())
