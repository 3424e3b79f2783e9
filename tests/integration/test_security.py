"""Issue 26: a partner's HTML never runs beside the console, bounded partner postbacks, secrets
kept from the read-only viewer, partner postbacks only to web ports (HTTP tests on moto)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from goalpost_local.gateway import LambdaContext
from tests.helpers import admin, call, click, event, handler, setup_network


def partner_request(method: str, path: str, partner: dict[str, Any], body: Any = None) -> tuple[int, Any]:
    function = partner_function()
    request = event(
        method, path, body=body, partner_id=partner["partner_id"], headers={"x-api-key": partner["api_key"]}
    )
    response = handler(function)(request, LambdaContext(function))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def partner_function() -> str:
    """The function that serves the partner routes (as the template routes them)."""
    from goalpost_local.template import routes

    return next(r.function for r in routes() if r.path.startswith("/partner/"))


def network_settings(**changes: Any) -> None:
    status, network = admin("GET", "/admin/network")
    status, saved = admin("PUT", "/admin/network", changes, if_match=f'"{network["version"]}"')
    assert status == 200, saved


def test_partners_save_html_pixel_code_only_when_the_network_takes_it(aws: Any) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Lead", "protocol": "iframe"}])
    offer_id, goal_id, me = net["offer"]["offer_id"], net["goals"][0]["goal_id"], net["partner"]
    path = f"/partner/offers/{offer_id}/postbacks"
    code = {
        "goal_id": goal_id,
        "kind": "html",
        "code": "<script>new Image().src='https://p.example/x'</script>",
    }
    network_settings(partners_manage_postbacks=True)
    status, refused = partner_request("POST", path, me, code)
    assert status == 403 and refused["error"]["code"] == "html_pixels_managed_by_network", refused
    status, listed = partner_request("GET", path, me)
    assert listed["items"] == []  # nothing stored
    status, created = partner_request(
        "POST", path, me, {**code, "kind": "image", "code": "https://p.example/i"}
    )
    assert status == 201, created  # URLs still are the partner's to set

    network_settings(partners_html_pixels=True)
    status, created = partner_request("POST", path, me, code)
    assert status == 201, created


def test_an_iframe_pixel_serves_the_partners_html_sandboxed_in_an_opaque_origin(aws: Any) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Lead", "protocol": "iframe"}])
    offer_id, goal_id = net["offer"]["offer_id"], net["goals"][0]["goal_id"]
    status, _ = admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {"partner_id": net["partner"]["partner_id"], "goal_id": goal_id, "kind": "html", "code": "<b>hi</b>"},
    )
    assert status == 201
    tid = click(offer_id, net["partner"]["partner_id"])
    response = call("PostbackFunction", "GET", "/aff_goal", f"a=l&goal_name=lead&transaction_id={tid}")
    assert response["statusCode"] == 200
    framed = re.search(r'<iframe sandbox="allow-scripts" srcdoc="([^"]*)"', response["body"])
    assert framed is not None and "<b>hi</b>" in html.unescape(framed.group(1))
    assert "<b>" not in response["body"]  # the page itself holds none of the partner's code
    policy = response["headers"]["content-security-policy"]
    directives = [d.strip() for d in policy.split(";")]
    assert "sandbox allow-scripts" in directives and "allow-same-origin" not in policy
    assert response["headers"]["x-content-type-options"] == "nosniff"


def test_viewers_never_see_an_advertisers_security_token_and_admins_see_it_once(aws: Any) -> None:
    from tests.integration.test_console import claims, console_call

    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Upsell"}])
    adv = net["advertiser"]["advertiser_id"]
    offer_id, goal_id = net["offer"]["offer_id"], net["goals"][0]["goal_id"]
    admin_claims, viewer = claims("alice", "[ConsoleAdmins]"), claims("victor", "[ConsoleViewers]")
    status, set_now = console_call(
        "PATCH",
        f"/console/api/admin/advertisers/{adv}",
        admin_claims,
        {"security_token": "tok-secret-77"},
        if_match=f'"{net["advertiser"]["version"]}"',
    )
    assert status == 200 and set_now["security_token"] == "tok-secret-77"  # the admin sees it once

    reads = [
        console_call("GET", f"/console/api/admin/advertisers/{adv}", viewer),
        console_call("GET", "/console/api/admin/advertisers", viewer),
        console_call("GET", f"/console/api/admin/offers/{offer_id}/goals/{goal_id}", viewer),
        console_call("GET", f"/console/api/admin/offers/{offer_id}/goals/0", viewer),
        console_call("GET", f"/console/api/admin/advertisers/{adv}", admin_claims),
        console_call("GET", "/console/api/admin/advertisers", admin_claims),
    ]
    for status, answer in reads:
        assert status == 200, answer
        assert "tok-secret-77" not in json.dumps(answer)
    status, shown = console_call("GET", f"/console/api/admin/advertisers/{adv}", viewer)
    assert shown["security_token_set"] is True
    for who in (viewer, admin_claims):  # only the token's hash is kept: the links hold a placeholder
        status, goal = console_call("GET", f"/console/api/admin/offers/{offer_id}/goals/{goal_id}", who)
        assert goal["links"]["postback_by_name"].endswith("&security_token=HIDDEN")
    status, goal = admin("GET", f"/admin/offers/{offer_id}/goals/{goal_id}")
    assert goal["links"]["postback_by_name"].endswith("&security_token=HIDDEN")  # IAM callers too


def _config_items(aws: Any) -> str:
    return json.dumps(
        [
            item
            for page in aws.get_paginator("scan").paginate(TableName=_table(aws, "ConfigTable"))
            for item in page["Items"]
        ]
    )


def test_an_advertisers_security_token_is_kept_only_as_its_sha256(aws: Any) -> None:
    """Point 8: the config table, which every function reads, holds the token's hash only; the
    postback compares the presented token's hash; the admin sees the token once."""
    import hashlib

    status, made = admin(
        "POST",
        "/admin/advertisers",
        {"name": "Hashed", "security_token": "tok-created-4411", "security_token_applied": True},
    )
    assert status == 201 and made["security_token"] == "tok-created-4411"  # shown once
    net = setup_network(advertiser={"name": "Other"})
    adv = net["advertiser"]["advertiser_id"]
    status, set_now = admin(
        "PATCH",
        f"/admin/advertisers/{adv}",
        {"security_token": "tok-patched-8822"},
        if_match=f'"{net["advertiser"]["version"]}"',
    )
    assert status == 200 and set_now["security_token"] == "tok-patched-8822"
    stored = _config_items(aws)
    assert "tok-created-4411" not in stored and "tok-patched-8822" not in stored
    assert hashlib.sha256(b"tok-patched-8822").hexdigest() in stored
    for path in (f"/admin/advertisers/{adv}", "/admin/advertisers", f"/admin/audit/advertiser/{adv}"):
        status, answer = admin("GET", path)
        assert "tok-patched-8822" not in json.dumps(answer)
    status, _ = admin("PATCH", f"/admin/advertisers/{adv}", {"security_token_applied": True}, if_match='"2"')
    assert status == 200
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    refused = call(
        "PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&security_token=tok-patched-882"
    )
    assert refused["statusCode"] == 403
    digest = hashlib.sha256(b"tok-patched-8822").hexdigest()
    refused = call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&security_token={digest}")
    assert refused["statusCode"] == 403  # what the table holds does not convert
    taken = call(
        "PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&security_token=tok-patched-8822"
    )
    assert taken["statusCode"] == 200


def test_rotating_an_advertisers_token_shows_the_new_one_once_and_retires_the_old(aws: Any) -> None:
    from tests.integration.test_console import claims, console_call

    net = setup_network(advertiser={"security_token": "tok-before-5150", "security_token_applied": True})
    adv, offer_id, partner_id = (
        net["advertiser"]["advertiser_id"],
        net["offer"]["offer_id"],
        net["partner"]["partner_id"],
    )
    status, refused = console_call(
        "POST", f"/console/api/admin/advertisers/{adv}/security-token", claims("victor", "[ConsoleViewers]")
    )
    assert status == 403, refused  # viewers never get one
    status, rotated = admin("POST", f"/admin/advertisers/{adv}/security-token")
    assert status == 200 and rotated["security_token_applied"] is True, rotated
    new = rotated["security_token"]
    assert len(new) >= 32 and new != "tok-before-5150"
    assert new not in _config_items(aws)
    status, read = admin("GET", f"/admin/advertisers/{adv}")
    assert read["security_token"] is None and read["security_token_set"] is True
    tid = click(offer_id, partner_id)
    old = call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&security_token=tok-before-5150")
    assert old["statusCode"] == 403
    assert (
        call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&security_token={new}")[
            "statusCode"
        ]
        == 200
    )
    status, stale = admin("POST", f"/admin/advertisers/{adv}/security-token", if_match='"1"')
    assert status == 412, stale  # If-Match: that version only


def test_a_token_stored_in_plain_text_before_keeps_working_and_is_hashed_at_the_next_write(aws: Any) -> None:
    """Migration on the advertiser's next write: a plain token (as stored before) still converts;
    any PATCH keeps only its hash, and postbacks with it keep converting."""
    import hashlib

    net = setup_network()
    adv, offer_id, partner_id = (
        net["advertiser"]["advertiser_id"],
        net["offer"]["offer_id"],
        net["partner"]["partner_id"],
    )
    table = _table(aws, "ConfigTable")
    key = {"pk": {"S": f"ADV#{adv}"}, "sk": {"S": "PROFILE"}}
    aws.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #d.security_token = :t, #d.security_token_applied = :a REMOVE #d.security_token_sha256",
        ExpressionAttributeNames={"#d": "doc"},
        ExpressionAttributeValues={":t": {"S": "legacy-plain-77"}, ":a": {"BOOL": True}},
    )
    from goalpost.store import config_cache

    config_cache.clear()
    tid = click(offer_id, partner_id)
    assert call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}")["statusCode"] == 403
    ok = call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&security_token=legacy-plain-77")
    assert ok["statusCode"] == 200
    status, renamed = admin(
        "PATCH",
        f"/admin/advertisers/{adv}",
        {"name": "Renamed"},
        if_match=f'"{net["advertiser"]["version"]}"',
    )
    assert status == 200 and renamed["security_token_applied"] is True and renamed["security_token"] is None
    doc = aws.get_item(TableName=table, Key=key)["Item"]["doc"]["M"]
    assert "security_token" not in doc
    assert doc["security_token_sha256"]["S"] == hashlib.sha256(b"legacy-plain-77").hexdigest()
    config_cache.clear()
    tid = click(offer_id, partner_id)
    assert call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}")["statusCode"] == 403
    ok = call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&security_token=legacy-plain-77")
    assert ok["statusCode"] == 200


def test_partner_postbacks_name_only_the_web_ports(aws: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "0")
    net = setup_network()
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    network_settings(partners_manage_postbacks=True)
    path = f"/partner/offers/{offer_id}/postbacks"
    for url in ("https://partner.example:22/pb?t={transaction_id}", "http://partner.example:6379/x"):
        status, refused = partner_request("POST", path, me, {"kind": "postback", "code": url})
        assert status == 422 and "port 80 or 443" in json.dumps(refused), refused
        status, refused = admin(
            "POST",
            f"/admin/offers/{offer_id}/partner-pixels",
            {
                "partner_id": me["partner_id"],
                "kind": "image",
                "code": "https://p.example/x",
                "reversal_code": url,
            },
        )
        assert status == 422, refused
    status, listed = partner_request("GET", path, me)
    assert listed["items"] == []
    for url in (
        "https://partner.example:443/pb",
        "http://partner.example:80/pb",
        "https://partner.example/pb",
    ):
        status, created = partner_request("POST", path, me, {"kind": "postback", "code": url})
        assert status == 201, created


def test_a_partner_keeps_at_most_20_postbacks_per_offer_of_at_most_4_kb(aws: Any) -> None:
    net = setup_network()
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    network_settings(partners_manage_postbacks=True)
    path = f"/partner/offers/{offer_id}/postbacks"
    big = "https://partner.example/pb?t={transaction_id}&pad=" + "x" * 4050
    status, refused = partner_request("POST", path, me, {"kind": "postback", "code": big})
    assert status == 422 and "at most 4096" in json.dumps(refused), refused
    status, refused = partner_request(
        "POST", path, me, {"kind": "postback", "code": big[:3000], "reversal_code": big[:1200]}
    )
    assert status == 422, refused
    created = []
    for n in range(20):
        status, made = partner_request(
            "POST", path, me, {"kind": "postback", "code": f"https://p.example/{n}"}
        )
        assert status == 201, made
        created.append(made["pixel_id"])
    status, refused = partner_request("POST", path, me, {"kind": "postback", "code": "https://p.example/21"})
    assert status == 409 and refused["error"]["code"] == "too_many_pixels", refused
    status, refused = admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {"partner_id": me["partner_id"], "kind": "postback", "code": "https://p.example/by-admin"},
    )
    assert status == 409, refused  # the bound is the partner's, whoever saves
    status, other = admin("POST", "/admin/partners", {"name": "Other"})
    status, theirs = admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {"partner_id": other["partner_id"], "kind": "postback", "code": "https://p.example/other"},
    )
    assert status == 201, theirs  # another partner's slots are its own
    status, _ = partner_request("DELETE", f"{path}/{created[0]}", me)
    assert status == 204
    status, made = partner_request("POST", path, me, {"kind": "postback", "code": "https://p.example/again"})
    assert status == 201, made  # a removed postback frees its slot
    status, pixels = admin("GET", f"/admin/offers/{offer_id}/partner-pixels", query="limit=100")
    assert sum(p["partner_id"] == me["partner_id"] for p in pixels["items"]) == 20


def test_a_revoked_console_token_is_refused_although_api_gateway_took_it(aws: Any) -> None:
    import boto3

    from goalpost.admin import console_sessions
    from goalpost_local import console
    from tests.integration.test_console import claims, console_call

    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = console.create_user_pool(cognito, "us-east-1", prefix="revoke")
    tokens = console.sign_in(cognito, pool, pool.admin)
    alice = claims("admin", "[ConsoleAdmins]")
    status, _ = console_call("GET", "/console/api/admin/advertisers", alice, token=tokens["access"])
    assert status == 200
    # what disabling, demoting or signing out does (README, Console and partner portal)
    cognito.admin_user_global_sign_out(UserPoolId=pool.pool_id, Username="admin")
    console_sessions.forget()  # past the 30 s a good answer is remembered
    status, refused = console_call("GET", "/console/api/admin/advertisers", alice, token=tokens["access"])
    assert status == 401 and refused["error"]["code"] == "console_signed_out", refused
    status, refused = console_call(
        "POST", "/console/api/admin/advertisers", alice, {"name": "X"}, token=tokens["access"]
    )
    assert status == 401
    status, listed = admin("GET", "/admin/advertisers")
    assert listed["items"] == []  # nothing was stored
    refreshing = {"REFRESH_TOKEN": tokens["refresh"]}
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(
            ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=refreshing
        )


def test_a_partners_postback_secret_is_kept_where_only_the_signer_reads_it(aws: Any) -> None:
    from goalpost_local.template import resources

    status, made = admin(
        "POST", "/admin/partners", {"name": "Signer", "postback_secret": "s" * 16 + "-kept-apart"}
    )
    assert status == 201 and made["postback_secret"] == "s" * 16 + "-kept-apart"  # shown once
    config = [
        item
        for page in aws.get_paginator("scan").paginate(TableName=_table(aws, "ConfigTable"))
        for item in page["Items"]
    ]
    assert "-kept-apart" not in json.dumps(config)  # nothing in the table every function reads
    secrets = aws.scan(TableName=_table(aws, "SecretsTable"))["Items"]
    assert [i["postback_secret"]["S"] for i in secrets] == ["s" * 16 + "-kept-apart"]
    functions = resources("AWS::Serverless::Function")
    named = {
        name for name, fn in functions.items() if "SecretsTable" in str(fn["Properties"].get("Policies"))
    }
    # the writer and the signers only: deliveries, and a partner's test of its own postback
    assert named == {"GoalsAdminFunction", "PartnerDeliveryFunction", "PartnerApiFunction"}
    partner_reads = [
        s for s in functions["PartnerApiFunction"]["Properties"]["Policies"][0]["Statement"]
        if "SecretsTable" in str(s["Resource"])
    ]  # fmt: skip
    assert [s["Action"] for s in partner_reads] == [["dynamodb:GetItem"]]


def _table(aws: Any, logical_id: str) -> str:
    return next(n for n in aws.list_tables()["TableNames"] if n.endswith(logical_id))


def _console_pool(monkeypatch: pytest.MonkeyPatch, prefix: str) -> tuple[Any, Any]:
    """A console user pool (moto's Cognito, as the template makes it) that the admin function manages."""
    import boto3

    from goalpost_local import console

    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = console.create_user_pool(cognito, "us-east-1", prefix=prefix)
    monkeypatch.setenv("GOALPOST_CONSOLE_USER_POOL_ID", pool.pool_id)
    return cognito, pool


def _refreshes(cognito: Any, pool: Any, refresh: str) -> bool:
    try:
        cognito.initiate_auth(
            ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
        )
    except cognito.exceptions.NotAuthorizedException:
        return False
    return True


def test_demoting_or_disabling_a_console_user_signs_them_out_everywhere(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goalpost_local import console
    from tests.integration.test_console import claims, console_call

    cognito, pool = _console_pool(monkeypatch, "demote")
    admin_name, viewer_name = pool.admin.username, pool.viewer.username
    demoted = console.sign_in(cognito, pool, pool.admin)
    disabled = console.sign_in(cognito, pool, pool.viewer)
    as_admin = claims(admin_name, "[ConsoleAdmins]")
    status, _ = console_call("GET", "/console/api/admin/advertisers", as_admin, token=demoted["access"])
    assert status == 200  # a good answer, remembered 30 s: the demotion must forget it
    assert _refreshes(cognito, pool, demoted["refresh"]) and _refreshes(cognito, pool, disabled["refresh"])

    status, users = admin("GET", "/admin/console-users")
    assert status == 200, users
    assert [(u["username"], u["groups"], u["enabled"]) for u in users["items"]] == sorted(
        [(admin_name, ["ConsoleAdmins"], True), (viewer_name, ["ConsoleViewers"], True)]
    )

    status, changed = admin("PATCH", f"/admin/console-users/{admin_name}", {"group": "ConsoleViewers"})
    assert status == 200 and changed["groups"] == ["ConsoleViewers"] and changed["signed_out"], changed
    assert not _refreshes(cognito, pool, demoted["refresh"])  # no new token with the new group either
    status, refused = console_call("GET", "/console/api/admin/advertisers", as_admin, token=demoted["access"])
    assert status == 401 and refused["error"]["code"] == "console_signed_out", refused
    status, refused = console_call(
        "POST", "/console/api/admin/advertisers", as_admin, {"name": "X"}, token=demoted["access"]
    )
    assert status == 401, refused

    status, changed = admin("PATCH", f"/admin/console-users/{viewer_name}", {"enabled": False})
    assert status == 200 and changed["enabled"] is False and changed["signed_out"], changed
    assert not _refreshes(cognito, pool, disabled["refresh"])
    as_viewer = claims(viewer_name, "[ConsoleViewers]")
    status, refused = console_call(
        "GET", "/console/api/admin/advertisers", as_viewer, token=disabled["access"]
    )
    assert status == 401 and refused["error"]["code"] == "console_signed_out", refused
    status, listed = admin("GET", "/admin/advertisers")
    assert listed["items"] == []  # nothing was stored

    # promoting back signs nobody out; an unknown user is a 404; a console admin cannot lock
    # themselves out
    status, changed = admin("PATCH", f"/admin/console-users/{admin_name}", {"group": "ConsoleAdmins"})
    assert status == 200 and changed["groups"] == ["ConsoleAdmins"] and not changed["signed_out"]
    fresh = console.sign_in(cognito, pool, pool.admin)
    status, refused = console_call(
        "PATCH",
        f"/console/api/admin/console-users/{admin_name}",
        as_admin,
        {"enabled": False},
        token=fresh["access"],
    )
    assert (status, refused["error"]["code"]) == (409, "own_account"), refused
    assert _refreshes(cognito, pool, fresh["refresh"])
    status, refused = admin("PATCH", "/admin/console-users/nobody", {"enabled": False})
    assert (status, refused["error"]["code"]) == (404, "not_found"), refused


def test_deleting_a_console_user_signs_them_out_first(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from goalpost_local import console
    from tests.integration.test_console import claims, console_call

    cognito, pool = _console_pool(monkeypatch, "delete")
    tokens = console.sign_in(cognito, pool, pool.viewer)
    status, _ = admin("DELETE", f"/admin/console-users/{pool.viewer.username}")
    assert status == 204
    assert not _refreshes(cognito, pool, tokens["refresh"])
    as_viewer = claims(pool.viewer.username, "[ConsoleViewers]")
    status, refused = console_call("GET", "/console/api/admin/advertisers", as_viewer, token=tokens["access"])
    assert status == 401 and refused["error"]["code"] == "console_signed_out", refused
    status, _ = admin("GET", f"/admin/console-users/{pool.viewer.username}")
    assert status == 404


def test_console_viewers_may_list_console_users_but_not_change_them(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goalpost_local import console
    from tests.integration.test_console import claims, console_call

    cognito, pool = _console_pool(monkeypatch, "viewers")
    tokens = console.sign_in(cognito, pool, pool.viewer)
    as_viewer = claims(pool.viewer.username, "[ConsoleViewers]")
    status, listed = console_call(
        "GET", "/console/api/admin/console-users", as_viewer, token=tokens["access"]
    )
    assert status == 200 and len(listed["items"]) == 2
    status, refused = console_call(
        "PATCH",
        f"/console/api/admin/console-users/{pool.admin.username}",
        as_viewer,
        {"group": "ConsoleViewers"},
        token=tokens["access"],
    )
    assert (status, refused["error"]["code"]) == (403, "read_only"), refused


def test_the_partner_api_names_only_config_keys_its_role_allows(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point 7: the partner function's role reads config items by partition key prefix
    (dynamodb:LeadingKeys in template.yaml). Every DynamoDB request the partner routes make is
    recorded here and each key matched against the template's patterns (the local IAM check
    enforces them on every partner test too); an advertiser's item is refused."""
    from botocore.exceptions import ClientError

    from goalpost.store import config_store
    from goalpost_local import iam

    recorded: list[tuple[str, str, tuple[str, ...]]] = []
    original = iam.Enforcer.check

    def check(self: Any, function: str, action: str, resource: str, keys: tuple[str, ...] = ()) -> None:
        if function == "PartnerApiFunction" and "ConfigTable" in resource:
            recorded.append((action, resource, keys))
        original(self, function, action, resource, keys)

    monkeypatch.setattr(iam.Enforcer, "check", check)
    net = setup_network(
        advertiser={"security_token": "tok-partner-cannot-read", "security_token_applied": True}
    )
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    network_settings(partners_manage_postbacks=True)
    for path in ("/partner/offers", f"/partner/offers/{offer_id}", "/partner/stats", "/partner/conversions"):
        status, answer = partner_request("GET", path, me)
        assert status == 200, (path, answer)
    function = partner_function()
    made = event(
        "POST",
        f"/partner/offers/{offer_id}/postbacks",
        body={"kind": "postback", "code": "https://p.example/pb?t={transaction_id}"},
        partner_id=me["partner_id"],
        headers={"x-api-key": me["api_key"], "idempotency-key": "partner-pb-1"},
    )
    created = handler(function)(made, LambdaContext(function))
    assert created["statusCode"] == 201, created
    pixel_id = json.loads(created["body"])["pixel_id"]
    status, _ = partner_request("GET", f"/partner/offers/{offer_id}/postbacks", me)
    assert status == 200
    status, _ = partner_request("DELETE", f"/partner/offers/{offer_id}/postbacks/{pixel_id}", me)
    assert status == 204

    policies = iam.ENFORCER.policies
    assert policies is not None
    statements = policies["PartnerApiFunction"]
    for action, resource, keys in recorded:
        covering = [s for s in statements if s.covers(action, resource) and s.leading_keys is not None]
        assert covering, (action, resource)  # every config grant is narrowed by key
        assert keys, (action, resource)  # a request naming no key (a Scan) would pass ForAllValues
        assert any(all(iam.string_like(k, s.leading_keys or ()) for k in keys) for s in covering), keys
    named = {k.split("#")[0] for _, _, keys in recorded for k in keys}
    assert named == {
        "OFFER",
        "PARTNER",
        "NETWORK",
        "APIKEY",
        "COUNTER",
        "LIMIT",
        "AUDIT",
        "IDEMPOTENCY",
        "offer",
    }

    with iam.acting_as("PartnerApiFunction"), pytest.raises(ClientError) as denied:
        config_store.get_advertiser(net["advertiser"]["advertiser_id"])
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    with iam.acting_as("PartnerApiFunction"), pytest.raises(ClientError):
        config_store.list_entities("advertiser", limit=10)
    with iam.acting_as("GoalsAdminFunction"):
        assert config_store.get_advertiser(net["advertiser"]["advertiser_id"]) is not None
