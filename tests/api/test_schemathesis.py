"""Property-based run of the whole API from its own OpenAPI document (schemathesis).

Every operation is called with inputs generated from ``/api/v1/openapi.json`` — with a
valid partner token, so requests get past authentication into the real code — and every
answer must be no 5xx and match the documented schema for its status. Examples are
bounded so a run takes well under a minute per database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from market4 import create_app
from market4.registry.markets import ACCEPTING
from market4.registry.stalls import set_stall_status
from tests import factories

CHECKS = [not_a_server_error, response_schema_conformance]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(partner, staff_for):
    """Data for the calls to find: a market in the partner's scope with vendors, and staff."""
    home = factories.commune()
    market = factories.market(area=home)
    stalls = [factories.stall(market) for _ in range(4)]
    for stall in stalls[:2]:
        factories.registered_vendor(stall, org=partner.user.organisation)
    set_stall_status(stalls[0], ACCEPTING, reason="verified")
    return {"partner": partner, "staff": staff_for(home)}


def published_document() -> dict:
    """The document as served, from an app that needs no database to describe itself."""
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "sqlite://"})
    return app.test_client().get("/api/v1/openapi.json").get_json()


# Loaded once at collection; each operation becomes one test per database backend, and
# the calls go to that test's ``app`` (inside its rolled-back transaction).
schema = schemathesis.openapi.from_dict(published_document())


@schema.parametrize()
@SETTINGS
def test_partner_api_never_fails_and_keeps_its_schema(case, app, world):
    case.call_and_validate(app=app, headers=world["partner"].headers, checks=CHECKS)


@schema.include(path="/api/v1/stats").parametrize()
@SETTINGS
def test_staff_stats_never_fail_and_keep_their_schema(case, app, world):
    case.call_and_validate(app=app, headers=world["staff"].headers, checks=CHECKS)
