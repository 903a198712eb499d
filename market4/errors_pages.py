"""Error pages for people (HTML) and programs (JSON), chosen by what the client accepts.

The one place a page's unhandled :class:`DomainError` is answered: a posted form goes
back to the page it came from with the message flashed, anything else gets the error
page with the error's status. Either way :mod:`market4.unit_of_work` keeps nothing of it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, default_exceptions

from market4 import unit_of_work
from market4.errors import DomainError
from market4.formatting import vn_number
from market4.problem_json import wants_json
from market4.security.input_guard import UnreadableInput


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = too_large_message() if isinstance(error, RequestEntityTooLarge) else None
        if isinstance(error, UnreadableInput):
            message = error.description
        if wants_json():
            return {"error": error.name, "message": message or error.description}, error.code
        return render_template("errors/error.html", error=error, message=message), error.code

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        """A refusal no view handled itself (the API's blueprints answer their own)."""
        unit_of_work.discard()
        message = _(error.message)
        back = _same_site_referrer()
        if request.method == "POST" and back is not None:
            flash(message, "error")
            return redirect(back)
        if wants_json():
            return {"error": error.code, "message": message}, error.status
        page_error = default_exceptions.get(error.status, default_exceptions[400])()
        return render_template("errors/error.html", error=page_error, message=message), (
            error.status
        )

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_EXCEPTIONS", True):
            raise error
        if wants_json():
            return {"error": "Internal Server Error", "message": "unexpected error"}, 500
        return render_template("errors/error.html", error=None), 500


def _same_site_referrer() -> str | None:
    """The page the form was posted from, when it is one of ours (never an open redirect)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return referrer


def too_large_message() -> str:
    from market4.security.request_limits import limit_for

    limit = limit_for(request.endpoint, current_app.config.get("MAX_CONTENT_LENGTH"))
    megabytes = limit / (1024 * 1024) if limit else 0
    shown = vn_number(megabytes, 0 if megabytes == int(megabytes) else 1)
    return _(
        "Dữ liệu gửi lên quá lớn (tối đa %(size)s MB). Với tệp Excel, hãy chia thành "
        "nhiều tệp nhỏ hơn.",
        size=shown,
    )
