"""``market4 tokens``: create, list and revoke API tokens from the command line.

Same services as the "Khóa API" page; ``create`` prints the secret once (on its own
line, so a script can capture it: ``market4 tokens create --email … | tail -1``).
"""

from __future__ import annotations

import click
from sqlalchemy import select

from market4.api import tokens
from market4.auth.models import User
from market4.extensions import db
from market4.formatting import vn_date
from market4.unit_of_work import cli_command


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        user = db.session.scalar(select(User).where(User.email == email.strip()))
    if user is None:
        raise click.UsageError(f"no user with e-mail {email!r}")
    return user


@click.group("tokens")
def tokens_group() -> None:
    """API tokens of users (the partner API at /api/v1)."""


@tokens_group.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", default="CLI", show_default=True, help="A label to recognise the token by.")
@cli_command
def create_command(email: str, name: str) -> None:
    """Create a token and print its secret (shown only this once)."""
    user = _user(email)
    new = tokens.create_token(user, name, actor=None, channel="cli")
    click.echo(
        f"Token {new.token.id} “{new.token.name}” for {user.email} ({user.role}). "
        "Copy the secret now, it is not stored:",
        err=True,
    )
    click.echo(new.secret)


@tokens_group.command("list")
@click.option("--email", required=True)
def list_command(email: str) -> None:
    """The user's tokens (prefix only), newest first."""
    user = _user(email)
    rows = tokens.list_tokens(user)
    if not rows:
        click.echo(f"{user.email} has no API tokens.")
        return
    click.echo(f"{'ID':>5}  {'prefix':<12} {'created':<10} {'last used':<10} {'status':<16} name")
    for token in rows:
        status = f"revoked {vn_date(token.revoked_at)}" if token.revoked_at else "active"
        click.echo(
            f"{token.id:>5}  {token.prefix + '…':<12} {vn_date(token.created_at):<10} "
            f"{vn_date(token.last_used_at):<10} {status:<16} {token.name}"
        )


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@cli_command
def revoke_command(token_id: int) -> None:
    """Revoke token TOKEN_ID (see ``tokens list``) from now on."""
    token = tokens.revoke_token(tokens.get_token(token_id), actor=None, channel="cli")
    click.echo(f"Revoked token {token.id} ({token.prefix}…) of {token.user.email}.")
