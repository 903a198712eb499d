"""Reading QR codes from a photo (the fallback when a phone cannot scan in the browser).

Pure: image bytes in, decoded texts out, with Pillow and zxing-cpp (the same reader the
placard scan-back tests use). A photo of a posted placard is usually large, tilted and
unevenly lit; zxing-cpp copes with all three, and the image is only shrunk when it is
far larger than a QR needs, which keeps a phone photo's decode in the tens of
milliseconds.
"""

from __future__ import annotations

import io

__all__ = ["MAX_PHOTO_BYTES", "QrPhotoError", "read_qr_texts"]

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Longest side kept for decoding; a placard QR fills a good part of any sensible photo.
_MAX_SIDE = 2000
# Decompression-bomb guard: far more pixels than any phone camera produces.
_MAX_PIXELS = 60_000_000


class QrPhotoError(ValueError):
    """The upload is not an image we can read."""


def read_qr_texts(data: bytes) -> list[str]:
    """Texts of every QR code found in the image ``data`` (empty list: none found).

    Raises QrPhotoError for a file that is too large, not an image, or absurdly large
    in pixels.
    """
    import zxingcpp
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_PHOTO_BYTES:
        raise QrPhotoError(f"image larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > _MAX_PIXELS:
                raise QrPhotoError("image has too many pixels")
            image = ImageOps.exif_transpose(opened).convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise QrPhotoError("not an image file (JPEG, PNG, WebP…)") from error
    if max(image.size) > _MAX_SIDE:
        image.thumbnail((_MAX_SIDE, _MAX_SIDE))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [barcode.text for barcode in found if barcode.text]
