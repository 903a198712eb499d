"""``market4 users …``: the first admin, any user from the command line, and signing a
user out everywhere. Organisations are made through the admin service, with its checks
and its audit, as on the admin pages."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from market4 import idempotency
from market4.admin.services import OrganisationData, create_organisation
from market4.areas.services import find_unit
from market4.auth import sessions, throttle
from market4.auth.models import Organisation, User
from market4.auth.services import create_user, sign_out_everywhere
from market4.db import now_utc
from market4.errors import ValidationFailed
from market4.extensions import db
from market4.parsing import ascii_int
from market4.registry.markets import Market
from market4.unit_of_work import cli_command
from market4.vocabulary import OrganisationKind, Role


@click.group("users")
def users_group() -> None:
    """Users and their roles."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Display name (default: the e-mail's local part).")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option(
    "--scope",
    default=None,
    help="Organisation id or exact name; for a new scope give bank:BIN, "
    "area:SCHEME/LEVEL/CODE (e.g. area:2025/commune/26575) or market:CODE[,CODE].",
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@cli_command
def create_command(
    email: str, name: str | None, role: str, scope: str | None, password: str
) -> None:
    """Create a user (e.g. the first admin: --role admin)."""
    try:
        organisation, markets = _scope(scope)
        user = create_user(
            email=email,
            name=name or email.split("@")[0],
            role=role,
            password=password,
            organisation=organisation,
            channel="cli",
        )
    except ValidationFailed as failure:
        for error in failure.errors:
            click.echo(f"market4: {error.field}: {error.message}", err=True)
        raise SystemExit(2) from None
    user.markets = markets
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


# The organisation kind for an office of each administrative level.
_OFFICE_KINDS = {
    "province": "province_office",
    "commune": "commune_office",
    "district": "district_office",
}


def _scope(scope: str | None) -> tuple[Organisation | None, list[Market]]:
    """The organisation (found, or made through the admin service with its checks and
    audit) and managed markets that ``--scope`` names."""
    if not scope:
        return None, []
    kind, _, value = scope.partition(":")
    if kind == "market":
        codes = [code.strip() for code in value.split(",") if code.strip()]
        markets = list(db.session.scalars(select(Market).where(Market.code.in_(codes))))
        missing = set(codes) - {market.code for market in markets}
        if missing:
            raise click.UsageError(f"unknown market code(s): {', '.join(sorted(missing))}")
        return None, markets
    if kind == "bank":
        data = OrganisationData(
            kind=OrganisationKind.BANK_BRANCH, name=f"Chi nhánh {value}", bank_bin=value
        )
    elif kind == "area":
        scheme, level, code = (value.split("/") + ["", "", ""])[:3]
        area = find_unit(scheme, level, code)
        if area is None:
            raise click.UsageError(f"unknown area {value!r}; run 'market4 areas load' first?")
        data = OrganisationData(
            kind=_OFFICE_KINDS.get(level, "commune_office"), name=area.full_name, area=area
        )
    else:
        return _existing_organisation(scope), []
    existing = db.session.scalar(
        select(Organisation).filter_by(
            kind=data.kind, name=data.name, bank_bin=data.bank_bin, area=data.area
        )
    )
    if existing is not None:
        return existing, []
    return create_organisation(data, actor=None, channel="cli"), []


def _existing_organisation(scope: str) -> Organisation:
    number = ascii_int(scope)
    query = select(Organisation).where(
        Organisation.id == number if number is not None else Organisation.name == scope
    )
    organisation = db.session.scalar(query)
    if organisation is None:
        raise click.UsageError(f"no organisation {scope!r}")
    return organisation


@users_group.command("sign-out-everywhere")
@click.argument("email")
@cli_command
def sign_out_everywhere_command(email: str) -> None:
    """End every session of the user with EMAIL at once (a lost phone, a leaked password)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.UsageError(f"no user with e-mail {email!r}")
    count = sign_out_everywhere(user, actor=None, channel="cli")
    click.echo(f"Signed {user.email} out of {count} session(s).")


@users_group.command("prune")
@cli_command
def prune_command() -> None:
    """Forget stale sign-in throttle counters, sessions that ended over 30 days ago and
    the answers kept for retries (Idempotency-Key) over 30 days ago (run daily, e.g. from
    cron: a password-spraying attack leaves rows behind, and every retried POST one)."""
    now = now_utc()
    counters = throttle.prune(now)
    ended = sessions.prune(now, sessions.lifetimes())
    answers = idempotency.prune(now)
    click.echo(
        f"Removed {counters} throttle counter(s), {ended} ended session(s) and "
        f"{answers} answer(s) kept for retries."
    )
