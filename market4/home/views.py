"""The public home page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from market4 import unit_of_work
from market4.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("home/index.html")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        unit_of_work.discard()
        # The reason goes to the operator's log only: the endpoint is public.
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        current_app.logger.error("healthz: database unavailable: %s", reason)
        return {"status": "error", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}
