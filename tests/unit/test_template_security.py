"""Issue 26, read from template.yaml as CloudFormation will deploy it: the console's sign-in holds
when a token leaks (point 2), and the money path keeps its capacity in a flood (point 4)."""

from __future__ import annotations

from typing import Any

from goalpost_local.template import condition_holds, load_template, parameter_defaults, routes


def _resource(logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = load_template()["Resources"][logical_id]["Properties"]
    return props


def _chosen(node: Any, condition: str, params: dict[str, str]) -> Any:
    """The value an !If on ``condition`` takes with these parameter values."""
    assert node["Fn::If"][0] == condition
    return node["Fn::If"][1 if condition_holds(condition, params) else 2]


def test_the_console_client_cannot_change_a_users_email_and_a_new_one_is_verified_first() -> None:
    client = _resource("ConsoleUserPoolClient")
    assert "email" not in client["WriteAttributes"]
    pool = _resource("ConsoleUserPool")
    assert pool["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"] == ["email"]


def test_mfa_totp_is_required_unless_the_network_opts_out() -> None:
    pool, params = _resource("ConsoleUserPool"), parameter_defaults()
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert _chosen(pool["MfaConfiguration"], "ConsoleMfaRequired", params) == "ON"
    assert (
        _chosen(pool["MfaConfiguration"], "ConsoleMfaRequired", {**params, "ConsoleMfa": "optional"})
        == "OPTIONAL"
    )


def test_threat_protection_is_enforced_on_the_plan_that_has_it() -> None:
    pool, params = _resource("ConsoleUserPool"), parameter_defaults()
    assert _chosen(pool["UserPoolTier"], "ConsoleThreatProtectionOn", params) == "PLUS"
    assert _chosen(pool["UserPoolAddOns"], "ConsoleThreatProtectionOn", params) == {
        "AdvancedSecurityMode": "ENFORCED"
    }


def test_postbacks_and_pixels_keep_reserved_capacity_that_clicks_cannot_take() -> None:
    params = parameter_defaults()
    for function in ("PostbackFunction", "PixelFunction"):
        reserved = _chosen(
            _resource(function)["ReservedConcurrentExecutions"], "ReservePostbackCapacity", params
        )
        assert reserved == {"Ref": "PostbackReservedConcurrency"}
        no_reserve = {**params, "PostbackReservedConcurrency": "0"}  # an account whose limit is too low
        assert _chosen(
            _resource(function)["ReservedConcurrentExecutions"], "ReservePostbackCapacity", no_reserve
        ) == {"Ref": "AWS::NoValue"}
    assert int(params["PostbackReservedConcurrency"]) >= 50
    assert "ReservedConcurrentExecutions" not in _resource("ClickFunction")


def test_people_and_partners_have_their_own_route_throttles_below_the_default() -> None:
    api = _resource("TrackingApi")
    default = api["DefaultRouteSettings"]
    throttled = api["RouteSettings"]
    keys = {f"{r.method} {r.path}" for r in routes()}
    people = {k for k in keys if k.split(" ", 1)[1].startswith(("/admin", "/console", "/partner"))}
    assert people and people <= set(throttled)  # every admin, console and partner route
    for key in people:
        assert throttled[key]["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
        assert throttled[key]["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
    assert not any(k.split(" ", 1)[1].startswith(("/aff_", "/click")) for k in throttled)


def test_access_tokens_live_five_minutes_and_refresh_tokens_can_be_revoked() -> None:
    client = _resource("ConsoleUserPoolClient")
    assert client["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert client["AccessTokenValidity"] == 5  # what a token kept after sign-out or disabling is worth
    assert client["EnableTokenRevocation"] is True


def test_partner_routes_run_in_their_own_function_whose_role_writes_no_conversion() -> None:
    served = {r.function for r in routes() if r.path.startswith("/partner/")}
    assert served == {"PartnerApiFunction"}
    statements = _resource("PartnerApiFunction")["Policies"][0]["Statement"]
    granted = {(a, str(r)) for s in statements for a in s["Action"] for r in s["Resource"]}
    assert not any("ConversionsTable" in r and a != "dynamodb:Query" for a, r in granted)
    assert not any(
        "StatsTable" in r and a not in ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem")
        for a, r in granted
    )
    assert not any(a.startswith("ssm:") or "SessionsTable" in r for a, r in granted)
    assert len(_resource("PartnerApiFunction")["Policies"]) == 1  # nothing else


def _actions(logical_id: str) -> set[str]:
    statements = [
        s
        for p in _resource(logical_id).get("Policies", [])
        if isinstance(p, dict)
        for s in p.get("Statement", [])
    ]
    return {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}


def test_only_the_admin_function_may_change_console_users_and_sign_them_out() -> None:
    """Point 5: the admin API's console-user routes demote, disable and delete users and sign
    them out everywhere (AdminUserGlobalSignOut), on the console's pool only; no other role may."""
    functions = [
        n for n, r in load_template()["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    ]
    changing = {n for n in functions if any(a.startswith("cognito-idp:") for a in _actions(n))}
    assert changing == {"GoalsAdminFunction"}
    granted = _actions("GoalsAdminFunction")
    for action in (
        "AdminUserGlobalSignOut",
        "AdminDisableUser",
        "AdminRemoveUserFromGroup",
        "AdminDeleteUser",
    ):
        assert f"cognito-idp:{action}" in granted
    assert "cognito-idp:AdminCreateUser" not in granted and "cognito-idp:AdminSetUserPassword" not in granted
    (cognito,) = [
        s
        for s in _resource("GoalsAdminFunction")["Policies"][0]["Statement"]
        if str(s["Action"]).count("cognito-idp:")
    ]
    assert cognito["Resource"] == {"Fn::GetAtt": ["ConsoleUserPool", "Arn"]}
    env = _resource("GoalsAdminFunction")["Environment"]["Variables"]
    assert env["GOALPOST_CONSOLE_USER_POOL_ID"] == {"Ref": "ConsoleUserPool"}


def test_the_partner_functions_config_reads_are_narrowed_by_partition_key() -> None:
    """Point 7: every grant of PartnerApiFunction on the config table carries a
    ForAllValues:StringLike dynamodb:LeadingKeys condition that no advertiser (security tokens),
    payout structure, tier or foreign audit item matches; no Scan (which names no key)."""
    from goalpost_local.iam import string_like

    statements = _resource("PartnerApiFunction")["Policies"][0]["Statement"]
    on_config = [s for s in statements if "ConfigTable" in str(s["Resource"])]
    assert on_config
    for statement in on_config:
        assert "dynamodb:Scan" not in statement["Action"]
        assert list(statement["Condition"]) == ["ForAllValues:StringLike"], statement
        patterns = tuple(statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
        assert "*" not in patterns
        for key in ("ADV#1", "STRUCTURE#1", "TIER#1", "AUDIT#advertiser#1", "AUDIT#partner#2", "advertiser"):
            assert not string_like(key, patterns), (key, patterns)
    reads = [s for s in on_config if "dynamodb:GetItem" in s["Action"]]
    assert reads and all(
        string_like("PARTNER#7", tuple(s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]))
        for s in reads
    )
