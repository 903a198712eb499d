"""The public home page and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

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
        db.session.rollback()
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        return {"status": "error", "database": "unreachable", "reason": reason}, 503
    return {"status": "ok", "database": "ok"}
