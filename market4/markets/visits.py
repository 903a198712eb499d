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

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import NotFound

from market4 import idempotency, queued
from market4.auth.access import role_required
from market4.errors import DomainError
from market4.markets import forms, services
from market4.markets.views import WRITERS, _stall_page, bp, can_manage
from market4.placards import observations
from market4.problem_json import wants_json
from market4.registry import scope
from market4.registry.markets import Market, Stall, VerificationVisit
from market4.vocabulary import OUTCOME_LABELS
from market4.vocabulary import STALL_STATUS_LABELS as STATUS_LABELS

#: The response header that lets the service worker keep a page, naming its owner.
OWNER_HEADER = "X-Offline-Owner"
#: The pages a phone may keep for walking a market offline.
OFFLINE_PAGES = frozenset({"markets.walk_list", "markets.walk_stall", "markets.stall"})


@bp.post("/<code>/sap/<int:stall_id>/kiem-tra")
@role_required(*WRITERS)
def visit(code: str, stall_id: int):
    if wants_json():
        return _answer_queued_visit(code, stall_id)
    market = scope.get_market_or_404(current_user, code)
    stall = scope.get_stall_or_404(current_user, market, stall_id)
    key, seen, stored = idempotency.page_key(current_user.id)
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


def _went_on(answer: dict[str, Any], key: str | None):
    flash(answer["message"], "success")
    idempotency.note_recorded(key)
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


def _answer_queued_visit(code: str, stall_id: int):
    """201 with :func:`_answer`, or a refusal (``market4.queued``). A retry with the same
    ``Idempotency-Key`` (same user, same fields) gets the first 201 again."""
    return queued.answer_once(current_user.id, lambda: _record_queued(code, stall_id))


def _record_queued(code: str, stall_id: int):
    try:
        market = scope.get_market_or_404(current_user, code)
        stall = scope.get_stall_or_404(current_user, market, stall_id)
    except NotFound:
        return queued.stall_not_found()
    form = forms.VisitForm()
    if not form.validate_on_submit():
        return queued.form_refusal(form)
    try:
        recorded = services.record_visit(
            stall, form.outcome.data, actor=current_user, **form.visit_arguments()
        )
    except DomainError as error:
        return queued.domain_refusal(error, {"on": "visited_on"})
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
        "offline_recorded": idempotency.recorded_keys,
    }
