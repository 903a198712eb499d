"""VietQR payloads for NAPAS247 transfers: a canonical encoder and a checking decoder.

Source: NAPAS, "Tài liệu quy định về định dạng mã VietQR trong dịch vụ chuyển
nhanh NAPAS247" v1.0 (09/2021), an EMVCo Merchant-Presented Mode profile.
``docs/vietqr.md`` describes the format as this module relies on it, with the
errata and the points where sources disagree (cited below as "doc §x").  Only the
two transfer services are in scope: QRIBFTTA (to an account) and QRIBFTTC (to
a card); merchant payment (QRPUSH) and ATM cash-out (QRCASH) are refused.

A payload is a string of TLV objects, id (2 digits) + length (2 digits,
01-99) + value; templates (38, 38.01, 62, 64) nest the same encoding.  The
encoder emits one canonical form: objects in ascending id order, no 52/59/60/62
unless asked for, amounts as plain digits, CRC in upper case.

The decoder refuses anything broken or anything that could move money
somewhere other than what the payload appears to say, with a
:class:`VietQRError` naming the tag path ("38.01.01") and the rule broken.
It accepts what the spec allows (any object order after 00, lower-case CRCs,
unknown ids 65-99) and, by default, the departures that bank apps read and
other generators produce while the destination stays unambiguous: each one
is reported as a :class:`VietQRWarning` in :attr:`DecodedPayload.warnings`,
and ``decode(payload, strict=True)`` refuses them instead (doc §4).

Free text (purpose, names, labels) is folded by
:func:`market4.domain.text.fold_bank_text` before its length is checked: NFKC,
zero-width characters to spaces, Vietnamese to ASCII without tone marks
(đ→d, Đ→D), characters outside letters, digits, space and ``- . , / #``
dropped, spaces collapsed (doc §5).  Fields 59/60/62 are EMV "ANS" (printable
ASCII) and bank apps refuse or mangle diacritics and "special characters" in
the message they pre-fill, so this narrower set is the one that reaches the
payer intact.
"""

from __future__ import annotations

from binascii import crc_hqx
from dataclasses import dataclass

from market4.domain.text import fold_bank_text

__all__ = [
    "MAX_AMOUNT",
    "NAPAS_GUID",
    "SERVICE_ACCOUNT",
    "SERVICE_CARD",
    "WARNING_CODES",
    "DecodedPayload",
    "Transfer",
    "VietQRError",
    "VietQRWarning",
    "checksum",
    "decode",
    "encode",
    "normalize",
]

NAPAS_GUID = "A000000727"  # 38.00, NAPAS's application identifier (doc §2.3)
SERVICE_ACCOUNT = "QRIBFTTA"  # 38.02: NAPAS247 transfer to an account
SERVICE_CARD = "QRIBFTTC"  # 38.02: NAPAS247 transfer to a card number
#: NAPAS247 caps one transfer "under 500 million VND" (spec §8.1.1).
MAX_AMOUNT = 499_999_999

_MAX_ACCOUNT = 19  # 38.01.01 is ANS ≤19 (doc §2.3)
# Card floor of 12 digits is our choice, not the spec's: NAPAS domestic cards
# have 16 or 19 digits; 12 leaves room for other schemes' shorter PANs while
# still catching a number cut short.  19 is the ISO/IEC 7812 maximum.
_MIN_CARD = 12
# A number that reads as a NAPAS domestic card (doc §4.2): without 38.02 such
# a number cannot be told from an account number, so it is not guessed.
_NAPAS_CARD_PREFIX = "9704"
_NAPAS_CARD_LENGTHS = frozenset({16, 19})
_MAX_AMOUNT_CHARS = 13  # 54 is S ≤13 (spec §5.2.6)
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_HEX = frozenset("0123456789ABCDEFabcdef")
_CONSUMER_DATA_LETTERS = frozenset("AME")  # 62.09: address, mobile, e-mail

# Lengths "01".."99"; "00" is absent on purpose because EMV values are never empty.
_LENGTHS = {f"{n:02d}": n for n in range(1, 100)}
_IDS = frozenset(f"{n:02d}" for n in range(100))

# 62 sub-objects 01-08 are ANS ≤25 and 09 is ≤3 (doc §2.4), in emission order.
_ADDITIONAL_FIELDS = (
    ("01", "bill_number"),
    ("02", "mobile_number"),
    ("03", "store_label"),
    ("04", "loyalty_number"),
    ("05", "reference_label"),
    ("06", "customer_label"),
    ("07", "terminal_label"),
    ("08", "purpose"),
)
_ADDITIONAL_BY_ID = dict(_ADDITIONAL_FIELDS)
_ADDITIONAL_MAX = 25
_TEXT_LIMITS = {"59": 25, "60": 15, "61": 10}
# 64 (language template) sub-objects are format S (Unicode allowed) with these maxima.
_LANGUAGE_TEXT_LIMITS = {"01": 25, "02": 15}

# Root ids a transfer may carry besides the ones decode() models explicitly.
# 02-51 other than 38 are other networks' account templates: a payload with
# two could be paid through the other network to someone else, so they are
# refused; 55-57 (tip / convenience fee) would change the amount paid.
_FOREIGN_ACCOUNT_IDS = frozenset(f"{n:02d}" for n in range(2, 52)) - {"38"}
_FEE_IDS = frozenset({"55", "56", "57"})
_MANDATORY_ROOT_IDS = ("00", "01", "38", "53", "58")
_HANDLED_ROOT_IDS = frozenset({"00", "01", "38", "53", "54", "58", "63"})


class VietQRError(ValueError):
    """A value that cannot be encoded, or a payload that must not be trusted.

    ``tag`` is the dotted object path ("38.01.01"), or None when the problem
    is the payload as a whole; ``rule`` says what was broken.
    """

    def __init__(self, tag: str | None, rule: str) -> None:
        self.tag = tag
        self.rule = rule
        super().__init__(f"tag {tag}: {rule}" if tag else f"payload: {rule}")


@dataclass(frozen=True, slots=True)
class VietQRWarning:
    """A departure from the spec that :func:`decode` accepted (doc §4.2).

    ``tag`` is the dotted object path ("01", "62.08"); ``code`` is a stable
    machine-readable English identifier, one of :data:`WARNING_CODES`;
    ``rule`` explains the departure in English, like :attr:`VietQRError.rule`
    (with ``strict=True`` the same tag and rule are raised as a VietQRError).
    """

    tag: str
    code: str
    rule: str

    def __str__(self) -> str:
        return f"tag {self.tag}: {self.rule}"


#: Every :attr:`VietQRWarning.code` that :func:`decode` reports (doc §4.2).
WARNING_CODES = (
    "format_indicator_not_first",
    "dynamic_without_amount",
    "static_with_amount",
    "service_code_missing",
    "text_too_long",
    "non_ascii_text",
)

# The departures whose wording never varies are built once.
_FORMAT_INDICATOR_NOT_FIRST = VietQRWarning(
    "00",
    "format_indicator_not_first",
    "the payload format indicator (00) should be the first object (the others may come in any order)",
)
_DYNAMIC_WITHOUT_AMOUNT = VietQRWarning(
    "01",
    "dynamic_without_amount",
    "a dynamic QR (01=12) should carry an amount (54); without one the payer types the amount, "
    "as for a static QR",
)
_STATIC_WITH_AMOUNT = VietQRWarning(
    "01",
    "static_with_amount",
    "a static QR (01=11) should not carry an amount (54); some bank apps ignore the amount of a static QR "
    "and let the payer type one",
)
_SERVICE_CODE_MISSING = VietQRWarning(
    "38.02",
    "service_code_missing",
    f"service code missing (conditional in the spec); a number that is not a card number means a transfer "
    f"to an account ({SERVICE_ACCOUNT})",
)


@dataclass(frozen=True, slots=True)
class Transfer:
    """A NAPAS247 transfer as a VietQR payload describes it.

    ``amount`` is whole VND; None makes a static QR (01=11, payer types the
    amount), a value makes a dynamic one (01=12).  Optional text maps to:
    ``purpose`` 62.08 (the message bank apps pre-fill), ``bill_number`` 62.01,
    ``mobile_number`` 62.02, ``store_label`` 62.03, ``loyalty_number`` 62.04,
    ``reference_label`` 62.05, ``customer_label`` 62.06, ``terminal_label``
    62.07, ``consumer_data_request`` 62.09 (letters A/M/E), ``merchant_name``
    59, ``merchant_city`` 60 and ``mcc`` 52 (4 digits, ISO 18245).
    """

    bin: str
    account: str
    service: str = SERVICE_ACCOUNT
    amount: int | None = None
    purpose: str | None = None
    bill_number: str | None = None
    mobile_number: str | None = None
    store_label: str | None = None
    loyalty_number: str | None = None
    reference_label: str | None = None
    customer_label: str | None = None
    terminal_label: str | None = None
    consumer_data_request: str | None = None
    merchant_name: str | None = None
    merchant_city: str | None = None
    mcc: str | None = None

    @property
    def initiation(self) -> str:
        """Return "static" (01=11) without an amount, "dynamic" (01=12) with one.

        It follows the amount, not a 01 value read from a payload: what matters
        to the payer is whether the amount is filled in (doc §4.4).
        """
        return "static" if self.amount is None else "dynamic"


@dataclass(frozen=True, slots=True)
class DecodedPayload:
    """The result of :func:`decode`.

    ``crc`` is the checksum as written (possibly lower case); ``extra`` keeps,
    in payload order, the objects that are valid but not modelled by
    :class:`Transfer` (61, 64, RFU 65-79, templates 80-99, 62.10-62.99) as
    ``(tag path, value)`` pairs; ``warnings`` lists the departures from the
    spec that were accepted (empty for every payload :func:`encode` makes).
    """

    payload: str
    transfer: Transfer
    crc: str
    extra: tuple[tuple[str, str], ...] = ()
    warnings: tuple[VietQRWarning, ...] = ()

    @property
    def initiation(self) -> str:
        """Return "static" or "dynamic" from the amount (54), even if 01 disagrees (doc §4.4)."""
        return self.transfer.initiation

    @property
    def is_canonical(self) -> bool:
        """True when :func:`encode` of the transfer gives back ``payload``."""
        if self.warnings:
            return False
        try:
            return encode(self.transfer) == self.payload
        except VietQRError:  # e.g. a purpose of "***", valid ANS that folds to nothing
            return False


def checksum(text: str) -> str:
    """CRC-16/CCITT-FALSE of the UTF-8 bytes of ``text``, as 4 upper-case hex digits.

    ISO/IEC 13239 polynomial 0x1021, initial value 0xFFFF, no reflection, no
    final XOR (spec §5.2.15, doc §2.5); ``binascii.crc_hqx`` is exactly that
    algorithm in C.  For a payload, ``text`` ends with "6304".
    """
    return f"{crc_hqx(text.encode('utf-8'), 0xFFFF):04X}"


# ---- encoding ---------------------------------------------------------------


def _bank_text(value: object, tag: str, limit: int, truncate: bool) -> str | None:
    """Fold one free-text field and enforce its length; blank means absent."""
    if not isinstance(value, str):
        raise VietQRError(tag, f"must be text, not {type(value).__name__}")
    folded = fold_bank_text(value)
    if not folded:
        if value.strip():
            raise VietQRError(tag, "no characters left after removing those bank apps refuse")
        return None
    if len(folded) > limit:
        if not truncate:
            raise VietQRError(
                tag, f"longer than {limit} characters after folding to ASCII ({len(folded)})"
            )
        folded = folded[:limit].rstrip(" ")
    return folded


def _check_account(account: object, service: object) -> None:
    if service == SERVICE_ACCOUNT:
        if not (isinstance(account, str) and 1 <= len(account) <= _MAX_ACCOUNT):
            if isinstance(account, str) and account:
                raise VietQRError(
                    "38.01.01", f"account number longer than {_MAX_ACCOUNT} characters"
                )
            raise VietQRError("38.01.01", "account number must be 1-19 letters or digits")
        if not _ALNUM.issuperset(account):
            raise VietQRError("38.01.01", "account number may hold only ASCII letters and digits")
    elif service == SERVICE_CARD:
        if not (isinstance(account, str) and account.isascii() and account.isdigit()):
            raise VietQRError("38.01.01", "card number must be digits only")
        if not _MIN_CARD <= len(account) <= _MAX_ACCOUNT:
            raise VietQRError("38.01.01", f"card number must be {_MIN_CARD}-{_MAX_ACCOUNT} digits")
    else:
        raise VietQRError(
            "38.02", f"service code must be {SERVICE_ACCOUNT} or {SERVICE_CARD}, not {service!r}"
        )


def encode(transfer: Transfer, *, truncate: bool = False) -> str:
    """Return the canonical VietQR payload for ``transfer``.

    Objects are emitted in ascending id order (the spec allows any order,
    §5.1, but every peer and the NAPAS examples use this one) and the CRC
    covers everything up to and including "6304" (§5.2.15).  Free text is
    folded to bank-safe ASCII first; a value still longer than its field
    raises :class:`VietQRError` unless ``truncate`` is true, in which case it
    is cut to the field's maximum.  The 62 template as a whole (≤99) is never
    truncated: which field to shorten is the caller's decision.
    """
    t = transfer
    bank_bin, account, amount = t.bin, t.account, t.amount
    if not (
        isinstance(bank_bin, str)
        and len(bank_bin) == 6
        and bank_bin.isascii()
        and bank_bin.isdigit()
    ):
        raise VietQRError("38.01.00", f"BIN must be exactly 6 digits, not {bank_bin!r}")
    _check_account(account, t.service)
    if amount is not None and (
        not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT
    ):
        raise VietQRError(
            "54", f"amount must be whole VND from 1 to {MAX_AMOUNT:,}, not {amount!r}"
        )

    # 38 = 14 (GUID) + 4 + 38.01 (10 + 4 + account) + 12 (service) = 44 + len(account),
    # at most 63, so the 38 ≤ 99 rule holds for every valid account.
    n = len(account)
    parts = [
        "000201010211" if amount is None else "000201010212",
        f"38{44 + n}0010{NAPAS_GUID}01{14 + n}0006{bank_bin}01{n:02d}{account}0208{t.service}",
    ]
    if t.mcc is not None:
        if not (isinstance(t.mcc, str) and len(t.mcc) == 4 and t.mcc.isascii() and t.mcc.isdigit()):
            raise VietQRError("52", f"merchant category code must be 4 digits, not {t.mcc!r}")
        parts.append(f"5204{t.mcc}")
    parts.append("5303704")
    if amount is not None:
        digits = str(amount)
        parts.append(f"54{len(digits):02d}{digits}")
    parts.append("5802VN")
    for tag, value in (("59", t.merchant_name), ("60", t.merchant_city)):
        if value is not None:
            text = _bank_text(value, tag, _TEXT_LIMITS[tag], truncate)
            if text is not None:
                parts.append(f"{tag}{len(text):02d}{text}")

    additional = []
    for sub_id, name in _ADDITIONAL_FIELDS:
        value = getattr(t, name)
        if value is not None:
            text = _bank_text(value, "62." + sub_id, _ADDITIONAL_MAX, truncate)
            if text is not None:
                additional.append(f"{sub_id}{len(text):02d}{text}")
    if t.consumer_data_request is not None:
        request = t.consumer_data_request
        _check_consumer_data_request(request)
        additional.append(f"09{len(request):02d}{request}")
    if additional:
        template = "".join(additional)
        if len(template) > 99:
            raise VietQRError(
                "62", f"additional data totals {len(template)} characters, more than 99"
            )
        parts.append(f"62{len(template):02d}{template}")

    parts.append("6304")
    body = "".join(parts)
    return f"{body}{crc_hqx(body.encode('ascii'), 0xFFFF):04X}"


def _check_consumer_data_request(request: object) -> None:
    if not (
        isinstance(request, str)
        and 1 <= len(request) <= 3
        and _CONSUMER_DATA_LETTERS.issuperset(request)
        and len(set(request)) == len(request)
    ):
        raise VietQRError(
            "62.09", 'consumer data request must be "A", "M" and/or "E", each at most once'
        )


def normalize(transfer: Transfer, *, truncate: bool = False) -> Transfer:
    """Return ``transfer`` as it will read back from its payload.

    Text is folded (and cut if ``truncate``); blank optional text becomes None.
    ``decode(encode(t)).transfer == normalize(t)`` for every valid ``t``.
    """
    return decode(encode(transfer, truncate=truncate)).transfer


# ---- decoding ---------------------------------------------------------------
#
# Departures from the spec go through _depart(): with strict=True it raises,
# otherwise it appends to ``notes``, a list created only on the first
# departure, so a canonical payload allocates nothing for warnings.


def _depart(
    notes: list[VietQRWarning] | None, strict: bool, warning: VietQRWarning
) -> list[VietQRWarning]:
    """Record ``warning`` (or raise it as a :class:`VietQRError` when ``strict``)."""
    if strict:
        raise VietQRError(warning.tag, warning.rule)
    if notes is None:
        return [warning]
    notes.append(warning)
    return notes


def _split_tlv(text: str, prefix: str) -> dict[str, str]:
    """Split one template level into ``{id: value}`` in payload order.

    ``prefix`` is the parent path with a trailing dot ("" for the root), used
    to name the offending object.  Duplicate ids are refused: EMV gives no
    rule for which one wins, so two apps could read two different accounts.
    """
    objects: dict[str, str] = {}
    where = prefix[:-1] if prefix else None
    position, size = 0, len(text)
    while position < size:
        if size - position < 4:
            raise VietQRError(
                where,
                f"{size - position} stray character(s) at offset {position}: too short for an id and length",
            )
        tag = text[position : position + 2]
        if tag not in _IDS:
            raise VietQRError(where, f"object id {tag!r} at offset {position} is not two digits")
        length = _LENGTHS.get(text[position + 2 : position + 4])
        if length is None:
            raise VietQRError(
                prefix + tag, f"length {text[position + 2 : position + 4]!r} is not 01-99"
            )
        end = position + 4 + length
        if end > size:
            raise VietQRError(
                prefix + tag,
                f"declared length {length} runs past the end ({size - position - 4} characters left)",
            )
        if tag in objects:
            raise VietQRError(prefix + tag, "duplicate object")
        objects[tag] = text[position + 4 : end]
        position = end
    return objects


_INVISIBLE_TEXT = "must be printable text: no control, zero-width or other invisible characters"


def _check_text(
    tag: str, value: str, limit: int, notes: list[VietQRWarning] | None, strict: bool
) -> list[VietQRWarning] | None:
    """Slow path for one free-text object (59, 60, 61, 62.xx) that is not plain ANS or too long.

    Invisible and control characters are refused: they make the text a payer
    sees differ from the text that is stored.  Printable non-ASCII (raw
    diacritics, as vietnam-qr-pay and vietqr-ts emit) and text longer than
    the spec maximum (up to what the TLV length allows, as some banks accept
    in 62.08) are departures (doc §4.2).
    """
    if not value.isprintable():
        raise VietQRError(tag, _INVISIBLE_TEXT)
    if not value.isascii():
        notes = _depart(
            notes,
            strict,
            VietQRWarning(
                tag,
                "non_ascii_text",
                "contains characters outside printable ASCII (EMV ANS), such as diacritics; "
                "some bank apps refuse or mangle them",
            ),
        )
    if len(value) > limit:
        notes = _depart(notes, strict, _too_long(tag, limit, len(value)))
    return notes


def _too_long(tag: str, limit: int, length: int) -> VietQRWarning:
    return VietQRWarning(
        tag,
        "text_too_long",
        f"longer than {limit} characters ({length}), the spec maximum; some bank apps cut it",
    )


def _check_crc(payload: str) -> str:
    """Verify the trailing 63 object; return the CRC as written."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("63", 'the payload must end with the CRC object "6304" + 4 hex digits')
    written = payload[-4:]
    if not _HEX.issuperset(written):
        raise VietQRError("63", f"CRC {written!r} is not 4 hex digits")
    if payload.isascii():
        data = payload.encode("ascii")
    else:
        try:
            data = payload.encode("utf-8")
        except UnicodeEncodeError:
            raise VietQRError(None, "text is not valid Unicode (unpaired surrogate)") from None
    expected = crc_hqx(data[:-4], 0xFFFF)
    if int(written, 16) != expected:
        raise VietQRError(
            "63", f"CRC mismatch: payload says {written}, content gives {expected:04X}"
        )
    return written


def _parse_amount(value: str) -> int:
    """Tag 54 per spec §5.2.6: digits with at most one ".", no decimals for VND."""
    if len(value) > _MAX_AMOUNT_CHARS:
        raise VietQRError("54", f"amount longer than {_MAX_AMOUNT_CHARS} characters")
    digits = value[:-1] if value.endswith(".") else value  # "50000." is valid
    if not (digits.isascii() and digits.isdigit()):
        if "." in digits and digits.replace(".", "", 1).isdigit() and digits.isascii():
            raise VietQRError(
                "54", f"amount {value!r} has decimals; VND has none (ISO 4217 exponent 0)"
            )
        raise VietQRError("54", f"amount {value!r} must be digits with an optional trailing '.'")
    amount = int(digits)
    if amount == 0:
        raise VietQRError("54", "amount must not be zero")
    if amount > MAX_AMOUNT:
        raise VietQRError(
            "54", f"amount {amount:,} exceeds the NAPAS247 limit of {MAX_AMOUNT:,} VND"
        )
    return amount


def _looks_like_napas_card(number: str) -> bool:
    return (
        number.startswith(_NAPAS_CARD_PREFIX)
        and len(number) in _NAPAS_CARD_LENGTHS
        and number.isascii()
        and number.isdigit()
    )


def _parse_merchant_account(
    value: str, notes: list[VietQRWarning] | None, strict: bool
) -> tuple[str, str, str, list[VietQRWarning] | None]:
    """Tag 38 (doc §2.3, spec §5.2.3): return (bin, account, service, notes)."""
    template = _split_tlv(value, "38.")
    for sub_id in template:
        if sub_id not in ("00", "01", "02"):
            raise VietQRError(
                "38." + sub_id, "unknown object in the NAPAS template (only 00, 01, 02)"
            )
    guid = template.get("00")
    if guid is None:
        raise VietQRError("38.00", "GUID missing")
    if guid != NAPAS_GUID:
        raise VietQRError("38.00", f"GUID must be {NAPAS_GUID} (NAPAS), not {guid!r}")
    beneficiary = template.get("01")
    if beneficiary is None:
        raise VietQRError("38.01", "beneficiary template missing")
    ids = _split_tlv(beneficiary, "38.01.")
    for sub_id in ids:
        if sub_id not in ("00", "01"):
            if sub_id == "02":
                # A known erratum in published strings (doc §6): readers disagree
                # on whether it names the service, so it is not guessed.
                raise VietQRError(
                    "38.01.02",
                    "the service code belongs in 38 (as 38.02), not inside the beneficiary template 38.01",
                )
            raise VietQRError(
                "38.01." + sub_id, "unknown object in the beneficiary template (only 00, 01)"
            )
    bank_bin = ids.get("00")
    if bank_bin is None:
        raise VietQRError("38.01.00", "BIN missing")
    if not (len(bank_bin) == 6 and bank_bin.isascii() and bank_bin.isdigit()):
        raise VietQRError("38.01.00", f"BIN must be exactly 6 digits, not {bank_bin!r}")
    account = ids.get("01")
    if account is None:
        raise VietQRError("38.01.01", "account or card number missing")
    service = template.get("02")
    if service is None:
        # C in the spec; every generator emits it.  Without it a bank app
        # transfers to an account, which is unambiguous unless the number is
        # a NAPAS card number.
        if _looks_like_napas_card(account):
            raise VietQRError(
                "38.02",
                f"service code missing and 38.01.01 looks like a NAPAS card number ({_NAPAS_CARD_PREFIX} and "
                "16 or 19 digits): account or card transfer is ambiguous",
            )
        _check_account(account, SERVICE_ACCOUNT)
        notes = _depart(notes, strict, _SERVICE_CODE_MISSING)
        return bank_bin, account, SERVICE_ACCOUNT, notes
    _check_account(account, service)
    return bank_bin, account, service, notes


def _parse_additional(
    value: str,
    fields: dict[str, str],
    extra: list[tuple[str, str]],
    notes: list[VietQRWarning] | None,
    strict: bool,
) -> list[VietQRWarning] | None:
    """Tag 62 (doc §2.4): fill Transfer keyword arguments; RFU/template ids go to ``extra``."""
    # When the whole template is ANS (the usual case), no object needs a character check.
    plain = value.isascii() and value.isprintable()
    for sub_id, text in _split_tlv(value, "62.").items():
        name = _ADDITIONAL_BY_ID.get(sub_id)
        if name is not None:
            if not plain or len(text) > _ADDITIONAL_MAX:
                notes = _check_text("62." + sub_id, text, _ADDITIONAL_MAX, notes, strict)
            fields[name] = text
        elif sub_id == "09":
            _check_consumer_data_request(text)
            fields["consumer_data_request"] = text
        elif sub_id == "00":
            raise VietQRError("62.00", "id 00 is not defined in the additional data template")
        else:  # 10-49 RFU for EMVCo, 50-99 payment-system templates: kept verbatim
            if not plain:
                notes = _check_text("62." + sub_id, text, 99, notes, strict)
            extra.append(("62." + sub_id, text))
    return notes


def _check_language_template(
    value: str, notes: list[VietQRWarning] | None, strict: bool
) -> list[VietQRWarning] | None:
    """Tag 64 (doc §2.2): 00 language (2), 01 alternate name (M, ≤25), 02 city (≤15).

    Its text is format S, so Unicode is expected here; only the lengths can depart.
    """
    template = _split_tlv(value, "64.")
    language = template.get("00")
    if (
        language is None
        or len(language) != 2
        or not (language.isascii() and language.isprintable())
    ):
        raise VietQRError("64.00", "language preference must be 2 characters (ISO 639)")
    if "01" not in template:
        raise VietQRError("64.01", "alternate merchant name is mandatory")
    for sub_id, limit in _LANGUAGE_TEXT_LIMITS.items():
        text = template.get(sub_id)
        if text is None:
            continue
        if not text.isprintable():
            raise VietQRError("64." + sub_id, _INVISIBLE_TEXT)
        if len(text) > limit:
            notes = _depart(notes, strict, _too_long("64." + sub_id, limit, len(text)))
    return notes


def decode(payload: str, *, strict: bool = False) -> DecodedPayload:
    """Parse and check a VietQR transfer payload.

    Refused with :class:`VietQRError` (doc §4.1): a wrong CRC (upper or lower
    case hex is fine), any TLV structure error at any level (root, 38, 38.01,
    62, 64; 65-99 are kept verbatim because legacy wallets put bare values in
    80-99), duplicate ids, 63 not last, a missing 00/01/38/53/58, 00 not "01",
    01 not 11 or 12, a GUID other than NAPAS's, an object in the wrong
    template (38.02 inside 38.01), a bad BIN, account or card, a service
    other than QRIBFTTA/QRIBFTTC, currency other than 704, country other
    than VN, an amount with decimals, zero, over the NAPAS247 limit or not
    digits, another network's account template (02-51 besides 38), tip or
    fee objects (55-57), invisible characters in text, a bad 62.09 or 64.

    Accepted with a :class:`VietQRWarning` (doc §4.2), or refused when
    ``strict`` is true: 00 not first, a dynamic QR without an amount, a
    static QR with one, 38.02 missing for a number that is not a card
    (read as QRIBFTTA), free text longer than the spec maximum or holding
    printable non-ASCII characters.  Any other input, including random bytes
    decoded as text, raises :class:`VietQRError` and nothing else.
    """
    if not isinstance(payload, str):
        raise VietQRError(None, f"must be text, not {type(payload).__name__}")
    written_crc = _check_crc(payload)
    root = _split_tlv(payload, "")
    notes: list[VietQRWarning] | None = None

    if next(reversed(root)) != "63":
        raise VietQRError("63", "CRC must be the last object")
    if len(root["63"]) != 4:  # e.g. "6308" + "6304ABCD" would pass the tail check
        raise VietQRError("63", f"CRC object must have length 04, not {len(root['63']):02d}")
    for tag in _MANDATORY_ROOT_IDS:
        if tag not in root:
            raise VietQRError(tag, "mandatory object missing")
    if root["00"] != "01":
        raise VietQRError("00", f'payload format indicator must be "01", not {root["00"]!r}')
    if next(iter(root)) != "00":
        notes = _depart(notes, strict, _FORMAT_INDICATOR_NOT_FIRST)
    if root["53"] != "704":
        raise VietQRError("53", f'currency must be "704" (VND), not {root["53"]!r}')
    if root["58"] != "VN":
        raise VietQRError("58", f'country must be "VN", not {root["58"]!r}')

    initiation = root["01"]
    if initiation != "11" and initiation != "12":
        raise VietQRError("01", f'point of initiation must be "11" or "12", not {initiation!r}')
    amount_text = root.get("54")
    if amount_text is None:
        amount = None
        if initiation == "12":
            notes = _depart(notes, strict, _DYNAMIC_WITHOUT_AMOUNT)
    else:
        amount = _parse_amount(amount_text)
        if initiation == "11":
            notes = _depart(notes, strict, _STATIC_WITH_AMOUNT)

    bank_bin, account, service, notes = _parse_merchant_account(root["38"], notes, strict)
    fields: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for tag, value in root.items():
        if tag in _HANDLED_ROOT_IDS:
            continue
        if tag == "62":
            notes = _parse_additional(value, fields, extra, notes, strict)
        elif tag == "52":
            if not (len(value) == 4 and value.isascii() and value.isdigit()):
                raise VietQRError("52", f"merchant category code must be 4 digits, not {value!r}")
            fields["mcc"] = value
        elif tag in _TEXT_LIMITS:  # 59, 60, 61
            limit = _TEXT_LIMITS[tag]
            if len(value) > limit or not (value.isascii() and value.isprintable()):
                notes = _check_text(tag, value, limit, notes, strict)
            if tag == "59":
                fields["merchant_name"] = value
            elif tag == "60":
                fields["merchant_city"] = value
            else:
                extra.append((tag, value))
        elif tag == "64":
            notes = _check_language_template(value, notes, strict)
            extra.append((tag, value))
        elif tag in _FOREIGN_ACCOUNT_IDS:
            raise VietQRError(
                tag,
                "account template of another payment network; a VietQR transfer carries only 38",
            )
        elif tag in _FEE_IDS:
            raise VietQRError(
                tag,
                "tip or convenience fee is not allowed in a transfer: it changes the amount paid",
            )
        else:  # 65-79 RFU for EMVCo, 80-99 unreserved templates
            extra.append((tag, value))

    transfer = Transfer(bank_bin, account, service, amount, **fields)
    return DecodedPayload(
        payload, transfer, written_crc, tuple(extra), () if notes is None else tuple(notes)
    )
