"""``market4 users create --scope …`` goes through the admin service: its checks, its audit."""

from __future__ import annotations

from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.auth.models import Organisation, User


def create(runner, email, scope, role="bank_partner"):
    return runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            email,
            "--role",
            role,
            "--scope",
            scope,
            "--password",
            "a long enough secret",
        ]
    )


def test_an_unknown_bin_is_a_one_line_error_and_creates_nothing(runner, session, banks):
    before = session.scalar(select(func.count()).select_from(Organisation))
    result = create(runner, "khoa@example.vn", "bank:999999")
    assert result.exit_code == 2
    assert "market4: bank_bin: Không có ngân hàng với BIN này." in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count()).select_from(Organisation)) == before
    assert session.scalar(select(User).where(User.email == "khoa@example.vn")) is None


def test_a_bank_scope_is_made_once_through_the_admin_service(runner, session, banks):
    assert create(runner, "khoa@example.vn", "bank:970405").exit_code == 0
    assert create(runner, "lan@example.vn", "bank:970405").exit_code == 0
    [branch] = session.scalars(select(Organisation).where(Organisation.bank_bin == "970405"))
    assert {user.email for user in branch.users} == {"khoa@example.vn", "lan@example.vn"}
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "Organisation", AuditEvent.action == "create"
        )
    )
    assert event.channel == "cli" and event.object_id == str(branch.id)


def test_an_area_scope_needs_a_known_unit(runner, session, areas):
    result = create(runner, "tai@example.vn", "area:2025/commune/26575", role="area_staff")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "tai@example.vn"))
    assert user.organisation.kind == "commune_office" and user.organisation.area == areas.ngai_giao
    unknown = create(runner, "x@example.vn", "area:2025/commune/00000", role="area_staff")
    assert unknown.exit_code == 2 and "unknown area" in unknown.output
