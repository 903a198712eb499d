"""Every blueprint the app serves, in registration order (one line per feature)."""

from __future__ import annotations

from flask import Blueprint


def all_blueprints() -> list[Blueprint]:
    from market4.activity.views import bp as activity
    from market4.admin.views import bp as admin
    from market4.api.tokens_views import bp as tokens
    from market4.auth.views import bp as auth
    from market4.dashboard.views import bp as dashboard
    from market4.home.views import bp as home
    from market4.imports.views import bp as imports
    from market4.markets import visits, walk  # noqa: F401 - their routes are on markets' bp
    from market4.markets.views import bp as markets
    from market4.placards.views import bp as placards
    from market4.vendors.views import bp as vendors

    return [home, auth, dashboard, admin, markets, vendors, placards, tokens, imports, activity]
