"""The vocabulary is the one list of codes: the database, the forms and the code agree with it."""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint

from market4 import vocabulary
from market4.extensions import db
from market4.vocabulary import (
    AccountKind,
    AccountStatus,
    ActivitySource,
    BatchStatus,
    MarketKind,
    OrganisationKind,
    PlacardStatus,
    QrCountBand,
    Role,
    StallRequestStatus,
    StallStatus,
)

PACKAGE = Path(vocabulary.__file__).resolve().parent
MIGRATIONS = PACKAGE.parent / "migrations" / "versions"

# Every CHECK constraint over a vocabulary column, and the enum it must allow.
CONSTRAINED = {
    ("users", "role"): Role,
    ("organisations", "kind"): OrganisationKind,
    ("markets", "kind"): MarketKind,
    ("stall_status_changes", "status"): StallStatus,
    ("stall_requests", "status"): StallRequestStatus,
    ("placards", "status"): PlacardStatus,
    ("payment_accounts", "kind"): AccountKind,
    ("payment_accounts", "status"): AccountStatus,
    ("import_batches", "status"): BatchStatus,
    ("payment_activity", "count_band"): QrCountBand,
    ("payment_activity", "source"): ActivitySource,
    ("activity_uploads", "status"): BatchStatus,
}


def _check_text(table: str, column: str) -> str:
    for constraint in db.metadata.tables[table].constraints:
        if isinstance(constraint, CheckConstraint) and str(constraint.sqltext).startswith(
            f"{column} IN ("
        ):
            return str(constraint.sqltext)
    raise AssertionError(f"no CHECK constraint on {table}.{column}")


def _allowed(sql: str) -> list[str]:
    return re.findall(r"'([^']*)'", sql)


@pytest.mark.parametrize(("table", "column"), CONSTRAINED)
def test_check_constraint_allows_exactly_the_enum(app, table, column):
    enum = CONSTRAINED[table, column]
    assert _allowed(_check_text(table, column)) == [member.value for member in enum]


@pytest.mark.parametrize(("table", "column"), CONSTRAINED)
def test_check_constraint_text_is_the_one_the_migrations_created(app, table, column):
    """Generated from the enum, the text is unchanged, so the schema needs no migration."""
    migrations = "\n".join(path.read_text() for path in MIGRATIONS.glob("*.py"))
    assert f"\"{_check_text(table, column)}\", name=op.f('ck_{table}_{column}')" in migrations


def test_every_label_table_names_each_member_once():
    tables = {
        vocabulary.Role: vocabulary.ROLE_LABELS,
        vocabulary.OrganisationKind: vocabulary.ORGANISATION_KIND_LABELS,
        vocabulary.MarketKind: vocabulary.MARKET_KIND_LABELS,
        vocabulary.StatusReason: vocabulary.STATUS_REASON_LABELS,
        vocabulary.VisitOutcome: vocabulary.VISIT_OUTCOME_LABELS,
        vocabulary.CheckResult: vocabulary.CHECK_RESULT_LABELS,
        vocabulary.RevokeReason: vocabulary.REVOKE_REASON_LABELS,
        vocabulary.PlacardLayout: vocabulary.PLACARD_LAYOUT_LABELS,
        vocabulary.SessionEndReason: vocabulary.SESSION_END_REASON_LABELS,
        vocabulary.QrCountBand: vocabulary.QR_COUNT_BAND_LABELS,
        vocabulary.ActivitySource: vocabulary.ACTIVITY_SOURCE_LABELS,
    }
    for enum, labels in tables.items():
        assert set(labels) == set(enum), enum
    assert set(vocabulary.STALL_STATUS_LABELS) == {*StallStatus, None}
    assert set(vocabulary.PLACARD_STATUS_LABELS) == {*PlacardStatus, None}


def test_vocabulary_depends_on_no_feature_package():
    tree = ast.parse(Path(vocabulary.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name and name.startswith("market4") for name in imported)


# Codes that are also ordinary words elsewhere (file modes, HTTP, filters) are left out;
# the roles and the multi-word codes are unmistakable.
GUARDED = {
    member.value
    for enum in (
        vocabulary.Role,
        vocabulary.OrganisationKind,
        vocabulary.StallStatus,
        vocabulary.StatusReason,
        vocabulary.VisitOutcome,
        vocabulary.CheckResult,
    )
    for member in enum
    if "_" in member.value or enum is vocabulary.Role
} | {member.value for enum in (vocabulary.StallStatus, vocabulary.PlacardStatus) for member in enum}


def _bare_codes(tree: ast.AST) -> list[ast.Constant]:
    """String constants equal to a code where a code is compared, tested for membership,
    passed by keyword or to a role check, or listed with other roles.

    Error codes (``code="stall_closed"``) are a separate vocabulary and are not scanned.
    """
    roles = {member.value for member in vocabulary.Role}
    found: list[ast.Constant] = []

    def constants(node: ast.AST) -> list[ast.Constant]:
        if isinstance(node, ast.Constant):
            return [node]
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return [elt for elt in node.elts if isinstance(elt, ast.Constant)]
        return []

    for node in ast.walk(tree):
        candidates: list[ast.AST] = []
        if isinstance(node, ast.Compare):
            candidates = [node.left, *node.comparators]
        elif isinstance(node, ast.keyword) and node.arg != "code":
            candidates = [node.value]
        elif isinstance(node, ast.Call) and (
            "role" in ast.unparse(node.func).lower() or ast.unparse(node.func) == "Principal"
        ):
            candidates = list(node.args)
        elif isinstance(node, ast.Set) or (
            isinstance(node, ast.Tuple | ast.List) and len(node.elts) > 1
        ):
            values = [getattr(elt, "value", None) for elt in node.elts]
            if all(value in roles for value in values):
                candidates = [node]
        for candidate in candidates:
            for constant in constants(candidate):
                if isinstance(constant.value, str) and constant.value in GUARDED:
                    found.append(constant)
    return found


def test_no_bare_vocabulary_code_in_the_package():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in {"demo", "translations"} or relative.name == "vocabulary.py":
            continue
        for constant in _bare_codes(ast.parse(path.read_text())):
            offenders.append(f"{relative}:{constant.lineno}: {constant.value!r}")
    assert not offenders, "use the enum from market4.vocabulary:\n" + "\n".join(offenders)


def test_the_scan_sees_a_bare_role():
    tree = ast.parse(
        'if user.role == "admin" or kind in ("bank_branch",): f(role="area_staff")\n'
        'raise Conflict("x", code="stall_closed")\n'
        'bp = Blueprint("admin", __name__)\n'
        'READERS = ("market_manager", "bank_partner")\n'
        'WRITERS = {"admin"}\n'
    )
    assert sorted(constant.value for constant in _bare_codes(tree)) == [
        "admin",
        "admin",
        "area_staff",
        "bank_branch",
        "bank_partner",
        "market_manager",
    ]


# Single-word statuses ("active", "open", "failed") are ordinary words elsewhere, so they
# are guarded only where a status is meant: compared with an object's ``.status`` or
# passed as ``status=``.
STATUS_WORDS = {
    member.value
    for enum in (AccountStatus, BatchStatus, PlacardStatus, StallRequestStatus)
    for member in enum
}


def _bare_statuses(tree: ast.AST) -> list[ast.Constant]:
    found: list[ast.Constant] = []

    def is_status(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "status"

    for node in ast.walk(tree):
        candidates: list[ast.AST] = []
        if isinstance(node, ast.Compare) and any(
            is_status(side) for side in (node.left, *node.comparators)
        ):
            candidates = [node.left, *node.comparators]
        elif isinstance(node, ast.keyword) and node.arg == "status":
            candidates = [node.value]
        for candidate in candidates:
            elements = (
                candidate.elts if isinstance(candidate, ast.Tuple | ast.List) else [candidate]
            )
            found += [
                element
                for element in elements
                if isinstance(element, ast.Constant) and element.value in STATUS_WORDS
            ]
    return found


def test_no_bare_status_word_in_the_package():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{constant.lineno}: {constant.value!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "vocabulary.py"
        for constant in _bare_statuses(ast.parse(path.read_text()))
    ]
    assert not offenders, "use the status enum from market4.vocabulary:\n" + "\n".join(offenders)


def test_the_scan_sees_a_bare_status_but_not_the_word():
    tree = ast.parse(
        'if account.status != "active" or batch.status in ("failed",): pass\n'
        'Placard(status="posted")\n'
        'if status == "closed": pass\n'
        'open("x", mode="open")\n'
    )
    assert sorted(constant.value for constant in _bare_statuses(tree)) == [
        "active",
        "failed",
        "posted",
    ]


def test_members_compare_equal_to_stored_text():
    assert Role.ADMIN == "admin"
    assert isinstance(Role.ADMIN, StrEnum)
