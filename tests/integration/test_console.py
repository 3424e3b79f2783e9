"""The console's server side: its static files, console users by Cognito group on the admin
API's console route, partners managing their own postbacks, and the local JWT authorizer."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest

from goalpost_local.gateway import LambdaContext
from tests.helpers import ADMIN, PARTNER, admin, event, handler, setup_network

CONSOLE = "ConsoleFunction"


def console_get(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return handler(CONSOLE)(event("GET", path, headers=headers), LambdaContext(CONSOLE))


def body_of(response: dict[str, Any]) -> bytes:
    raw = response.get("body") or ""
    return base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()


def test_the_console_page_its_files_and_a_csp_that_allows_only_its_own_scripts() -> None:
    page = console_get("/console")
    assert page["statusCode"] == 200, "run `make console` first (make test does)"
    html = body_of(page)
    assert page["headers"]["content-type"].startswith("text/html")
    csp = page["headers"]["content-security-policy"]
    import_map = re.search(rb'<script type="importmap">(.*?)</script>', html, re.S)
    assert import_map is not None
    digest = base64.b64encode(hashlib.sha256(import_map.group(1)).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp and page["headers"]["x-content-type-options"] == "nosniff"
    for name in json.loads(import_map.group(1))["imports"].values():  # every module it maps is served
        assert console_get(name)["statusCode"] == 200, name
    script = console_get("/console/app.js")
    assert script["headers"]["content-type"].startswith("text/javascript")
    assert console_get("/console/app.js", {"if-none-match": script["headers"]["etag"]})["statusCode"] == 304


@pytest.mark.parametrize(
    "path", ["/console/../app.py", "/console/..%2Fapp.py", "/console/nope.js", "/console/a b"]
)
def test_nothing_outside_the_static_files_is_served(path: str) -> None:
    assert console_get(path)["statusCode"] == 404


def test_the_sign_in_settings_name_the_user_pool_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALPOST_CONSOLE_CLIENT_ID", "abc123")
    monkeypatch.setenv("GOALPOST_CONSOLE_COGNITO_ENDPOINT", "https://cognito-idp.eu-west-1.amazonaws.com/")
    config = json.loads(body_of(console_get("/console/config.json")))
    assert config == {"cognitoEndpoint": "https://cognito-idp.eu-west-1.amazonaws.com/", "clientId": "abc123"}
    csp = console_get("/console")["headers"]["content-security-policy"]
    assert "connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com/" in csp


def live_token() -> str:
    """An access token Cognito (moto's) still accepts: the function asks it about every console
    token (revoked ones are refused although API Gateway took them)."""
    import boto3

    from goalpost_local import console

    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = console.create_user_pool(cognito, "us-east-1", prefix="test")
    return console.sign_in(cognito, pool, pool.admin)["access"]


def console_call(
    method: str,
    path: str,
    claims: dict[str, str] | None,
    body: Any = None,
    *,
    token: str | None = None,
    if_match: str | None = None,
) -> tuple[int, Any]:
    """/console/api/admin/...: what API Gateway's JWT authorizer passes on (claims as strings),
    with the bearer token it checked."""
    headers = {"authorization": f"Bearer {token or live_token()}"}
    request = event(method, path, body=body, headers=headers, if_match=if_match)
    request["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}} if claims else {}
    response = handler(ADMIN)(request, LambdaContext(ADMIN))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def claims(username: str, groups: str) -> dict[str, str]:
    return {"username": username, "token_use": "access", "cognito:groups": groups, "client_id": "c"}


def test_console_admins_change_and_viewers_only_read(aws: Any) -> None:
    status, created = console_call(
        "POST", "/console/api/admin/advertisers", claims("alice", "[ConsoleAdmins]"), {"name": "A"}
    )
    assert status == 201, created
    status, trail = admin("GET", f"/admin/audit/advertiser/{created['advertiser_id']}")
    assert trail["items"][0]["actor"] == "console:alice"
    viewer = claims("victor", "[ConsoleViewers]")
    status, listed = console_call("GET", "/console/api/admin/advertisers", viewer)
    assert status == 200 and [a["name"] for a in listed["items"]] == ["A"]
    status, refused = console_call("POST", "/console/api/admin/advertisers", viewer, {"name": "B"})
    assert status == 403 and refused["error"]["code"] == "read_only"
    status, refused = console_call("GET", "/console/api/admin/advertisers", claims("nobody", ""))
    assert status == 403 and refused["error"]["code"] == "no_console_group"
    status, refused = console_call("GET", "/console/api/admin/advertisers", None)
    assert status == 401
    status, refused = console_call("GET", "/console/api/admin/advertisers", {**viewer, "token_use": "id"})
    assert status == 401 and refused["error"]["code"] == "console_token"
    status, listed = admin("GET", "/admin/advertisers")
    assert [a["name"] for a in listed["items"]] == ["A"]  # nothing was stored by the refusals


def partner_request(
    method: str, path: str, partner_id: str, api_key: str, body: Any = None
) -> tuple[int, Any]:
    request = event(method, path, body=body, partner_id=partner_id, headers={"x-api-key": api_key})
    response = handler(PARTNER)(request, LambdaContext(PARTNER))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def test_partners_manage_their_own_postbacks_only_when_the_network_allows(aws: Any) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Secret", "private": True}])
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    private_goal = net["goals"][0]["goal_id"]
    path = f"/partner/offers/{offer_id}/postbacks"
    postback = {"kind": "postback", "code": "https://partner.example/pb?tid={transaction_id}"}
    status, refused = partner_request("POST", path, me["partner_id"], me["api_key"], postback)
    assert status == 403 and refused["error"]["code"] == "postbacks_managed_by_network"

    status, network = admin("GET", "/admin/network")
    status, _ = admin(
        "PUT", "/admin/network", {"partners_manage_postbacks": True}, if_match=f'"{network["version"]}"'
    )
    assert status == 200
    status, other = admin("POST", "/admin/partners", {"name": "Other"})
    status, theirs = admin(
        "POST", f"/admin/offers/{offer_id}/partner-pixels", {**postback, "partner_id": other["partner_id"]}
    )
    assert status == 201

    status, created = partner_request("POST", path, me["partner_id"], me["api_key"], postback)
    assert status == 201 and "partner_id" not in created, created
    status, listed = partner_request("GET", path, me["partner_id"], me["api_key"])
    assert [p["pixel_id"] for p in listed["items"]] == [created["pixel_id"]]
    status, refused = partner_request(
        "POST", path, me["partner_id"], me["api_key"], {**postback, "goal_id": private_goal}
    )
    assert status == 404
    status, refused = partner_request(
        "DELETE", f"{path}/{theirs['pixel_id']}", me["partner_id"], me["api_key"]
    )
    assert status == 404
    status, _ = partner_request("DELETE", f"{path}/{created['pixel_id']}", me["partner_id"], me["api_key"])
    assert status == 204
    status, pixels = admin("GET", f"/admin/offers/{offer_id}/partner-pixels")
    assert [p["partner_id"] for p in pixels["items"]] == [other["partner_id"]]
    status, trail = admin("GET", f"/admin/audit/partner_pixel/{offer_id}/{created['pixel_id']}")
    assert {e["actor"] for e in trail["items"]} == {f"partner:{me['partner_id']}"}


def test_the_local_jwt_authorizer_checks_issuer_audience_and_expiry(aws: Any) -> None:
    import boto3

    from goalpost_local import console

    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = console.create_user_pool(cognito, "us-east-1", prefix="test")
    authorizer = console.jwt_authorizers(pool)["ConsoleUser"]
    assert authorizer.issuer == pool.issuer and authorizer.audience == (pool.client_id,)
    token = console.sign_in(cognito, pool, pool.admin)["access"]
    found = console.verify(authorizer, f"Bearer {token}")
    assert found is not None and found["cognito:groups"] == "[ConsoleAdmins]" and found["username"] == "admin"
    assert console.verify(authorizer, f"Bearer {token}", now=int(found["exp"]) + 1) is None
    other_pool = console.jwt_authorizers(console.create_user_pool(cognito, "us-east-1", prefix="other"))
    assert console.verify(other_pool["ConsoleUser"], f"Bearer {token}") is None
    assert console.verify(authorizer, "Bearer " + token[:-4] + "AAAA") is None
    assert console.verify(console.jwt_authorizers(None)["ConsoleUser"], f"Bearer {token}") is None
