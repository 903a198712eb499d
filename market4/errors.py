"""Domain errors: what services raise, and what views, the API and the CLI translate.

Services never build HTTP responses. They raise one of these; the web views show the
Vietnamese ``message`` (per field for :class:`ValidationFailed`), the API maps
``status`` + ``code`` + :meth:`DomainError.as_dict` to JSON, the CLI prints the message.

``code`` is a stable English identifier for machines and tests ("invalid_phone");
``message`` is for people, in Vietnamese.

"Invalid" and "duplicate" are deliberately different classes: an import report and a
registration form must tell "this row is wrong" from "this already exists"
(docs/domain.md, “Duplicates”), and a duplicate carries the ids of what it collides with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

__all__ = [
    "Conflict",
    "DomainError",
    "Duplicate",
    "FieldError",
    "NotFound",
    "PermissionDenied",
    "ValidationFailed",
]


class DomainError(Exception):
    """Base class of every error a service raises on purpose.

    ``status`` is the HTTP status the API should answer with; ``details`` holds
    machine-readable extras (ids, limits) that go into the JSON body unchanged.
    """

    status: int = 400
    default_code: str = "domain_error"
    default_message: str = "Yêu cầu không thực hiện được."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.details = dict(details or {})
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        """The JSON error envelope: ``{"error": code, "message": …, **details}``."""
        return {"error": self.code, "message": self.message, **self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; also used for non-blocking warnings.

    ``field`` names the input as the caller knows it ("phone", "account_number"); an
    import maps it to its column, a form to its widget. ``message`` is Vietnamese. A
    message built from a catalogue template keeps ``template`` and ``params`` too, so a
    page in another language can say the same (:meth:`translated`).
    """

    field: str
    message: str
    code: str = "invalid"
    template: str | None = dc_field(default=None, compare=False, repr=False)
    params: tuple[tuple[str, Any], ...] = dc_field(default=(), compare=False, repr=False)

    @classmethod
    def from_template(cls, field: str, template: str, code: str, **params: Any) -> FieldError:
        return cls(field, template % params, code, template, tuple(params.items()))

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext`` (the Vietnamese one when untranslated)."""
        if self.template is None:
            return gettext(self.message)
        return gettext(self.template) % dict(self.params)

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


class ValidationFailed(DomainError):
    """The input is wrong; ``errors`` lists every problem found, not just the first."""

    status = 422
    default_code = "validation_failed"
    default_message = "Dữ liệu chưa hợp lệ."

    def __init__(self, errors: Iterable[FieldError], message: str | None = None) -> None:
        self.errors: list[FieldError] = list(errors)
        if not self.errors:
            raise ValueError("ValidationFailed needs at least one FieldError")
        summary = message or "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(summary)

    @property
    def fields(self) -> set[str]:
        return {error.field for error in self.errors}

    @property
    def codes(self) -> set[str]:
        return {error.code for error in self.errors}

    def for_field(self, field: str) -> list[FieldError]:
        return [error for error in self.errors if error.field == field]

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "errors": [error.as_dict() for error in self.errors]}


class Duplicate(DomainError):
    """The thing already exists; ``object_ids`` are the existing rows it collides with.

    ``field`` says which input collided ("account_number", "phone") and
    ``object_type`` what the ids are ("PaymentAccount", "Vendor").
    """

    status = 409
    default_code = "duplicate"
    default_message = "Đã có trong hệ thống."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str,
        object_type: str,
        object_ids: Iterable[int],
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.field = field
        self.object_type = object_type
        self.object_ids: tuple[int, ...] = tuple(object_ids)
        super().__init__(
            message,
            code=code,
            details={
                "field": field,
                "object_type": object_type,
                "object_ids": list(self.object_ids),
                **(details or {}),
            },
        )


class NotFound(DomainError):
    """A referenced object does not exist (or is outside the caller's scope)."""

    status = 404
    default_code = "not_found"
    default_message = "Không tìm thấy."


class Conflict(DomainError):
    """The request is valid but clashes with the current state (stall occupied, closed…)."""

    status = 409
    default_code = "conflict"
    default_message = "Không thực hiện được với trạng thái hiện tại."


class PermissionDenied(DomainError):
    """The organisation or user may not do this (e.g. a bank registering another bank's account)."""

    status = 403
    default_code = "permission_denied"
    default_message = "Bạn không có quyền thực hiện thao tác này."
