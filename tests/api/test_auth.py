"""Bearer tokens: 401 with WWW-Authenticate, 403 for the wrong role, 429 with Retry-After."""

from __future__ import annotations

import pytest

from market4.api import tokens
from market4.api.auth import hash_secret
from market4.api.models import ApiToken
from market4.shared_state import RateLimit, RateLimitedError

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and isinstance(body["errors"], list)
    assert body["type"].startswith("https://market4.vn/problems/")
    if code:
        assert body["type"].endswith("/" + code)
    return body


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer m4_not-a-real-token"]
)
def test_missing_or_bad_token_is_401_with_challenge(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/markets", headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(client, partner, session):
    token = session.query(ApiToken).filter_by(token_hash=hash_secret(partner.secret)).one()
    tokens.revoke_token(token, actor=None)
    response = client.get("/api/v1/markets", headers=partner.headers)
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_of_deactivated_user_is_401(client, partner, session):
    partner.user.is_active = False
    session.flush()
    assert_problem(client.get("/api/v1/markets", headers=partner.headers), 401)


def test_only_the_hash_is_stored_and_use_is_recorded(client, partner, session):
    token = session.query(ApiToken).filter_by(user_id=partner.user.id).one()
    assert (
        token.token_hash == hash_secret(partner.secret) and partner.secret not in token.token_hash
    )
    assert partner.secret.startswith(token.prefix) and token.last_used_at is None
    assert client.get("/api/v1/markets", headers=partner.headers).status_code == 200
    session.refresh(token)
    assert token.last_used_at is not None


def test_wrong_role_is_403(client, partner, make_api_user):
    assert_problem(client.get("/api/v1/stats", headers=partner.headers), 403, "role_not_allowed")
    staff = make_api_user("area_staff")
    response = client.post("/api/v1/vendors", headers=staff.headers, json={})
    assert_problem(response, 403, "role_not_allowed")


def test_rate_limit_answers_429_with_retry_after(app, client, partner):
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 3
    statuses = [
        client.get("/api/v1/markets", headers=partner.headers).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/markets", headers=partner.headers)
    assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_rate_limit_counts_each_key_on_its_own():
    limit = RateLimit(2, namespace="api-token")
    limit.hit(1)
    limit.hit(1)
    limit.hit(2)  # another token has its own count
    with pytest.raises(RateLimitedError) as refused:
        limit.hit(1)
    assert 1 <= refused.value.retry_after <= 60
    assert RateLimit(0, namespace="api-token").hit(1) is None  # 0 switches the limit off


def test_docs_and_openapi_need_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "js/api-docs.js" in html
    # The page's script asks nothing of the outside world (no online validator).
    response = client.get("/static/js/api-docs.js")
    assert "validatorUrl: null" in response.get_data(as_text=True)
    response.close()
    assert "//cdn" not in html and "unpkg" not in html
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200


def test_read_cache_serves_repeats_and_never_outlives_a_change(
    app, client, partner, stall, body_for, session
):
    app.config["API_READ_CACHE_SECONDS"] = 30
    first = client.get("/api/v1/vendors", headers=partner.headers)
    again = client.get("/api/v1/vendors", headers=partner.headers)
    assert (first.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit")
    assert again.get_json() == first.get_json() and again.get_json()["total"] == 0
    created = client.post("/api/v1/vendors", headers=partner.headers, json=body_for(stall))
    assert created.status_code == 201
    after_write = client.get("/api/v1/vendors", headers=partner.headers)
    assert after_write.headers["X-Cache"] == "miss" and after_write.get_json()["total"] == 1
    token = session.query(ApiToken).filter_by(token_hash=hash_secret(partner.secret)).one()
    tokens.revoke_token(token, actor=None)
    assert_problem(client.get("/api/v1/vendors", headers=partner.headers), 401)


def test_read_cache_is_per_token(app, client, partner, other_partner):
    app.config["API_READ_CACHE_SECONDS"] = 30
    assert client.get("/api/v1/markets", headers=partner.headers).headers["X-Cache"] == "miss"
    assert client.get("/api/v1/markets", headers=other_partner.headers).headers["X-Cache"] == "miss"
    assert_problem(client.get("/api/v1/stats", headers=partner.headers), 403)
    assert "X-Cache" not in client.get("/api/v1/stats", headers=partner.headers).headers
