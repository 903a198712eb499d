"""Command-line access to the VietQR codec and the bank directory.

Plain click objects with no Flask dependency; the app registers them on its
``market4`` command group::

    market4 vietqr encode --bin 970436 --account 0011001234567 --amount 50000
    market4 vietqr decode '000201...6304ABCD' --json [--strict]
    market4 banks --search "loc phat"

Invalid VietQR input exits with status 2 and one ``error: tag …: rule`` line
on stderr, so scripts can tell bad data (2) from a crash (1, traceback).
``decode`` accepts the departures from the spec that bank apps read (see
docs/vietqr.md §4.2) and reports each as a ``warning: tag …: rule`` line on
stderr, or in the ``warnings`` list with ``--json``; ``--strict`` refuses them
like any other invalid input.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import click

from market4.domain import banks, vietqr

__all__ = ["banks_command", "vietqr_group"]

INVALID_INPUT_EXIT = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    click.get_current_context().exit(INVALID_INPUT_EXIT)


@click.group("vietqr")
def vietqr_group() -> None:
    """Encode and check VietQR payloads for NAPAS247 transfers."""


def _parse_amount_option(text: str | None) -> int | None:
    """Whole VND as plain digits: "50.000" means 50 000 in Vietnamese and 50 in
    English, so any separator is refused rather than guessed."""
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()):
        raise vietqr.VietQRError(
            "54", f"amount {text!r} must be whole VND as digits only, no separators"
        )
    return int(text)


@vietqr_group.command("encode")
@click.option(
    "--bin", "bank_bin", required=True, help="6-digit bank BIN, e.g. 970436 (Vietcombank)."
)
@click.option("--account", required=True, help="Account number (or card number with --card).")
@click.option("--card", is_flag=True, help="Pay a card number (QRIBFTTC) instead of an account.")
@click.option("--amount", help="Whole VND, 1 to 499999999; omit for a static QR.")
@click.option("--purpose", help="Transfer message (62.08), folded to ASCII, at most 25 characters.")
@click.option("--name", "merchant_name", help="Merchant name (59), at most 25 characters.")
@click.option("--city", "merchant_city", help="Merchant city (60), at most 15 characters.")
@click.option("--truncate", is_flag=True, help="Cut over-long text instead of refusing it.")
def encode_command(
    bank_bin: str,
    account: str,
    card: bool,
    amount: str | None,
    purpose: str | None,
    merchant_name: str | None,
    merchant_city: str | None,
    truncate: bool,
) -> None:
    """Print the VietQR payload for a transfer (payload only, on stdout)."""
    try:
        transfer = vietqr.Transfer(
            bin=bank_bin,
            account=account,
            service=vietqr.SERVICE_CARD if card else vietqr.SERVICE_ACCOUNT,
            amount=_parse_amount_option(amount),
            purpose=purpose,
            merchant_name=merchant_name,
            merchant_city=merchant_city,
        )
        payload = vietqr.encode(transfer, truncate=truncate)
    except vietqr.VietQRError as error:
        _fail(str(error))
    if banks.by_bin(bank_bin) is None:
        click.echo(f"warning: BIN {bank_bin} is not in the bank directory", err=True)
    click.echo(payload)


def _describe(decoded: vietqr.DecodedPayload) -> dict[str, object]:
    transfer = decoded.transfer
    bank = banks.by_bin(transfer.bin)
    fields = asdict(transfer)
    return {
        "bin": transfer.bin,
        "account": transfer.account,
        "service": transfer.service,
        "initiation": decoded.initiation,
        "amount": transfer.amount,
        "purpose": transfer.purpose,
        "bank": bank.short_name if bank else None,
        "bank_name": bank.name if bank else None,
        **{
            key: value
            for key, value in fields.items()
            if key not in ("bin", "account", "service", "amount", "purpose")
        },
        "crc": decoded.crc,
        "canonical": decoded.is_canonical,
        "extra": [list(pair) for pair in decoded.extra],
    }


@vietqr_group.command("decode")
@click.argument("payload")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (warnings included).")
@click.option(
    "--strict", is_flag=True, help="Refuse every departure from the spec instead of warning."
)
def decode_command(payload: str, as_json: bool, strict: bool) -> None:
    """Check PAYLOAD and print its fields.

    Departures that bank apps read (a dynamic QR without an amount, raw
    diacritics, ...) are accepted with a warning on stderr, exit status 0;
    with --strict they exit 2 like any invalid payload.
    """
    try:
        decoded = vietqr.decode(payload, strict=strict)
    except vietqr.VietQRError as error:
        _fail(str(error))
    if as_json:
        click.echo(json.dumps(_as_json(decoded), ensure_ascii=False, indent=2))
        return
    _print_decoded(decoded)


def _as_json(decoded: vietqr.DecodedPayload) -> dict[str, object]:
    description = _describe(decoded)
    description["warnings"] = [
        {"tag": warning.tag, "code": warning.code, "rule": warning.rule}
        for warning in decoded.warnings
    ]
    return description


def _print_decoded(decoded: vietqr.DecodedPayload) -> None:
    description = _describe(decoded)
    for warning in decoded.warnings:
        click.echo(f"warning: {warning}", err=True)
    width = max(len(key) for key in description)
    for key, value in description.items():
        if value is not None and value != []:
            click.echo(f"{key:<{width}}  {value}")


@vietqr_group.command("scan")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per code.")
@click.option(
    "--strict", is_flag=True, help="Refuse every departure from the spec instead of warning."
)
def scan_command(image: Path, as_json: bool, strict: bool) -> None:
    """Read the QR codes in a photo (JPEG or PNG) and check each VietQR one.

    Exit 2 when the image cannot be read, holds no QR code, or holds no valid VietQR
    payload; other codes in the picture (a shop's website, a wallet's own code) are
    listed and skipped.
    """
    from market4.domain.qr_scan import QrPhotoError, read_qr_texts

    try:
        texts = read_qr_texts(image.read_bytes())
    except QrPhotoError as error:
        _fail(f"{image}: {error}")
    if not texts:
        _fail(f"{image}: no QR code found (closer, sharper, without glare)")
    found = []
    for text in texts:
        try:
            found.append((text, vietqr.decode(text, strict=strict)))
        except vietqr.VietQRError as error:
            click.echo(f"skipped, not a valid VietQR payload ({error}): {text[:80]}", err=True)
    if not found:
        _fail(f"{image}: no valid VietQR payload among {len(texts)} QR code(s)")
    if as_json:
        listed = [{"payload": text, **_as_json(decoded)} for text, decoded in found]
        click.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    for number, (text, decoded) in enumerate(found):
        if number:
            click.echo("")
        click.echo(f"payload  {text}")
        _print_decoded(decoded)


_COLUMNS = (
    ("BIN", "bin"),
    ("CODE", "code"),
    ("SHORT NAME", "short_name"),
    ("STATUS", "vietqr_status"),
    ("NAME", "name"),
)


@click.command("banks")
@click.option("--search", "query", help="Filter by BIN, code or name (accents and case ignored).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def banks_command(query: str | None, as_json: bool) -> None:
    """List the bank directory (BIN, NAPAS code, short name, VietQR status, name)."""
    found = banks.search(query) if query is not None else list(banks.all_banks())
    if not found:
        click.echo(f"no bank matches {query!r}", err=True)
        click.get_current_context().exit(1)
    if as_json:
        rows = [{**asdict(bank), "in_vietqr_lists": bank.in_vietqr_lists} for bank in found]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = [[header for header, _ in _COLUMNS]] + [
        [getattr(bank, attr) for _, attr in _COLUMNS] for bank in found
    ]
    widths = [max(len(row[column]) for row in table) for column in range(len(_COLUMNS) - 1)]
    for row in table:
        # The last column (the full name) is left ragged, so it has no width.
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        click.echo("  ".join([*cells, row[-1]]))
