"""Payload string -> QR module matrix.

Two encoders are available; the default was chosen by measurement
(docs/benchmarks.md, "Placards"):

* ``"zxing"`` - zxing-cpp 3.x (libzint inside), ~0.2 ms per static VietQR.
  zint picks the optimal mix of numeric/alphanumeric/byte segments, so a
  94-character static payload is version 4 at EC M (33 modules) instead of
  version 6 (41 modules) in pure byte mode: larger modules at the same printed
  size. It cannot be told to use byte mode only.
* ``"qrcode"`` - the pure-Python ``qrcode`` package with an explicit 8-bit
  byte-mode segment, ~5-7 ms per code (its mask selection builds and scores
  eight matrices in Python). Kept for callers that must emit pure byte mode.

Both emit no ECI designator (symbology identifier ``]Q1``) and the decoded
bytes are exactly the payload's UTF-8 bytes, which is what bank apps parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

EcLevel = Literal["L", "M", "Q", "H"]
Encoder = Literal["zxing", "qrcode"]

EC_LEVELS: tuple[str, ...] = ("L", "M", "Q", "H")
#: The encoder's generic default. Placards (PDF, PNG, bare QR PNG) default to
#: placard_layout.PRINT_EC_LEVEL ("Q") instead; see docs/placards.md.
DEFAULT_EC_LEVEL: EcLevel = "M"
DEFAULT_ENCODER: Encoder = "zxing"

#: ISO/IEC 18004 quiet zone, in modules, on every side.
QUIET_ZONE_MODULES = 4

_DARK_RUN = re.compile(rb"\x01+")


class QrEncodingError(ValueError):
    """The payload cannot be encoded (empty, too long for a QR symbol, bad option)."""


@dataclass(frozen=True)
class QrMatrix:
    """A QR symbol without quiet zone: ``rows[y][x]`` is 1 for a dark module.

    Row 0 is the top row. Rows are ``bytes`` so that runs of dark modules can
    be found with a compiled regex instead of a per-module Python loop.
    """

    size: int
    rows: tuple[bytes, ...]
    ec_level: str
    encoder: str

    @property
    def version(self) -> int:
        """QR version 1-40 (size = 17 + 4 * version)."""
        return (self.size - 17) // 4

    @property
    def size_with_quiet_zone(self) -> int:
        return self.size + 2 * QUIET_ZONE_MODULES

    def is_dark(self, x: int, y: int) -> bool:
        return self.rows[y][x] == 1

    def dark_runs(self) -> Iterator[tuple[int, int, int]]:
        """Yield ``(row, first_column, length)`` for each horizontal dark run.

        Drawing one rectangle per run instead of per module cuts the number
        of path operators roughly in half for typical QR symbols.
        """
        for y, row in enumerate(self.rows):
            for match in _DARK_RUN.finditer(row):
                start = match.start()
                yield y, start, match.end() - start

    def to_text(self) -> str:
        """Debug rendering: '#' dark, '.' light."""
        return "\n".join(
            row.replace(b"\x01", b"#").replace(b"\x00", b".").decode() for row in self.rows
        )


def encode_qr(
    payload: str, ec_level: str = DEFAULT_EC_LEVEL, *, encoder: str = DEFAULT_ENCODER
) -> QrMatrix:
    """Encode *payload* as a QR Code (model 2) and return its module matrix."""
    if not payload:
        raise QrEncodingError("cannot encode an empty payload")
    ec_level = ec_level.upper()
    if ec_level not in EC_LEVELS:
        raise QrEncodingError(
            f"unknown error-correction level {ec_level!r}; use one of {', '.join(EC_LEVELS)}"
        )
    if encoder == "zxing":
        return _encode_zxing(payload, ec_level)
    if encoder == "qrcode":
        return _encode_qrcode(payload, ec_level)
    raise QrEncodingError(f"unknown QR encoder {encoder!r}; use 'zxing' or 'qrcode'")


# zxing-cpp's Image is 8-bit luminance: 0 for dark, 255 for light. A
# translation table turns a whole row into 1/0 module flags in C.
_LUMA_TO_FLAG = bytes([1] * 128 + [0] * 128)


def _encode_zxing(payload: str, ec_level: str) -> QrMatrix:
    import zxingcpp

    try:
        # The str goes in as UTF-8 and comes out as the same bytes with no
        # ECI header (checked with Vietnamese text, which is only legal in
        # VietQR field 64): readers, bank apps included, assume UTF-8.
        barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level)
    except (ValueError, RuntimeError) as exc:  # zint reports "input too long" this way
        raise QrEncodingError(
            f"cannot encode {len(payload)}-character payload as QR: {exc}"
        ) from exc
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    flags = bytes(memoryview(image)).translate(_LUMA_TO_FLAG)
    rows = tuple(flags[y * width : (y + 1) * width] for y in range(height))
    return QrMatrix(size=width, rows=rows, ec_level=ec_level, encoder="zxing")


def _encode_qrcode(payload: str, ec_level: str) -> QrMatrix:
    try:
        import qrcode
    except ImportError as exc:  # optional: only the "bench" extra installs it
        raise QrEncodingError(
            "the 'qrcode' encoder needs the qrcode package (pip install qrcode)"
        ) from exc
    from qrcode.exceptions import DataOverflowError
    from qrcode.util import MODE_8BIT_BYTE, QRData

    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(error_correction=levels[ec_level], border=0)
    code.add_data(QRData(payload.encode("utf-8"), mode=MODE_8BIT_BYTE))
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError) as exc:
        raise QrEncodingError(
            f"cannot encode {len(payload)}-character payload as QR: {exc}"
        ) from exc
    rows = tuple(bytes(1 if cell else 0 for cell in row) for row in code.get_matrix())
    return QrMatrix(size=len(rows), rows=rows, ec_level=ec_level, encoder="qrcode")


# Formatted "x y w 1 re" operators per QR size, keyed by the run's span in the
# rows joined with a light separator. A district sheet has ~400,000 runs but
# only a few thousand distinct ones per size, so formatting each once halves
# the cost of the QR paths. Bounded, since sizes and spans are finite but
# large for high versions.
_RUN_OPS: dict[int, dict[tuple[int, int], str]] = {}
_RUN_OPS_LIMIT = 50_000


def pdf_path_ops(matrix: QrMatrix, box: tuple[float, float, float]) -> str:
    """PDF content-stream operators filling every dark module of *matrix* inside *box*.

    *box* is (x, y, side) in points and includes the quiet zone.

    One rectangle per horizontal run of dark modules, in module units under
    one ``cm`` (so coordinates are small integers), all in one path filled
    once: no seams between rows when a viewer anti-aliases. Merging equal
    runs of consecutive rows as well saved under 10 % of the compressed size
    but cost more time than it saved.
    """
    x, y, side = box
    n = matrix.size
    module = side / (n + 2 * QUIET_ZONE_MODULES)
    origin_x = x + QUIET_ZONE_MODULES * module
    origin_y = y + QUIET_ZONE_MODULES * module
    ops = _RUN_OPS.setdefault(n, {})
    if len(ops) > _RUN_OPS_LIMIT:
        ops.clear()
    stride = n + 1  # rows joined with one light separator, so no run wraps

    def new_op(span: tuple[int, int]) -> str:
        start, end = span
        row, column = divmod(start, stride)
        op = ops[span] = f"{column} {n - 1 - row} {end - start} 1 re"
        return op

    cached = ops.get
    spans = map(re.Match.span, _DARK_RUN.finditer(b"\x00".join(matrix.rows)))
    rects = "\n".join([cached(span) or new_op(span) for span in spans])
    return f"q {module:.5f} 0 0 {module:.5f} {origin_x:.3f} {origin_y:.3f} cm 0 g\n{rects}\nf Q"
