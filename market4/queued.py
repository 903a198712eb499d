"""Answers to what a phone's offline queue sends later (``static/js/offline.js``,
docs/offline.md): an outcome of a walk step (``markets.visits``) or a scan of the posted
code (``placards.views.check_stall``).

The queue posts the page's own form fields as JSON-accepting requests with an
``Idempotency-Key``; a retry replays the first 201 (``market4.idempotency``), and a
refusal comes back as ``{"error", "message", "errors": [{"field", "message", "code"}]}``
in the user's language, for the phone to list until the user removes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from market4 import idempotency
from market4.errors import DomainError, ValidationFailed

_KEY_REFUSALS = {
    idempotency.INVALID_KEY: lambda: _("Khoá gửi lại (Idempotency-Key) không hợp lệ."),
    idempotency.KEY_REUSED: lambda: _(
        "Khoá gửi lại này đã được dùng cho một lượt kiểm tra khác; lượt này không được ghi."
    ),
    idempotency.KEY_IN_USE: lambda: _("Lượt kiểm tra này đang được ghi; hãy gửi lại sau."),
    idempotency.CONCURRENT_CHANGE: lambda: _(
        "Dữ liệu của sạp vừa được thay đổi cùng lúc; hãy gửi lại."
    ),
}


def answer_once(user_id: int, record: Callable[[], Any]) -> Response | tuple[Any, int]:
    """``record()``'s answer, or the first answer again for a retry of the same key."""
    try:
        return idempotency.answer_once(user_id, record, leave_out=idempotency.PAGE_LEAVE_OUT)
    except idempotency.KeyRefused as refused:
        return refusal(refused.code, _KEY_REFUSALS[refused.code](), refused.status)


def refusal(
    code: str, message: str, status: int, errors: list[dict[str, str]] | None = None
) -> tuple[dict[str, Any], int]:
    return {"error": code, "message": message, "errors": errors or []}, status


def stall_not_found() -> tuple[dict[str, Any], int]:
    """The stall is gone, or its market has left the user's list since."""
    return refusal(
        "stall_not_found", _("Không tìm thấy sạp này trong các chợ bạn được ghi kiểm tra."), 404
    )


def form_refusal(form: FlaskForm) -> tuple[dict[str, Any], int]:
    """422 for a form that did not validate, every field's problems listed."""
    errors = [
        {"field": name, "message": str(message), "code": "invalid"}
        for name, messages in form.errors.items()
        for message in messages
    ]
    return refusal("validation_failed", errors[0]["message"] if errors else "", 422, errors)


def domain_refusal(
    error: DomainError, field_names: dict[str, str] | None = None
) -> tuple[dict[str, Any], int]:
    """The service's refusal; ``field_names`` renames a service's argument to the form
    field the phone knows (``on`` is the form's ``visited_on``)."""
    renamed = field_names or {}
    errors = [
        {
            "field": renamed.get(problem.field, problem.field),
            "message": str(problem.message),
            "code": problem.code,
        }
        for problem in (error.errors if isinstance(error, ValidationFailed) else [])
    ]
    message = errors[0]["message"] if errors else str(error.message)
    return refusal(error.code, message, error.status, errors)
