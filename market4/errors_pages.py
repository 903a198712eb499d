"""Error pages for people (HTML) and programs (JSON), chosen by what the client accepts."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from market4.extensions import db


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
        if wants_json():
            return {"error": error.name, "message": error.description}, error.code
        return render_template("errors/error.html", error=error), error.code

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
