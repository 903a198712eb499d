"""Input no page can use: refused once, at the door, with a 400 that says where.

A NUL character cannot be stored in PostgreSQL text, so a NUL in any query parameter,
form field, JSON string or path segment would raise deep inside a query; no real user
types one. Integer path segments (``<int:…>``) stop at PostgreSQL's ``integer`` range, so
``/tieu-thuong/99999999999`` is a plain 404 rather than a database error.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from market4.parsing import MAX_INT
from market4.problem_json import is_api_path

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UnreadableInput(BadRequest):
    """400 with a message for the person (or program) who sent it."""


class BoundedIntegerConverter(IntegerConverter):
    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    # Before any blueprint is registered: rules pick their converters when added.
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    if is_api_path():
        return  # the partner API's schemas refuse it per field, as 422 problem+json
    where = _nul_in_request()
    if where is not None:
        raise UnreadableInput(
            _("Dữ liệu gửi lên có ký tự không hợp lệ (NUL) ở “%(field)s”.", field=where[:60])
        )


def _nul_in_request() -> str | None:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            return name
    sources = [request.args]
    if request.mimetype in _FORM_TYPES:
        sources.append(request.form)
    for source in sources:
        for name, value in source.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return name.replace("\x00", "")
    if request.is_json:
        return _nul_in_json(request.get_json(silent=True), "JSON")
    return None


def _nul_in_json(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return path
            found = _nul_in_json(item, f"{path}.{key}" if path != "JSON" else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in_json(item, f"{path}[{index}]")
            if found:
                return found
    return None
