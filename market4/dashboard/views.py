"""The dashboard: acceptance figures for the viewer's area, and the table as CSV/XLSX.

Every signed-in role may look; what each sees is decided by ``auth.scope`` alone.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from market4.dashboard import exports
from market4.dashboard.charts import rate_charts
from market4.dashboard.report import Dashboard, build_dashboard
from market4.paging import MARKETS_PER_PAGE, paginate
from market4.parsing import ascii_int
from market4.read_replica import read_from_replica

bp = Blueprint("dashboard", __name__, url_prefix="/tong-quan")
# Figures and exports are read-only and the heaviest queries: the replica takes them.
bp.before_request(read_from_replica)


@bp.get("/")
@login_required
def index():
    dashboard = _dashboard(with_charts=True)
    charts = rate_charts(
        dashboard.trend,
        threshold=dashboard.filters.threshold,
        threshold_label=dashboard.filters.threshold_label,
        months=dashboard.paid_trend,
    )
    markets_page = paginate(dashboard.rows, ascii_int(request.args.get("trang")), MARKETS_PER_PAGE)
    return render_template(
        "dashboard/index.html",
        dashboard=dashboard,
        charts=charts,
        markets_page=markets_page,
        market_url=_market_url,
    )


@bp.get("/xuat.csv")
@login_required
def export_csv():
    dashboard = _dashboard(with_charts=False)
    return _download(
        exports.market_table_csv(dashboard),
        exports.CSV_CONTENT_TYPE,
        exports.filename(dashboard, "csv"),
    )


@bp.get("/xuat.xlsx")
@login_required
def export_xlsx():
    dashboard = _dashboard(with_charts=False)
    return _download(
        exports.market_table_xlsx(dashboard),
        exports.XLSX_CONTENT_TYPE,
        exports.filename(dashboard, "xlsx"),
    )


def _dashboard(*, with_charts: bool) -> Dashboard:
    return build_dashboard(
        current_user,
        request.args,
        with_charts=with_charts,
        default_threshold=current_app.config["CASHLESS_MARKET_THRESHOLD"],
    )


def _download(body: bytes, content_type: str, filename: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Figures for a viewer's scope: keep them out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _market_url(code: str) -> str | None:
    """The market's own page, once the markets blueprint provides one; else no link."""
    if "markets.show" not in current_app.view_functions:
        return None
    try:
        return url_for("markets.show", code=code)
    except BuildError:
        return None
