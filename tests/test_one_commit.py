"""One unit of work per request and per CLI command (market4.unit_of_work).

A refusal keeps nothing of what a service flushed before refusing, a success is
committed before the answer leaves, a failed commit never answers "saved", and no module
but the unit of work commits or rolls back on its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from flask import flash, redirect
from sqlalchemy import func, select

from market4 import unit_of_work
from market4.auth.models import LoginThrottle, Organisation, User
from market4.errors import Conflict
from market4.extensions import db
from tests import factories

PACKAGE = Path(__file__).resolve().parent.parent / "market4"

# Modules that may call ``.commit()`` / ``.rollback()`` on the session, and why.
ALLOWED = {
    # The single place that commits a web request and a CLI command.
    "unit_of_work.py": "the unit of work itself",
    # ``market4 setup`` keeps the reference data (banks, areas) even when the optional
    # demo built after it fails: setup code, one deliberate intermediate commit.
    "setup_cli.py": "setup: reference data kept before the optional demo",
    # The synthetic country is a bulk COPY load of millions of rows, not a request: the
    # reference data is committed before the COPY and ANALYZE runs on committed tables.
    "demo/national.py": "bulk load: commit before COPY, ANALYZE after it",
}


def session_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """``<anything>.commit()`` / ``<anything>.rollback()`` calls, e.g. db.session.commit()."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")
        ):
            found.append((node.lineno, ast.unparse(node.func)))
    return found


def test_only_the_unit_of_work_commits_or_rolls_back():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{relative}:{line}: {call}()" for line, call in session_calls(tree)]
    assert offenders == [], "commit/rollback outside market4/unit_of_work.py:\n" + "\n".join(
        offenders
    )


def test_the_scan_sees_a_commit():
    tree = ast.parse("def view():\n    db.session.commit()\n    session.rollback()\n")
    assert [call for _, call in session_calls(tree)] == ["db.session.commit", "session.rollback"]


def test_every_allowed_module_exists():
    assert all((PACKAGE / name).exists() for name in ALLOWED)


# --- web requests ----------------------------------------------------------------------

NAME = "Đơn vị thử giao dịch"


def organisations_named(name: str = NAME) -> int:
    return db.session.scalar(select(func.count()).where(Organisation.name == name))


def add_organisation(name: str = NAME) -> Organisation:
    row = Organisation(kind="province_office", name=name)
    db.session.add(row)
    db.session.flush()
    return row


def half_done_then_refused() -> None:
    """A service that flushes part of its work, then refuses."""
    add_organisation()
    raise Conflict("Không thực hiện được.", code="test_refusal")


@pytest.fixture
def routes(app):
    """Test views: each flushes an organisation and answers in its own way."""

    @app.route("/_t/refused", methods=["GET", "POST"])
    def refused():
        half_done_then_refused()

    @app.post("/_t/refused-caught")
    def refused_caught():
        try:
            half_done_then_refused()
        except Conflict as error:
            unit_of_work.discard()
            flash(error.message, "error")
        return redirect("/")

    @app.post("/_t/saved")
    def saved():
        add_organisation()
        flash("Đã lưu.", "success")
        return redirect("/")

    @app.post("/_t/form-422")
    def form_422():
        add_organisation()
        return "form with errors", 422

    @app.post("/_t/duplicate")
    def duplicate():
        # Not flushed: the unique e-mail clashes only when the unit of work commits.
        taken = db.session.scalar(select(User.email).limit(1))
        db.session.add(User(email=taken, name="x", role="admin"))
        flash("Đã lưu.", "success")
        return redirect("/")

    factories.user()  # an e-mail to collide with
    return app.test_client()


def after_request_state() -> int:
    """What the database holds: the test's session drops anything uncommitted first."""
    db.session.rollback()
    return organisations_named()


def test_a_successful_post_is_committed(routes):
    response = routes.post("/_t/saved")
    assert response.status_code == 302
    assert after_request_state() == 1


def test_an_unhandled_refusal_of_a_form_goes_back_with_the_message_and_keeps_nothing(routes):
    response = routes.post("/_t/refused", headers={"Referer": "http://localhost/trang-truoc"})
    assert response.status_code == 302
    assert response.location == "http://localhost/trang-truoc"
    assert after_request_state() == 0
    with routes.session_transaction() as cookie:
        assert ("error", "Không thực hiện được.") in cookie["_flashes"]


def test_an_unhandled_refusal_without_a_page_to_go_back_to_is_an_error_page(routes):
    for response in (
        routes.get("/_t/refused"),
        routes.post("/_t/refused", headers={"Referer": "https://elsewhere.example/"}),
    ):
        assert response.status_code == 409
        assert "text/html" in response.content_type
        assert "Không thực hiện được." in response.get_data(as_text=True)
    assert after_request_state() == 0


def test_a_refusal_caught_by_the_view_keeps_nothing_though_it_redirects(routes):
    response = routes.post("/_t/refused-caught")
    assert response.status_code == 302
    assert after_request_state() == 0


def test_a_form_answered_with_422_keeps_nothing(routes):
    assert routes.post("/_t/form-422").status_code == 422
    assert after_request_state() == 0


def test_a_failed_commit_answers_409_and_drops_the_saved_message(routes):
    response = routes.post("/_t/duplicate")
    assert response.status_code == 409
    assert "Location" not in response.headers
    with routes.session_transaction() as cookie:
        assert "_flashes" not in cookie
    # The session is usable again for the next request.
    assert routes.post("/_t/saved").status_code == 302
    assert after_request_state() == 1


def test_an_api_refusal_keeps_nothing(app):
    from flask import Blueprint

    from market4.api.errors import register

    api = Blueprint("_t_api", __name__, url_prefix="/api/v1/_t")
    register(api)

    @api.post("/refused")
    def api_refused():
        half_done_then_refused()

    app.register_blueprint(api)
    response = app.test_client().post("/api/v1/_t/refused")
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"].endswith("/test_refusal")
    assert after_request_state() == 0


def test_a_failed_sign_in_is_refused_yet_its_throttle_counter_is_kept(client, session):
    user = factories.user()
    response = client.post("/dang-nhap", data={"email": user.email, "password": "sai mật khẩu"})
    assert response.status_code == 401
    session.rollback()  # only what the request committed remains
    counters = session.scalars(select(LoginThrottle)).all()
    assert any(row.failures >= 1 and user.email in row.key for row in counters)


# --- the CLI ---------------------------------------------------------------------------


@pytest.fixture
def commands(app):
    @click.command("t-refused")
    @unit_of_work.cli_command
    def refused_command() -> None:
        half_done_then_refused()

    @click.command("t-saved")
    @click.option("--name", required=True)
    @unit_of_work.cli_command
    def saved_command(name: str) -> None:
        add_organisation(name)
        click.echo("saved")

    @click.command("t-failing")
    @unit_of_work.cli_command
    def failing_command() -> None:
        add_organisation()
        raise click.ClickException("something else went wrong")

    for command in (refused_command, saved_command, failing_command):
        app.cli.add_command(command)
    return app.test_cli_runner()


def test_a_cli_refusal_is_one_line_exit_1_and_keeps_nothing(commands):
    result = commands.invoke(args=["t-refused"])
    assert result.exit_code == 1
    assert result.stderr == "Error: Không thực hiện được.\n"
    assert "Traceback" not in result.output
    assert after_request_state() == 0


def test_a_cli_command_that_ends_well_is_committed(commands):
    result = commands.invoke(args=["t-saved", "--name", NAME])
    assert result.exit_code == 0, result.output
    assert after_request_state() == 1


def test_a_cli_error_or_usage_error_keeps_nothing(commands):
    failing = commands.invoke(args=["t-failing"])
    assert failing.exit_code == 1 and failing.stderr == "Error: something else went wrong\n"
    usage = commands.invoke(args=["t-saved"])  # --name missing
    assert usage.exit_code == 2
    assert after_request_state() == 0
