"""How much a request may send: small everywhere, a file's worth on the upload endpoints.

``MAX_CONTENT_LENGTH`` (1 MiB by default) makes Werkzeug answer 413 from the
Content-Length header alone, before the body is read: an anonymous 30 MB post to the
sign-in page costs nothing. The vendor import takes files of up to
:data:`market4.imports.reading.MAX_BYTES`, so its two endpoints get that plus room for
the multipart envelope and the other form fields.
"""

from __future__ import annotations

from flask import Flask, request

from market4.imports.reading import MAX_BYTES as IMPORT_FILE_MAX_BYTES

UPLOAD_ENVELOPE_BYTES = 64 * 1024
UPLOAD_ENDPOINTS = frozenset({"imports.index", "api_imports.create_import"})


def init_app(app: Flask) -> None:
    @app.before_request
    def allow_uploads_their_size() -> None:
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = limit_for(request.endpoint, None)
            # The file itself goes to a temporary file; only the small fields are in memory.
            request.max_form_memory_size = UPLOAD_ENVELOPE_BYTES


def limit_for(endpoint: str | None, default: int | None) -> int | None:
    """The body size ``endpoint`` accepts, for the 413 answer to state."""
    if endpoint in UPLOAD_ENDPOINTS:
        return IMPORT_FILE_MAX_BYTES + UPLOAD_ENVELOPE_BYTES
    return default
