"""One unit of work per web request: the only place a request's writes are committed.

Views and API handlers call services (which flush) and return a response; they never
commit or roll back. When the view has answered, :func:`finish` decides:

* **commit** when the response status is below 400 and nothing called :func:`discard`;
* **roll back** otherwise: every 4xx/5xx answer (an API problem, a form re-rendered with
  422, a page refused by :func:`market4.errors_pages` from a :class:`DomainError`) and
  every request whose view caught a ``DomainError`` and still answers below 400 (a
  flash and redirect, a form re-rendered with 200): such a view calls :func:`discard`,
  because the service may have flushed half of its work before it refused.

So a refusal never keeps partial work, on any status. The deliberate exception is
:func:`keep_despite_refusal`: a failed sign-in answers 401/429 yet its record (the
throttle counters and the access log, :mod:`market4.auth.throttle`) must persist, or
password guessing would never be held back; a CLI import keeps its batch report.

The commit happens in ``after_request``, before the response is sent and before the
cookie session is saved: when it fails (a unique constraint lost to a concurrent request,
a serialization failure) the client gets 409 (integrity) or 503 (any other database
error) instead of the "saved" redirect, and the success flash queued for the next page
is dropped, so nothing claims a save that did not happen.

GET requests commit too, when they succeed: a few write on purpose, namely the signed-in
session's ``last_seen_at`` (:mod:`market4.auth.access`) and an API token's
``last_used_at`` (:mod:`market4.api.auth`), both at most once every few minutes. A failed
request keeps neither, which costs nothing (the next request records it). Each is a
row update held until the request ends; at most once every few minutes a parallel
request of the same session or token waits for it, which we accept for one transaction.

An exception that escapes every handler (tests propagate them) is rolled back in
``teardown_request``.

The CLI follows the same rule through one decorator, :func:`cli_command`, on every
command that writes: it commits when the command ends normally (returns, or exits with
status 0) and rolls back on any error or non-zero exit. A :class:`DomainError` the
command does not handle itself becomes one line ``Error: <message>`` on stderr and exit
status 1; click's usage errors keep click's status 2; never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import click
from flask import Flask, Response, g, render_template, session
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import default_exceptions

from market4.errors import DomainError
from market4.extensions import db
from market4.problem_json import is_api_path, problem

logger = logging.getLogger(__name__)

_DISCARD = "_unit_of_work_discard"
_KEEP = "_unit_of_work_keep"
_AFTER_COMMIT = "_unit_of_work_after_commit"


def discard() -> None:
    """Undo what this request wrote so far and keep it from committing anything later.

    For views that catch a refusal and still answer: the page they render next shows the
    database as it is, without the half of the work the service flushed before refusing.
    """
    db.session.rollback()
    g.setdefault(_DISCARD, True)


def keep_despite_refusal() -> None:
    """Commit what was written although the answer is a refusal (4xx, a non-zero exit):
    it is the record of the refusal itself (throttle counters, an import's report)."""
    g.setdefault(_KEEP, True)


def after_commit(action: Callable[[], Any]) -> None:
    """Run ``action`` once this request's (or CLI command's) writes are committed, and
    never if they are not: for telling another process about rows it must be able to
    read, such as a print job handed to a worker (``placards.jobs``)."""
    g.setdefault(_AFTER_COMMIT, []).append(action)


def _run_after_commit() -> None:
    for action in g.pop(_AFTER_COMMIT, []):
        action()


def commit_job_step() -> None:
    """Commit one step of a long job (``placards.jobs``): one market's placards together
    with the job's progress, so a job stopped anywhere resumes where it stood.

    The one commit outside a request's or a command's end. A job run inline by a request
    or a command commits its steps here and the request or command commits the rest.
    """
    db.session.commit()


def abandon_job_step() -> None:
    """Drop what a failed step of a long job flushed; the steps committed before stay."""
    db.session.rollback()


def succeeded(response: Response) -> bool:
    if g.get(_DISCARD):
        return False
    return response.status_code < 400 or bool(g.get(_KEEP))


def finish(response: Response) -> Response:
    """``after_request``: commit a successful request, roll back any other."""
    if not succeeded(response):
        db.session.rollback()
        g.pop(_AFTER_COMMIT, None)
        return response
    try:
        db.session.commit()
    except DBAPIError as error:
        db.session.rollback()
        g.pop(_AFTER_COMMIT, None)
        return _commit_failed(error)
    _run_after_commit()
    return response


def _commit_failed(error: DBAPIError) -> Response:
    session.pop("_flashes", None)  # the "saved" message of a save that did not happen
    if isinstance(error, IntegrityError):
        status, code = 409, "concurrent_change"
        detail = "A concurrent request changed the same data; retry."
        message = _("Dữ liệu vừa bị thay đổi bởi một thao tác khác. Vui lòng thử lại.")
    else:
        logger.exception("Commit failed")
        status, code = 503, "commit_failed"
        detail = "The change could not be saved; retry."
        message = _("Chưa lưu được thay đổi. Vui lòng thử lại.")
    if is_api_path():
        return problem(status, code, detail)
    page = render_template("errors/error.html", error=default_exceptions[status](), message=message)
    return Response(page, status=status, mimetype="text/html")


def _roll_back_on_escape(error: BaseException | None) -> None:
    if error is not None:
        db.session.rollback()


def init_app(app: Flask) -> None:
    # Registered first, so Flask (which runs after_request hooks in reverse order) runs it
    # last: every other hook has written what it wanted before the commit.
    app.after_request_funcs.setdefault(None, []).insert(0, finish)
    app.teardown_request(_roll_back_on_escape)


P = ParamSpec("P")
R = TypeVar("R")


def cli_command(command: Callable[P, R]) -> Callable[P, R]:
    """The unit of work of one CLI command (put it right above the ``def``)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # The app context (and so ``g``) may outlive one command (tests, ``market4 shell``).
        g.pop(_DISCARD, None)
        g.pop(_KEEP, None)
        g.pop(_AFTER_COMMIT, None)
        try:
            result = command(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        except (SystemExit, click.exceptions.Exit) as stop:
            _end_cli(_exit_status(stop) == 0 or bool(g.get(_KEEP)))
            raise
        except BaseException:
            db.session.rollback()
            raise
        _end_cli(True)
        return result

    return run


def _exit_status(stop: SystemExit | click.exceptions.Exit) -> Any:
    status = stop.exit_code if isinstance(stop, click.exceptions.Exit) else stop.code
    return status or 0


def _end_cli(keep: bool) -> None:
    if not keep or g.get(_DISCARD):
        db.session.rollback()
        g.pop(_AFTER_COMMIT, None)
        return
    try:
        db.session.commit()
    except DBAPIError as error:
        db.session.rollback()
        g.pop(_AFTER_COMMIT, None)
        if isinstance(error, IntegrityError):
            raise click.ClickException(
                "a concurrent change touched the same data; nothing was saved, run it again"
            ) from None
        reason = str(error.orig or error).strip().splitlines()[0]
        raise click.ClickException(f"nothing was saved: {reason}") from None
    _run_after_commit()
