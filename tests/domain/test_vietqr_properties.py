"""Property tests: round trips, corruption detection, and robustness on random input."""

import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from market4.domain.text import BANK_TEXT_CHARS
from market4.domain.vietqr import (
    MAX_AMOUNT,
    SERVICE_ACCOUNT,
    SERVICE_CARD,
    WARNING_CODES,
    Transfer,
    VietQRError,
    checksum,
    decode,
    encode,
    normalize,
)

ADDITIONAL = (
    "purpose",
    "bill_number",
    "mobile_number",
    "store_label",
    "loyalty_number",
    "reference_label",
    "customer_label",
    "terminal_label",
)
WORD_CHARS = "".join(sorted(BANK_TEXT_CHARS - {" "}))


def canonical_text(max_size: int) -> st.SearchStrategy[str]:
    """Text that encode() leaves unchanged: bank-safe words joined by single spaces."""
    words = st.lists(st.text(WORD_CHARS, min_size=1, max_size=8), min_size=1, max_size=5)
    return words.map(" ".join).filter(lambda text: len(text) <= max_size)


@st.composite
def transfers(draw, text=canonical_text) -> Transfer:
    service = draw(st.sampled_from([SERVICE_ACCOUNT, SERVICE_CARD]))
    if service == SERVICE_ACCOUNT:
        account = draw(st.text(string.ascii_letters + string.digits, min_size=1, max_size=19))
    else:
        account = draw(st.text(string.digits, min_size=12, max_size=19))
    # At most three 62 text fields keep the template within 99 characters.
    chosen = draw(st.sets(st.sampled_from(ADDITIONAL), max_size=3))
    fields = {name: draw(text(25)) for name in chosen}
    return Transfer(
        bin=draw(st.text(string.digits, min_size=6, max_size=6)),
        account=account,
        service=service,
        amount=draw(st.none() | st.integers(1, MAX_AMOUNT)),
        consumer_data_request=draw(
            st.none()
            | st.permutations("AME").flatmap(
                lambda letters: st.integers(1, 3).map(lambda n: "".join(letters[:n]))
            )
        ),
        merchant_name=draw(st.none() | text(25)),
        merchant_city=draw(st.none() | text(15)),
        mcc=draw(st.none() | st.text(string.digits, min_size=4, max_size=4)),
        **fields,
    )


@given(transfers())
def test_decode_inverts_encode(transfer):
    payload = encode(transfer)
    decoded = decode(payload)
    assert decoded.transfer == transfer
    assert decoded.warnings == ()
    assert decoded.is_canonical
    assert decode(payload, strict=True) == decoded
    assert payload.isascii() and payload[-4:] == payload[-4:].upper()


def vietnamese_text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(
        st.sampled_from(
            "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệ"
            "ìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐĂÂ #/,.-\u00a0"
        ),
        max_size=max_size,
    )


@given(transfers(text=vietnamese_text))
def test_any_text_reads_back_folded(transfer):
    try:
        payload = encode(transfer, truncate=True)
    except VietQRError:
        return  # e.g. a field that folds to nothing
    assert payload.isascii()
    decoded = decode(payload, strict=True)
    assert decoded.transfer == normalize(transfer, truncate=True)
    assert decoded.warnings == ()
    assert encode(normalize(transfer, truncate=True)) == payload


@given(transfers(), st.data())
def test_every_single_character_substitution_is_rejected(transfer, data):
    payload = encode(transfer)
    position = data.draw(st.integers(0, len(payload) - 1))
    replacement = data.draw(st.characters(codec="utf-8"))
    assume(replacement != payload[position])
    if position >= len(payload) - 4:
        # Only the case of a CRC hex letter may change: lower case is accepted.
        assume(replacement.upper() != payload[position])
    corrupted = payload[:position] + replacement + payload[position + 1 :]
    try:
        decode(corrupted)
    except VietQRError:
        pass
    else:
        raise AssertionError(f"accepted corrupted payload {corrupted!r}")


def test_every_ascii_substitution_of_a_golden_payload_is_rejected():
    payload = encode(
        Transfer(bin="970436", account="0011001234567", amount=50000, purpose="Tien hang")
    )
    accepted = []
    for position in range(len(payload)):
        for replacement in map(chr, range(128)):
            if replacement == payload[position]:
                continue
            corrupted = payload[:position] + replacement + payload[position + 1 :]
            try:
                decode(corrupted)
            except VietQRError:
                continue
            accepted.append(corrupted)
    # The only survivors are lower-cased CRC hex letters.
    assert all(text[:-4] == payload[:-4] and text[-4:].upper() == payload[-4:] for text in accepted)
    assert len(accepted) == sum(char.isalpha() for char in payload[-4:])


@given(st.text())
@example("")
@example("6304")
@example("000201010211" + "6304ABCD")
def test_random_text_raises_only_vietqr_error(text):
    try:
        decode(text)
    except VietQRError:
        pass


@given(st.binary())
def test_random_bytes_raise_only_vietqr_error(raw):
    for text in (raw.decode("latin-1"), raw.decode("utf-8", "surrogateescape")):
        try:
            decode(text)
        except VietQRError:
            pass


SIGNABLE = st.characters(codec="utf-8")


@given(transfers(), st.data())
def test_mutated_and_resigned_payloads_raise_only_vietqr_error(transfer, data):
    """Past the CRC gate: edits with a recomputed CRC exercise every later check."""
    body = encode(transfer)[:-4]
    start = data.draw(st.integers(0, len(body)))
    end = data.draw(st.integers(start, min(len(body), start + 6)))
    insert = data.draw(st.text(SIGNABLE | st.sampled_from("0123456789"), max_size=6))
    mutated = body[:start] + insert + body[end:]
    candidate = mutated + checksum(mutated)
    try:
        decoded = decode(candidate)
    except VietQRError:
        # What the lenient decoder refuses, the strict one refuses too.
        try:
            decode(candidate, strict=True)
        except VietQRError:
            return
        raise AssertionError(
            f"strict decode accepted what lenient decode refused: {candidate!r}"
        ) from None
    assert {warning.code for warning in decoded.warnings} <= set(WARNING_CODES)
    # strict=True accepts exactly the payloads read without a warning, with the same result.
    try:
        strict = decode(candidate, strict=True)
    except VietQRError as error:
        assert decoded.warnings, f"strict refused a payload read without warnings: {error}"
        assert (error.tag, error.rule) == (decoded.warnings[0].tag, decoded.warnings[0].rule)
    else:
        assert decoded.warnings == () and strict == decoded
    assert isinstance(decoded.is_canonical, bool)
    # Whatever decodes must re-encode (or be refused) without any other error.
    try:
        encode(decoded.transfer)
    except VietQRError:
        pass


def split_root(payload: str) -> list[tuple[str, str]]:
    """The root objects of a well-formed payload, in order (test helper, no checks)."""
    objects, position = [], 0
    while position < len(payload):
        length = int(payload[position + 2 : position + 4])
        objects.append(
            (payload[position : position + 2], payload[position + 4 : position + 4 + length])
        )
        position += 4 + length
    return objects


def join_and_sign(objects: list[tuple[str, str]]) -> str:
    body = "".join(f"{tag}{len(value):02d}{value}" for tag, value in objects) + "6304"
    return body + checksum(body)


@given(transfers(), st.data())
def test_departures_never_move_the_money(transfer, data):
    """Reorder objects, flip 01 and drop 38.02 as other generators do: the destination
    and amount read back unchanged, each departure is reported, and strict refuses."""
    objects = [item for item in split_root(encode(transfer)) if item[0] != "63"]
    expected = set()
    if data.draw(st.booleans(), label="flip 01"):
        objects = [
            (tag, ("11" if value == "12" else "12") if tag == "01" else value)
            for tag, value in objects
        ]
        expected.add("dynamic_without_amount" if transfer.amount is None else "static_with_amount")
    card_like = transfer.account.startswith("9704") and len(transfer.account) in (16, 19)
    if (
        transfer.service == SERVICE_ACCOUNT
        and not card_like
        and data.draw(st.booleans(), label="drop 38.02")
    ):
        objects = [(tag, value[:-12] if tag == "38" else value) for tag, value in objects]
        expected.add("service_code_missing")
    objects = data.draw(st.permutations(objects), label="order")
    if objects[0][0] != "00":
        expected.add("format_indicator_not_first")
    payload = join_and_sign(objects)
    decoded = decode(payload)
    assert decoded.transfer == transfer
    assert {warning.code for warning in decoded.warnings} == expected
    assert len(decoded.warnings) == len(expected)
    if expected:
        with pytest.raises(VietQRError):
            decode(payload, strict=True)
        assert not decoded.is_canonical
    else:
        assert decode(payload, strict=True) == decoded
