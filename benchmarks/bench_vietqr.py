"""VietQR codec benchmark: market4 against the peer Python libraries.

    .venv/bin/python -m benchmarks.bench_vietqr [--count N] [--rounds R] [--seed S] [--check]

Peers (the ``bench`` extra): napas-qr-python 0.2.0 (module ``qr_pay``),
vietnam-qr-pay 1.0.0 and vietqr-emvco 1.0.0.  Every implementation gets the
same inputs: ``--count`` realistic NAPAS247 account transfers (BINs from the
directory, 8-15 digit and alphanumeric virtual accounts, half static, half
dynamic, most with an ASCII purpose; vietqr-emvco cannot encode card
transfers, so none are included).  Each round times every implementation
once, interleaved, with ``time.perf_counter``; the best round counts.

"Decode" means what a caller needs before trusting a payload: the CRC is
verified and the fields are extracted.  napas-qr-python's ``decode`` and
vietnam-qr-pay's ``QRPay(content)`` verify the CRC themselves; vietqr-emvco's
``parse`` does not, so it is timed as ``verify_checksum`` + ``parse`` and its
parse alone is shown for information only (no CRC, no validation).
market4's decode also validates every TLV level and the VietQR semantics.

Targets (issue): market4 at least 2x the fastest peer for encode and for
decode.  PASS/FAIL is printed; the exit status is 0 unless ``--check``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import fields

from market4.domain import banks
from market4.domain.vietqr import Transfer, decode, encode

TARGET_RATIO = 2.0
PURPOSES = (
    "Thanh toan don hang {n}",
    "Tien hang {n}",
    "Chuyen tien",
    "Tra no thang 11",
    "DH-2026-{n}",
    "Mua rau cho Ben Thanh",
    "Tien dien T11.2026",
    "Phi giu xe {n}",
)


def sample_transfers(count: int, seed: int) -> list[Transfer]:
    """Varied, valid account transfers; text is already bank-safe ASCII so every peer can encode it."""
    rng = random.Random(seed)
    bins = [bank.bin for bank in banks.all_banks() if bank.in_vietqr_lists]
    transfers = []
    for index in range(count):
        if rng.random() < 0.1:  # wallet/virtual accounts such as "99ZP24009M07248267"
            account = "99ZP" + "".join(
                rng.choice("0123456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(rng.randint(8, 14))
            )
        else:
            account = "".join(rng.choice("0123456789") for _ in range(rng.randint(8, 15)))
        dynamic = index % 2 == 1
        purpose = (
            rng.choice(PURPOSES).format(n=rng.randint(1, 99999)) if rng.random() < 0.8 else None
        )
        transfers.append(
            Transfer(
                bin=rng.choice(bins),
                account=account,
                amount=rng.randint(1, 5000) * 1000 if dynamic else None,
                purpose=purpose,
            )
        )
    return transfers


# ---- peer adapters: each takes a Transfer (encode) or a payload (decode) --------


def napas_encode(transfer: Transfer) -> str:
    from qr_pay import QRPay

    return QRPay(
        transfer.bin,
        transfer.account,
        transaction_amount=transfer.amount,
        purpose_of_transaction=transfer.purpose,
        # Its default is DYNAMIC even without an amount (docs/vietqr.md §2.6).
        point_of_initiation_method="STATIC" if transfer.amount is None else "DYNAMIC",
    ).code


def napas_decode(payload: str) -> str:
    from qr_pay import decode as napas

    return napas(payload)["consumer_id"]  # verifies the CRC, raises on mismatch


def vqp_encode(transfer: Transfer) -> str:
    from vietnam_qr_pay import QRPay

    amount = None if transfer.amount is None else str(transfer.amount)
    return QRPay.init_viet_qr(
        transfer.bin, transfer.account, amount=amount, purpose=transfer.purpose
    ).build()


def vqp_decode(payload: str) -> str:
    from vietnam_qr_pay import QRPay

    qr = QRPay(payload)  # verifies the CRC, then parses
    if not qr.is_valid:
        raise ValueError("vietnam-qr-pay rejected the payload")
    return qr.consumer.bank_number


def emvco_encode(transfer: Transfer) -> str:
    from vietqr_emvco import VietQRGenerator

    return VietQRGenerator(transfer.bin, transfer.account).generate(
        amount=transfer.amount, memo=transfer.purpose
    )


def emvco_decode(payload: str) -> str:
    from vietqr_emvco import VietQRParser

    if not VietQRParser.verify_checksum(payload):
        raise ValueError("vietqr-emvco: CRC mismatch")
    return VietQRParser.parse(payload)["account_number"]


def emvco_parse_only(payload: str) -> str:
    from vietqr_emvco import VietQRParser

    return VietQRParser.parse(payload)["account_number"]


def market4_decode(payload: str) -> str:
    return decode(payload).transfer.account


PEERS = {
    "napas-qr-python 0.2.0": (napas_encode, napas_decode),
    "vietnam-qr-pay 1.0.0": (vqp_encode, vqp_decode),
    "vietqr-emvco 1.0.0": (emvco_encode, emvco_decode),
}
INFO_ONLY_DECODERS = {"vietqr-emvco 1.0.0 parse only (no CRC)": emvco_parse_only}


def best_rates(functions: dict[str, Callable], inputs: Sequence, rounds: int) -> dict[str, float]:
    """Items per second of the fastest round for each function, rounds interleaved."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for name, function in functions.items():
            start = time.perf_counter()
            for item in inputs:
                function(item)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: len(inputs) / seconds for name, seconds in best.items()}


def describe_difference(ours: str, theirs: str) -> str:
    """Why a peer's payload differs from ours, in terms of decoded fields."""
    try:
        peer = decode(theirs).transfer
    except ValueError as error:
        return f"market4 rejects it ({error})"
    mine = decode(ours).transfer
    changed = [
        f"{f.name}={getattr(peer, f.name)!r}"
        for f in fields(Transfer)
        if getattr(peer, f.name) != getattr(mine, f.name)
    ]
    return (
        ("adds/changes " + ", ".join(changed))
        if changed
        else "same fields, different object order or encoding"
    )


def compare_outputs(transfers: list[Transfer], payloads: list[str]) -> list[str]:
    """One report line per peer: byte-identical count, or the first mismatch and why."""
    lines = []
    for name, (peer_encode, peer_decode) in PEERS.items():
        outputs = [peer_encode(transfer) for transfer in transfers]
        mismatches = [
            (ours, theirs) for ours, theirs in zip(payloads, outputs, strict=True) if ours != theirs
        ]
        readable = sum(
            peer_decode(payload) == transfer.account
            for payload, transfer in zip(payloads, transfers, strict=True)
        )
        line = f"  {name}: {len(transfers) - len(mismatches)}/{len(transfers)} byte-identical"
        if mismatches:
            ours, theirs = mismatches[0]
            line += f"; e.g. ours   {ours}\n{'':<6}peer   {theirs}\n{'':<6}why: {describe_difference(ours, theirs)}"
        line += f"\n{'':<4}its decoder reads the right account from {readable}/{len(transfers)} market4 payloads"
        lines.append(line)
    return lines


def verdict(kind: str, ours: float, peers: dict[str, float]) -> bool:
    fastest = max(peers, key=peers.get)
    ratio = ours / peers[fastest]
    passed = ratio >= TARGET_RATIO
    print(
        f"{'PASS' if passed else 'FAIL'} {kind}: market4 {ours:,.0f}/s = {ratio:.1f}x the fastest peer "
        f"({fastest}, {peers[fastest]:,.0f}/s); target >= {TARGET_RATIO:.0f}x"
    )
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=400, help="payloads per round (default 400)")
    parser.add_argument("--rounds", type=int, default=9, help="rounds; the best counts (default 9)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    transfers = sample_transfers(args.count, args.seed)
    payloads = [encode(transfer) for transfer in transfers]
    static = sum(transfer.amount is None for transfer in transfers)
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{len(transfers)} transfers ({static} static, {len(transfers) - static} dynamic), "
        f"mean payload {sum(map(len, payloads)) / len(payloads):.0f} chars, best of {args.rounds} rounds\n"
    )

    encoders = {"market4": encode} | {name: pair[0] for name, pair in PEERS.items()}
    decoders = (
        {"market4": market4_decode}
        | {name: pair[1] for name, pair in PEERS.items()}
        | INFO_ONLY_DECODERS
    )
    encode_rates = best_rates(encoders, transfers, args.rounds)
    decode_rates = best_rates(decoders, payloads, args.rounds)

    print(f"{'implementation':<42}{'encode/s':>12}{'m4/peer':>9}{'decode/s':>12}{'m4/peer':>9}")
    for name in decoders:
        enc = encode_rates.get(name)
        enc_cells = (
            f"{enc:>12,.0f}{encode_rates['market4'] / enc:>8.1f}x" if enc else f"{'-':>12}{'':>9}"
        )
        dec = decode_rates[name]
        print(f"{name:<42}{enc_cells}{dec:>12,.0f}{decode_rates['market4'] / dec:>8.1f}x")

    print("\nOutput compared with market4's canonical payloads:")
    print("\n".join(compare_outputs(transfers, payloads)))
    print()
    peer_names = list(PEERS)
    passed = verdict("encode", encode_rates["market4"], {n: encode_rates[n] for n in peer_names})
    passed &= verdict("decode", decode_rates["market4"], {n: decode_rates[n] for n in peer_names})
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
