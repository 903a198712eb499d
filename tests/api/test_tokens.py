"""API tokens: the service, the "Khóa API" page (secret shown once) and ``market4 tokens``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from market4.api import tokens
from market4.api.auth import hash_secret
from market4.api.models import ApiToken
from market4.errors import Conflict, PermissionDenied, ValidationFailed
from tests import factories
from tests.clients import sign_in_directly

sign_in = sign_in_directly


def test_create_list_revoke(session):
    user = factories.user("bank_partner")
    new = tokens.create_token(user, "  Máy chủ   CRM ", actor=user)
    assert new.token.name == "Máy chủ CRM" and new.secret.startswith("m4_") and len(new.secret) > 40
    assert new.token.token_hash == hash_secret(new.secret)
    assert tokens.list_tokens(user) == [new.token]
    tokens.revoke_token(new.token, actor=user)
    assert new.token.revoked_at is not None and tokens.active_tokens(user) == []
    with pytest.raises(Conflict):
        tokens.revoke_token(new.token, actor=user)


def test_create_refusals(session):
    user = factories.user("bank_partner")
    with pytest.raises(ValidationFailed):
        tokens.create_token(user, "   ", actor=user)
    for n in range(tokens.ACTIVE_TOKENS_MAX):
        tokens.create_token(user, f"k{n}", actor=user)
    with pytest.raises(Conflict):
        tokens.create_token(user, "one too many", actor=user)
    user.is_active = False
    with pytest.raises(PermissionDenied):
        tokens.create_token(user, "inactive", actor=user)


def test_page_shows_the_secret_once_and_revokes(client, session):
    user = factories.user("bank_partner")
    sign_in(client, user)
    assert client.get("/khoa-api/").status_code == 200
    created = client.post("/khoa-api/", data={"name": "CRM chi nhánh"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    secret = re.search(r"m4_[A-Za-z0-9_-]{43}", html).group(0)
    assert (
        client.get("/api/v1/markets", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    listing = client.get("/khoa-api/").get_data(as_text=True)
    assert secret not in listing and secret[:10] in listing and "CRM chi nhánh" in listing
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    revoked = client.post(f"/khoa-api/{token.id}/thu-hoi", follow_redirects=True)
    assert revoked.status_code == 200 and "Đã thu hồi" in revoked.get_data(as_text=True)
    assert (
        client.get("/api/v1/markets", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_page_refuses_an_empty_name_next_to_the_field(client):
    sign_in(client, factories.user("bank_partner"))
    response = client.post("/khoa-api/", data={"name": ""})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_others_tokens_cannot_be_revoked(client, session):
    owner, other = factories.user("bank_partner"), factories.user("bank_partner")
    token = tokens.create_token(owner, "x", actor=owner).token
    sign_in(client, other)
    assert client.post(f"/khoa-api/{token.id}/thu-hoi").status_code == 404
    assert token.revoked_at is None


def test_signed_out_goes_to_sign_in(client):
    assert client.get("/khoa-api/").status_code == 302


def test_cli_create_list_revoke(runner, session):
    user = factories.user(
        "area_staff",
        factories.organisation("commune_office", bank_bin=None, area=factories.commune()),
    )
    created = runner.invoke(args=["tokens", "create", "--email", user.email, "--name", "Báo cáo"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("m4_")
    listed = runner.invoke(args=["tokens", "list", "--email", user.email])
    assert (
        secret[:10] in listed.output and secret not in listed.output and "active" in listed.output
    )
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    revoked = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    again = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert again.exit_code != 0
    assert runner.invoke(args=["tokens", "create", "--email", "nobody@x.vn"]).exit_code != 0
