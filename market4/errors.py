"""Domain errors: what services raise, and what views, the API and the CLI translate.

Services never build HTTP responses. They raise one of these; the web views show the
``message`` (per field for :class:`ValidationFailed`), the API maps
``status`` + ``code`` + :meth:`DomainError.as_dict` to JSON, the CLI prints the message.

``code`` is a stable English identifier for machines and tests ("invalid_phone");
``message`` is for people, in the reader's language.

Messages are translated when they are read, not when they are raised. A service passes
a lazy catalogue string, with its parameters, and the code::

    from flask_babel import lazy_gettext as _l

    raise Conflict(_l("%(stall)s đã có người.", stall=stall_name(stall.code)), code="stall_taken")
    FieldError("phone", _l("Số điện thoại không hợp lệ."), "invalid_phone")

``error.message`` (and ``FieldError.message``) is then ``gettext(template) % params`` in
the locale of whoever reads it: the page's or the API request's language (session
choice, then ``Accept-Language``), and Vietnamese outside a request unless
``MARKET4_CLI_LOCALE=en`` (``market4.i18n.select_locale``). So views, the problem+json
handler and the CLI just read ``.message``; none of them translates again. An import
keeps its report as text, in the language of the person who uploaded the file. The
source strings are Vietnamese, extracted by ``pybabel`` through the ``_l`` keyword; a
label table marked with ``N_`` is wrapped at the raise (``_l(REASONS[reason])``) or
given to :meth:`FieldError.from_template` with its parameters. A plain ``str`` is
shown as it is (tests/test_untranslated_strings.py refuses Vietnamese
literals that skip the catalogue). Outside an application (pure unit tests) the
catalogue is not loaded and messages read in Vietnamese.

"Invalid" and "duplicate" are deliberately different classes: an import report and a
registration form must tell "this row is wrong" from "this already exists"
(docs/domain.md, “Duplicates”), and a duplicate carries the ids of what it collides with.
A check that finds several refusals at once (a registration at an occupied stall with a
phone and an account that are someone else's) raises them together as :class:`Problems`
through :func:`raise_all`, each still its own class with its own code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext

from market4.i18n import N_

#: What a message may be given as: a ``str``, or a lazy catalogue string (``_l(...)``)
#: whose ``str()`` is the text in the current language.
Text = Any

__all__ = [
    "Conflict",
    "DomainError",
    "Duplicate",
    "FieldError",
    "NotFound",
    "PermissionDenied",
    "Problems",
    "Text",
    "ValidationFailed",
    "field_errors",
    "raise_all",
]


class DomainError(Exception):
    """Base class of every error a service raises on purpose.

    ``status`` is the HTTP status the API should answer with; ``details`` holds
    machine-readable extras (ids, limits) that go into the JSON body unchanged.
    ``default_message`` is marked with ``N_`` and translated when read.
    """

    status: int = 400
    default_code: str = "domain_error"
    default_message: Text = N_("Yêu cầu không thực hiện được.")
    #: Non-blocking findings of the refused request (a phone seen on another vendor…),
    #: so that a refusal still tells everything a success would have said.
    warnings: tuple[FieldError, ...] = ()

    def __init__(
        self,
        message: Text | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._message = message
        self.code = code or self.default_code
        self.details = dict(details or {})
        super().__init__(self._message)

    @property
    def message(self) -> str:
        """The message in the reader's language (rendered now, not when raised)."""
        if self._message is None:
            return gettext(str(self.default_message))
        return str(self._message)

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        """The JSON error envelope: ``{"error": code, "message": …, **details}``."""
        return {"error": self.code, "message": self.message, **self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class FieldError:
    """One problem with one input field; also used for non-blocking warnings.

    ``field`` names the input as the caller knows it ("phone", "account_number"); an
    import maps it to its column, a form to its widget. ``message`` is rendered in the
    reader's language each time it is read (pass ``_l(template, **params)``).
    """

    __slots__ = ("_message", "code", "field")

    def __init__(self, field: str, message: Text, code: str = "invalid") -> None:
        self.field = field
        self._message = message
        self.code = code

    @classmethod
    def from_template(cls, field: str, template: str, code: str, **params: Any) -> FieldError:
        """A message from an ``N_``-marked template and its parameters."""
        return cls(field, _Template(template, params), code)

    @property
    def message(self) -> str:
        return str(self._message)

    def translated(self, gettext: Callable[[str], str] | None = None) -> str:
        """The message in the current language (``gettext`` is no longer needed)."""
        return self.message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}

    def _key(self) -> tuple[str, str, str]:
        return (self.field, self.message, self.code)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldError):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"FieldError(field={self.field!r}, message={self.message!r}, code={self.code!r})"


class _Template:
    """An ``N_``-marked template and its parameters, translated when turned into text."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, params: dict[str, Any]) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return gettext(self.template) % self.params


class ValidationFailed(DomainError):
    """The input is wrong; ``errors`` lists every problem found, not just the first."""

    status = 422
    default_code = "validation_failed"
    default_message = N_("Dữ liệu chưa hợp lệ.")

    def __init__(self, errors: Iterable[FieldError], message: Text | None = None) -> None:
        self.errors: list[FieldError] = list(errors)
        if not self.errors:
            raise ValueError("ValidationFailed needs at least one FieldError")
        super().__init__(message)

    @property
    def message(self) -> str:
        if self._message is not None:
            return str(self._message)
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)

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
    default_message = N_("Đã có trong hệ thống.")

    def __init__(
        self,
        message: Text | None = None,
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
    default_message = N_("Không tìm thấy.")


class Conflict(DomainError):
    """The request is valid but clashes with the current state (stall occupied, closed…)."""

    status = 409
    default_code = "conflict"
    default_message = N_("Không thực hiện được với trạng thái hiện tại.")


class PermissionDenied(DomainError):
    """The organisation or user may not do this (e.g. a bank registering another bank's account)."""

    status = 403
    default_code = "permission_denied"
    default_message = N_("Bạn không có quyền thực hiện thao tác này.")


class Problems(DomainError):
    """Every reason one request is refused, found together so the user fixes them in one
    go instead of discovering them one submission at a time.

    ``problems`` are the refusals as raised (a :class:`Duplicate` keeps its ids, a
    :class:`Conflict` its code); ``errors`` lists each of them as a :class:`FieldError`
    (a refusal without a field gets ``"_request"``), for a form's fields, problem+json's
    ``errors`` and an import's report. The status is 422 when a field is invalid (the
    request must change), else 409 (it clashes with what exists), and so is the code.
    """

    def __init__(self, problems: Iterable[DomainError]) -> None:
        self.problems: list[DomainError] = list(problems)
        if len(self.problems) < 2:
            raise ValueError("Problems needs at least two refusals; raise a single one as it is")
        invalid = any(isinstance(problem, ValidationFailed) for problem in self.problems)
        self.status = 422 if invalid else 409
        self.errors: list[FieldError] = [
            error for problem in self.problems for error in field_errors(problem)
        ]
        super().__init__(code="validation_failed" if invalid else "conflict")

    @property
    def message(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "errors": [error.as_dict() for error in self.errors]}


def field_errors(error: DomainError) -> list[FieldError]:
    """``error`` as field errors: its own list, or one error at its ``field`` detail."""
    if isinstance(error, ValidationFailed | Problems):
        return list(error.errors)
    field = error.details.get("field") or "_request"
    return [FieldError(str(field), error.message, error.code)]


def raise_all(problems: Iterable[DomainError], *, warnings: Iterable[FieldError] = ()) -> None:
    """Raise nothing when ``problems`` is empty, its only refusal as it is (so a caller
    that handles one kind keeps working), several as one :class:`Problems`; the
    request's ``warnings`` go with the refusal."""
    found = list(problems)
    if not found:
        return
    error = found[0] if len(found) == 1 else Problems(found)
    error.warnings = tuple(warnings)
    raise error
