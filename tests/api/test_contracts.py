"""Contract tests: real responses validated against the published ``/api/v1/openapi.json``.

The document is generated from the marshmallow schemas that validate requests, so this
checks that what the API answers is what it promises — status by status, including the
problem+json errors. OpenAPI 3.0's ``nullable`` is turned into JSON Schema's ``null``
type; everything else is validated as written (formats included).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from market4.registry.markets import ACCEPTING
from market4.registry.stalls import set_stall_status
from tests import factories

SPEC_URI = "urn:market4:openapi"


def as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects → JSON Schema 2020-12 (nullable, local refs)."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if isinstance(converted.get("$ref"), str) and converted["$ref"].startswith("#/"):
        converted["$ref"] = SPEC_URI + converted["$ref"]
    if node.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


class Contract:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.converted = as_json_schema(spec)
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(self.converted, default_specification=DRAFT202012)
        )
        self.seen: set[tuple[str, str, int]] = set()

    def _template(self, path: str) -> str:
        path = path.split("?")[0]
        for template in self.spec["paths"]:
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path):
                return template
        raise AssertionError(f"{path} is not in the OpenAPI document")

    def check(self, method: str, path: str, response) -> dict[str, Any] | None:
        template = self._template(path)
        operation = self.spec["paths"][template][method.lower()]
        status = response.status_code
        documented = operation["responses"].get(str(status)) or operation["responses"].get(
            "default"
        )
        assert documented is not None, f"{method} {template} {status} is not documented"
        while "$ref" in documented:
            name = documented["$ref"].rsplit("/", 1)[-1]
            documented = self.spec["components"]["responses"][name]
        self.seen.add((method.upper(), template, status))
        content = documented.get("content")
        if not content:
            assert not response.data, f"{method} {template} {status} documents no body"
            return None
        assert response.mimetype in content, f"{response.mimetype} not in {list(content)}"
        schema = content[response.mimetype].get("schema")
        if not response.mimetype.endswith("json"):
            assert schema == {"type": "string", "format": "binary"} and response.data
            return None
        body = response.get_json(force=True)
        validator = Draft202012Validator(
            as_json_schema(schema), registry=self.registry, format_checker=FormatChecker()
        )
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, f"{method} {template} {status}: " + "; ".join(
            f"{list(e.path)}: {e.message}" for e in errors[:5]
        )
        return body


@pytest.fixture
def contract(client) -> Contract:
    return Contract(client.get("/api/v1/openapi.json").get_json())


def test_the_document_is_openapi_3_from_the_schemas(contract):
    spec = contract.spec
    assert spec["openapi"].startswith("3.") and spec["info"]["version"] == "v1"
    assert {
        "/api/v1/markets",
        "/api/v1/markets/{code}/stalls",
        "/api/v1/vendors",
        "/api/v1/vendors/{vendor_id}",
        "/api/v1/vendors/{vendor_id}/placard.pdf",
        "/api/v1/vendors/{vendor_id}/placard.png",
        "/api/v1/imports",
        "/api/v1/stats",
    } <= set(spec["paths"])
    create = spec["paths"]["/api/v1/vendors"]["post"]
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit(
        "/", 1
    )[-1]
    assert "consent" in spec["components"]["schemas"][body_schema]["required"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    Draft202012Validator.check_schema(as_json_schema(spec["components"]["schemas"]["Vendor"]))


def test_successful_responses_match_the_document(client, contract, partner, staff_for, body_for):
    home = factories.commune()
    market = factories.market(area=home)
    stall, vacant = factories.stall(market), factories.stall(market)
    set_stall_status(vacant, ACCEPTING, reason="verified")
    h = partner.headers
    check = contract.check
    check("GET", "/api/v1/markets", client.get("/api/v1/markets", headers=h))
    check(
        "GET",
        f"/api/v1/markets/{market.code}/stalls",
        client.get(f"/api/v1/markets/{market.code}/stalls", headers=h),
    )
    created = check(
        "POST",
        "/api/v1/vendors",
        client.post("/api/v1/vendors", headers=h, json=body_for(stall, partner_reference="R1")),
    )
    url = f"/api/v1/vendors/{created['id']}"
    check("GET", "/api/v1/vendors", client.get("/api/v1/vendors?page_size=5", headers=h))
    check("GET", url + "/placard.pdf", client.get(url + "/placard.pdf", headers=h))
    check("GET", url + "/placard.png", client.get(url + "/placard.png", headers=h))
    check("GET", url, client.get(url, headers=h))
    check(
        "PATCH",
        url,
        client.patch(url, headers=h, json={"phone": "0912 999 001", "holder_name": "NGUYEN T DAO"}),
    )
    check("DELETE", url, client.delete(url, headers=h))
    staff = staff_for(home)
    check(
        "GET",
        "/api/v1/stats",
        client.get(f"/api/v1/stats?area=2025/commune/{home.code}", headers=staff.headers),
    )
    assert {status for _, _, status in contract.seen} == {200, 201, 204}


def test_error_responses_match_the_document(
    client, contract, partner, other_partner, make_api_user, body_for
):
    stall = factories.stall()
    h = partner.headers
    check = contract.check
    check("GET", "/api/v1/markets", client.get("/api/v1/markets"))  # 401
    check("GET", "/api/v1/stats", client.get("/api/v1/stats", headers=h))  # 403
    theirs = factories.registered_vendor(
        bank_bin=factories.AGRIBANK, org=other_partner.user.organisation
    )
    check(
        "GET", "/api/v1/vendors/1", client.get(f"/api/v1/vendors/{theirs.vendor.id}", headers=h)
    )  # 404
    body = body_for(stall)
    client.post("/api/v1/vendors", headers=h, json=body)
    check(
        "POST",
        "/api/v1/vendors",
        client.post(
            "/api/v1/vendors",
            headers=h,  # 409 duplicate + extensions
            json={**body_for(factories.stall()), "account_number": body["account_number"]},
        ),
    )
    check(
        "POST", "/api/v1/vendors", client.post("/api/v1/vendors", headers=h, json={"phone": 1})
    )  # 422
    check(
        "POST",
        "/api/v1/vendors",
        client.post("/api/v1/vendors", headers=h, json=body_for(stall, phone="1")),
    )
    check("GET", "/api/v1/vendors", client.get("/api/v1/vendors?page=-1", headers=h))
    assert {status for _, _, status in contract.seen} == {401, 403, 404, 409, 422}
