"""Verification visits: the outcome buttons of the stall page and of walk mode, and the
same visit sent later by a phone that recorded it offline (docs/offline.md).

One route records a visit, ``POST /cho/<code>/sap/<id>/kiem-tra``, with one form and one
service (``services.record_visit``). A page's form gets the page back (a flash and a
redirect, or the form with its errors); the offline queue of ``static/js/offline.js``
asks for JSON and sends an ``Idempotency-Key``, so a retry after a lost answer replays
the first answer (``market4.idempotency``) instead of recording the visit twice, and a
refusal (stall closed, placard superseded or revoked since, no longer allowed) comes
back as ``{"error", "message", "errors"}`` for the phone to show.

Pages for walking offline: every page answers ``Cache-Control: no-store``
(``security.headers``), which keeps them out of the browser's HTTP cache. The service
worker (``static/js/service-worker.js``) keeps copies of its own, of the pages marked
here (:func:`mark_offline_copy`) and no other: the walk list, the walk steps and the
stall pages as read by someone who records visits, each marked with its owner, so a
phone never shows one user's copies to another.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import NotFound

from market4 import idempotency
from market4.auth.access import role_required
from market4.errors import DomainError, ValidationFailed
from market4.markets import forms, observations, services
from market4.markets.views import WRITERS, _stall_page, bp, can_manage
from market4.problem_json import wants_json
from market4.registry import scope
from market4.registry.markets import Market, Stall, VerificationVisit
from market4.vocabulary import OUTCOME_LABELS
from market4.vocabulary import STALL_STATUS_LABELS as STATUS_LABELS

#: The response header that lets the service worker keep a page, naming its owner.
OWNER_HEADER = "X-Offline-Owner"
#: The pages a phone may keep for walking a market offline.
OFFLINE_PAGES = frozenset({"markets.walk_list", "markets.walk_stall", "markets.stall"})
#: The key of a page's own post (a form sends no headers; the queue's retry sends it in
#: ``Idempotency-Key`` as well).
KEY_FIELD = "idempotency_key"
#: Fields the fingerprint ignores: a retry carries a fresh CSRF token, and the key.
NOT_FINGERPRINTED = ("csrf_token", KEY_FIELD)
#: Keys of visits a page's own post recorded, for the next page to drop from the queue.
RECORDED = "market4_offline_recorded"


@bp.post("/<code>/sap/<int:stall_id>/kiem-tra")
@role_required(*WRITERS)
def visit(code: str, stall_id: int):
    if wants_json():
        return _answer_queued_visit(code, stall_id)
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    key, seen, stored = _page_key()
    if stored is not None:
        return _went_on(stored.response_body, key)
    form = forms.VisitForm()
    if not form.validate_on_submit():
        return _stall_page(market, stall, 422, visit_form=form)
    try:
        recorded = services.record_visit(
            stall, form.outcome.data, actor=current_user, **form.visit_arguments()
        )
    except DomainError as error:
        loose = forms.show_errors(form, error, {"on": "visited_on"})
        return _stall_page(market, stall, error.status, visit_form=form, visit_errors=loose)
    answer = _answer(market, stall, form, recorded)
    if key is not None:
        try:
            idempotency.remember(current_user.id, key, seen, 201, answer)
        except idempotency.KeyRefused:
            abort(409)  # the queue sent the same visit at the same moment, and won
    return _went_on(answer, key)


def _page_key() -> tuple[str | None, str, idempotency.IdempotencyRecord | None]:
    """The key a page's own post carries (the offline script adds it: if the answer is
    lost on the way, the phone sends the visit again with it), the post's fingerprint,
    and the answer already stored under the key (the phone's copy arrived first)."""
    key = request.form.get(KEY_FIELD)
    if not key or not idempotency.is_valid_key(key):
        return None, "", None
    seen = idempotency.fingerprint(leave_out=NOT_FINGERPRINTED)
    try:
        stored = idempotency.stored_answer(current_user.id, key, seen)
    except idempotency.KeyRefused:
        return None, "", None  # the key came with another visit: this one is itself
    return key, seen, stored


def _went_on(answer: dict[str, Any], key: str | None):
    flash(answer["message"], "success")
    if key is not None:
        session[RECORDED] = [*session.get(RECORDED, []), key][-20:]
    return redirect(answer["next"])


def _answer(
    market: Market, stall: Stall, form: forms.VisitForm, recorded: VerificationVisit
) -> dict[str, Any]:
    """What a recorded visit answers (JSON, or the flash and redirect of a page)."""
    status = services.current_status(stall)
    if form.back.data == "walk":  # walk mode: straight on to the next stall
        following = url_for(
            "markets.walk_next", code=market.code, stall_id=stall.id, ds=form.walk_list.data
        )
    else:
        following = url_for(
            "markets.stall", code=market.code, stall_id=stall.id, _anchor="kiem-tra"
        )
    return {
        "visit": {
            "id": recorded.id,
            "stall_id": stall.id,
            "outcome": recorded.outcome,
            "visited_on": recorded.visited_on.isoformat(),
            "recorded_at": recorded.recorded_at.isoformat(),
        },
        "stall": {"id": stall.id, "code": stall.code, "status": status},
        "message": _(
            "Đã ghi nhận “%(outcome)s”. Trạng thái sạp: %(status)s.",
            outcome=OUTCOME_LABELS[recorded.outcome],
            status=STATUS_LABELS[status],
        ),
        "next": following,
    }


# --- a visit sent by the offline queue ----------------------------------------------------

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


def _refusal(code: str, message: str, status: int, errors: list[dict[str, str]] | None = None):
    return {"error": code, "message": message, "errors": errors or []}, status


def _answer_queued_visit(code: str, stall_id: int):
    """201 with :func:`_answer`, or a refusal ``{"error", "message", "errors"}``. A retry
    with the same ``Idempotency-Key`` (same user, same fields) gets the first 201 again."""
    try:
        return idempotency.answer_once(
            current_user.id, lambda: _record_queued(code, stall_id), leave_out=NOT_FINGERPRINTED
        )
    except idempotency.KeyRefused as refused:
        return _refusal(refused.code, _KEY_REFUSALS[refused.code](), refused.status)


def _record_queued(code: str, stall_id: int):
    try:
        market = scope.get_market_or_404(current_user, code)
        stall = scope.get_stall_or_404(current_user, market, stall_id)
    except NotFound:
        message = _("Không tìm thấy sạp này trong các chợ bạn được ghi kiểm tra.")
        return _refusal("stall_not_found", message, 404)
    form = forms.VisitForm()
    if not form.validate_on_submit():
        errors = [
            {"field": name, "message": str(message), "code": "invalid"}
            for name, messages in form.errors.items()
            for message in messages
        ]
        return _refusal("validation_failed", errors[0]["message"], 422, errors)
    try:
        recorded = services.record_visit(
            stall, form.outcome.data, actor=current_user, **form.visit_arguments()
        )
    except DomainError as error:
        errors = [
            {
                "field": "visited_on" if problem.field == "on" else problem.field,
                "message": problem.message,
                "code": problem.code,
            }
            for problem in (error.errors if isinstance(error, ValidationFailed) else [])
        ]
        message = errors[0]["message"] if errors else error.message
        return _refusal(error.code, message, error.status, errors)
    return _answer(market, stall, form, recorded), 201


@bp.get("/ngoai-tuyen/phien")
@role_required(*WRITERS)
def offline_session():
    """What the offline queue asks before it sends: whose visits this session may send,
    and a CSRF token of this session (the page's may have expired while the phone was
    offline, or belong to a session that has ended since). Signed out: the sign-in
    redirect, which the queue reads as "sign in again"."""
    return {"owner": _owner(), "csrf_token": generate_csrf()}


# --- pages kept for walking offline -----------------------------------------------------


def _owner() -> str:
    """Whose copies and queued visits these are: the signed-in user's id, "" for nobody."""
    return str(current_user.id) if current_user.is_authenticated else ""


@bp.after_request
def mark_offline_copy(response: Response) -> Response:
    """A page of :data:`OFFLINE_PAGES`, as someone who records visits read it, may be
    kept by their phone's service worker."""
    if (
        request.method == "GET"
        and response.status_code == 200
        and request.endpoint in OFFLINE_PAGES
        and can_manage()
    ):
        response.headers[OWNER_HEADER] = _owner()
    return response


@bp.app_context_processor
def offline_context() -> dict[str, Any]:
    """For ``templates/_offline.html``, on every page of the site."""
    return {
        "offline_owner": _owner,
        "offline_visits": can_manage,
        "offline_page": lambda: request.endpoint in OFFLINE_PAGES and can_manage(),
        "offline_max_age_days": observations.MAX_AGE.days,
        "offline_recorded": lambda: session.pop(RECORDED, []),
    }
