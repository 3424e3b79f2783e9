"""Property-based run over the committed OpenAPI document (schemathesis + hypothesis).

Every admin and partner operation gets generated requests, valid and invalid, against the
local runtime: none may answer a 5xx, and every answer must match the documented schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from goalpost_local.openapi import OPENAPI_FILE
from tests.e2e.conftest import TOKEN, LocalRuntime

pytestmark = pytest.mark.e2e

schema = schemathesis.openapi.from_path(OPENAPI_FILE)


@pytest.fixture(scope="session")
def partner_key(runtime: LocalRuntime) -> str:
    key: str = runtime.admin("POST", "/admin/partners", {"name": "Property partner"}).json()["api_key"]
    return key


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_5xx_and_every_response_matches_the_schema(case, runtime: LocalRuntime, partner_key: str) -> None:  # type: ignore[no-untyped-def]
    if case.path.startswith("/partner"):
        headers = {"x-api-key": partner_key}
    else:
        headers = {"authorization": f"Bearer {TOKEN}"}
    response = case.call(base_url=runtime.base_url, headers=headers, timeout=30)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
