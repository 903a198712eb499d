"""How much a request may send: small everywhere, a file's worth on the upload endpoints.

``MAX_CONTENT_LENGTH`` (1 MiB by default) makes Werkzeug answer 413 from the
Content-Length header alone, before the body is read: an anonymous 30 MB post to the
sign-in page costs nothing. The vendor import takes files of up to
:data:`market4.imports.reading.MAX_BYTES`, so its two endpoints (and the upload of the
banks' QR reports, read the same way) get that plus room for the multipart envelope and
the other form fields. The stall check takes a phone's photo of the posted code
(:data:`market4.domain.qr_scan.MAX_PHOTO_BYTES`): a phone camera's JPEG is 2–6 MB.
"""

from __future__ import annotations

from flask import Flask, request

from market4.domain.qr_scan import MAX_PHOTO_BYTES
from market4.imports.reading import MAX_BYTES as IMPORT_FILE_MAX_BYTES

UPLOAD_ENVELOPE_BYTES = 64 * 1024
# What the form parser may hold in memory: the small fields, and its read-ahead. It reads
# 64 KiB at a time and keeps a chunk's tail when it might begin the next boundary, which
# binary files (photos, .xlsx) do by chance: a limit of exactly one chunk refused them.
FIELDS_MEMORY_BYTES = 4 * UPLOAD_ENVELOPE_BYTES
# The largest file each upload endpoint takes: the vendor import and the banks' monthly
# QR reports (read by the same reader), and the photo of a posted code.
UPLOAD_FILE_BYTES = {
    "imports.index": IMPORT_FILE_MAX_BYTES,
    "api_imports.create_import": IMPORT_FILE_MAX_BYTES,
    "activity.index": IMPORT_FILE_MAX_BYTES,
    "placards.check_stall": MAX_PHOTO_BYTES,
}
UPLOAD_ENDPOINTS = frozenset(UPLOAD_FILE_BYTES)


def init_app(app: Flask) -> None:
    @app.before_request
    def allow_uploads_their_size() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = limit_for(request.endpoint, None)
            # The file itself goes to a temporary file; only the small fields are in memory.
            request.max_form_memory_size = FIELDS_MEMORY_BYTES


def limit_for(endpoint: str | None, default: int | None) -> int | None:
    """The body size ``endpoint`` accepts, for the 413 answer to state."""
    if endpoint in UPLOAD_FILE_BYTES:
        return UPLOAD_FILE_BYTES[endpoint] + UPLOAD_ENVELOPE_BYTES
    return default
