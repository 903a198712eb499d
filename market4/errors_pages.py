"""Error pages for people (HTML) and programs (JSON), chosen by what the client accepts."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from market4.extensions import db
from market4.formatting import vn_number
from market4.security.input_guard import UnreadableInput


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code >= 500:
            db.session.rollback()
        message = too_large_message() if isinstance(error, RequestEntityTooLarge) else None
        if isinstance(error, UnreadableInput):
            message = error.description
        if wants_json():
            return {"error": error.name, "message": message or error.description}, error.code
        return render_template("errors/error.html", error=error, message=message), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_EXCEPTIONS", True):
            raise error
        if wants_json():
            return {"error": "Internal Server Error", "message": "unexpected error"}, 500
        return render_template("errors/error.html", error=None), 500


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
