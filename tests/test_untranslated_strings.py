"""No Vietnamese sentence reaches a user without passing through the catalogue.

A simple AST check over ``market4/``: a string literal with Vietnamese letters that is
handed to a domain error (``DomainError`` and its subclasses, ``FieldError``,
``ValidationFailed``), to ``flash`` or to ``abort``'s description, or that a function
returns as a message, must be wrapped in a translation call (``_``, ``_l``, ``gettext``,
``lazy_gettext``, ``ngettext``, ``N_``). Otherwise the English UI would show it in
Vietnamese. ``domain/`` (pure, no Flask), migrations, demo data and log messages are
not user-facing and are not checked; ``code=`` values are identifiers, not messages.
"""

from __future__ import annotations

import ast
from pathlib import Path

from market4 import errors

PACKAGE = Path(errors.__file__).resolve().parent
SKIPPED_FOLDERS = {"domain", "demo", "migrations", "translations"}
TRANSLATORS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "N_"}
# Arguments that name things for machines, never shown as sentences.
MACHINE_KEYWORDS = {"code", "field", "object_type", "details", "category"}
BASE_ERRORS = {"DomainError", "FieldError"}


def _modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not SKIPPED_FOLDERS & set(path.relative_to(PACKAGE).parts[:-1])
    ]


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _error_classes(trees: list[ast.Module]) -> set[str]:
    """DomainError, FieldError and every class of market4 derived from them."""
    known = set(BASE_ERRORS) | {
        name for name in errors.__all__ if isinstance(getattr(errors, name), type)
    }
    grown = True
    while grown:
        grown = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in known:
                    if any(_name(base) in known for base in node.bases):
                        known.add(node.name)
                        grown = True
    return known


def _is_vietnamese(text: str) -> bool:
    return any(char.isalpha() and not char.isascii() for char in text)


def _bare_vietnamese(node: ast.AST | None) -> bool:
    """A Vietnamese literal (plain, f-string, ``%``-formatted, concatenated or
    ``.format``-ted) that no translation call wraps."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and _is_vietnamese(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_bare_vietnamese(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return _bare_vietnamese(node.left) or _bare_vietnamese(node.right)
    if isinstance(node, ast.IfExp):
        return _bare_vietnamese(node.body) or _bare_vietnamese(node.orelse)
    if isinstance(node, ast.Call):
        if _name(node.func) in TRANSLATORS:
            return False
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"format", "join"}:
            return _bare_vietnamese(node.func.value) or any(
                _bare_vietnamese(arg) for arg in node.args
            )
    if isinstance(node, ast.List | ast.Tuple):
        return any(_bare_vietnamese(item) for item in node.elts)
    return False


def _message_arguments(
    call: ast.Call, error_classes: set[str], forwarders: dict[str, tuple[int, str]] | None = None
) -> list[ast.AST]:
    name = _name(call.func)
    if forwarders and name in forwarders:
        position, keyword = forwarders[name]
        return [
            *call.args[position : position + 1],
            *(k.value for k in call.keywords if k.arg == keyword),
        ]
    if name == "abort":
        return [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "description")]
    if name == "flash":
        return call.args[:1] + [k.value for k in call.keywords if k.arg == "message"]
    if name in {"FieldError", "from_template"}:  # (field, message|template, code, …)
        wanted = {"message", "template"}
        return [*call.args[1:2], *(k.value for k in call.keywords if k.arg in wanted)]
    if name in error_classes:
        return [*call.args, *(k.value for k in call.keywords if k.arg not in MACHINE_KEYWORDS)]
    return []


Forwarders = dict[str, tuple[int, str]]


def _forwarders(trees: list[ast.Module], error_classes: set[str]) -> list[Forwarders]:
    """Per module, the helpers that take a message for people: a parameter called
    ``message``, or one handed on to an error, ``flash`` or ``abort``
    (``_fail(field, code, message)``). Their callers' literals are checked instead.
    A private helper (``_refuse``) counts in its own module only, a public one everywhere."""

    def parameters(function: ast.FunctionDef) -> list[str]:
        names = [argument.arg for argument in function.args.args]
        return names[1:] if names[:1] in (["self"], ["cls"]) else names

    functions = [
        [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)] for tree in trees
    ]
    local: list[Forwarders] = [{} for _ in trees]
    public: Forwarders = {}

    def note(index: int, function: ast.FunctionDef, parameter: str) -> None:
        entry = (parameters(function).index(parameter), parameter)
        local[index][function.name] = entry
        if not function.name.startswith("_"):
            public.setdefault(function.name, entry)

    for index, module_functions in enumerate(functions):
        for function in module_functions:
            if "message" in parameters(function):
                note(index, function, "message")
    grown = True
    while grown:
        grown = False
        for index, module_functions in enumerate(functions):
            for function in module_functions:
                if function.name in local[index]:
                    continue
                names = parameters(function)
                known = {**public, **local[index]}
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call):
                        continue
                    for argument in _message_arguments(call, error_classes, known):
                        if isinstance(argument, ast.Name) and argument.id in names:
                            note(index, function, argument.id)
                            grown = True
                            break
                    if function.name in local[index]:
                        break
    return [{**public, **own} for own in local]


def _returned_messages(function: ast.FunctionDef) -> list[ast.AST]:
    """What a ``*message*`` function returns: its sentences are shown to people."""
    if "message" not in function.name:
        return []
    return [
        node.value
        for node in ast.walk(function)
        if isinstance(node, ast.Return) and node.value is not None
    ]


def untranslated_messages() -> list[str]:
    parsed = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _modules()}
    error_classes = _error_classes(list(parsed.values()))
    forwarders_of = _forwarders(list(parsed.values()), error_classes)
    found: list[str] = []
    for (path, tree), forwarders in zip(parsed.items(), forwarders_of, strict=True):
        where = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(tree):
            candidates: list[ast.AST] = []
            if isinstance(node, ast.Call):
                candidates = _message_arguments(node, error_classes, forwarders)
            elif isinstance(node, ast.FunctionDef):
                candidates = _returned_messages(node)
            found.extend(
                f"{where}:{candidate.lineno}"
                for candidate in candidates
                if _bare_vietnamese(candidate)
            )
    return found


def test_every_user_facing_message_goes_through_the_catalogue():
    assert untranslated_messages() == [], "wrap these in _l(...) (or N_ for a label table)"


def _flagged(source: str) -> bool:
    tree = ast.parse(source)
    classes = _error_classes([tree])
    [forwarders] = _forwarders([tree], classes)
    return any(
        _bare_vietnamese(argument)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for argument in _message_arguments(node, classes, forwarders)
    )


def test_the_check_tells_messages_from_codes_and_logs():
    assert _flagged('raise Conflict("Tài khoản đã đóng.", code="account_closed")')
    assert _flagged('flash(f"Đã lưu {n} sạp.", "success")')
    assert _flagged('abort(404, description="Không tìm thấy.")')
    assert _flagged('class Own(NotFound): pass\nraise Own("Không có.")')
    assert not _flagged('raise Conflict(_l("Tài khoản đã đóng."), code="account_closed")')
    assert not _flagged('raise Conflict(_l("Sạp %(code)s.", code=code), code="stall_taken")')
    assert _flagged(
        "def _fail(field, code, message):\n    return ValidationFailed([FieldError(field, "
        "message, code)])\n"
        '_fail("phone", "invalid_phone", "Số điện thoại không hợp lệ.")'
    )
    assert not _flagged('logger.warning("Không gửi được thư: %s", error)')
    assert not _flagged('raise Conflict(code="tài_khoản")')
