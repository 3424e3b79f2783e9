"""Running it for real: secrets in SSM, the custom domain in links, data protection and alarms."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from goalpost.store import signing_keys
from goalpost_local import iam
from goalpost_local.template import load_template, resources, store_signing_keys
from tests.helpers import admin, setup_network

KEYS = "k9:a-rotated-secret-0123456789abcdefghijklmn"


def test_signing_keys_come_from_ssm_only_for_functions_the_template_allows(aws) -> None:
    with iam.acting_as("PostbackFunction"):
        assert signing_keys.keyring()[0][0] == "k2"  # the parameter the fixture stored
    signing_keys.forget_keys()
    with iam.acting_as("ClickFunction"), pytest.raises(ClientError) as denied:
        signing_keys.keyring()
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_keys_are_read_once_per_container_and_again_after_their_max_age(aws) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    first = signing_keys.configured_keys(now=1000.0)
    store_signing_keys(ssm, KEYS)
    assert signing_keys.configured_keys(now=1000.0 + signing_keys.KEYS_MAX_AGE - 1) == first  # no SSM call
    assert signing_keys.configured_keys(now=1000.0 + signing_keys.KEYS_MAX_AGE) == KEYS  # the rotation lands


def test_links_use_the_stacks_custom_domain_so_they_survive_a_new_stack(aws, monkeypatch) -> None:
    monkeypatch.setenv("GOALPOST_TRACKING_DOMAIN", "track.example.org")
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "1"}}])
    offer_id, goal_id = net["offer"]["offer_id"], net["goals"][0]["goal_id"]
    status, goal = admin("GET", f"/admin/offers/{offer_id}/goals/{goal_id}")
    assert status == 200
    assert goal["links"]["postback_by_name"].startswith("https://track.example.org/aff_goal?")


def _tables() -> dict[str, dict[str, Any]]:
    return resources("AWS::DynamoDB::Table")


@pytest.mark.parametrize("table", ["ConversionsTable", "ConfigTable", "StatsTable"])
def test_tables_that_hold_money_survive_a_stack_delete_or_replacement(table: str) -> None:
    resource = _tables()[table]
    assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain"
    assert resource["Properties"]["DeletionProtectionEnabled"] == {"Ref": "DeletionProtection"}
    assert resource["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert load_template()["Parameters"]["DeletionProtection"]["Default"] == "true"


def _alarms() -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources("AWS::CloudWatch::Alarm").values()]


def _watched(namespace: str, metric: str) -> set[str]:
    """Logical ids whose metric some alarm watches (directly or inside metric math)."""
    found: set[str] = set()
    for alarm in _alarms():
        stats = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        if "MetricName" in alarm:
            stats.append(alarm)
        for stat in stats:
            if stat["Namespace"] == namespace and stat["MetricName"] == metric:
                for dimension in stat.get("Dimensions", []):
                    value = dimension["Value"]
                    if isinstance(value, dict):
                        found.add(str(value.get("Ref") or value.get("Fn::GetAtt", [""])[0]))
    return found


def test_every_function_is_watched_for_errors_and_throttles() -> None:
    functions = set(resources("AWS::Serverless::Function"))
    assert functions <= _watched("AWS/Lambda", "Errors")
    assert functions <= _watched("AWS/Lambda", "Throttles")


def test_every_dead_letter_queue_table_and_stream_consumer_is_watched() -> None:
    redrive_targets = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in resources("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q.get("Properties", {})
    }
    consumers = {
        name
        for name, fn in resources("AWS::Serverless::Function").items()
        if any(e["Type"] == "DynamoDB" for e in fn["Properties"].get("Events", {}).values())
    }
    dead_letters = redrive_targets | {
        name for name, fn in resources("AWS::Serverless::Function").items()
        for e in fn["Properties"].get("Events", {}).values()
        if e["Type"] == "DynamoDB" and "DestinationConfig" in e["Properties"]
        for name in [e["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]]
    }  # fmt: skip
    assert dead_letters <= _watched("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert consumers <= _watched("AWS/Lambda", "IteratorAge")
    assert set(_tables()) <= _watched("AWS/DynamoDB", "WriteThrottleEvents")
    assert set(_tables()) <= _watched("AWS/DynamoDB", "ReadThrottleEvents")
    assert {"TrackingApi"} <= _watched("AWS/ApiGateway", "5xx")


def test_alarms_notify_a_topic() -> None:
    for alarm in _alarms():
        assert alarm["AlarmActions"], alarm["AlarmDescription"]


def test_sample_events_are_events_the_functions_understand(aws) -> None:
    """events/*.json (for ``sam local invoke``) stay payload 2.0 events our routes accept."""
    import json

    from goalpost_local.gateway import LambdaContext
    from goalpost_local.template import ROOT, routes, select_route
    from tests.helpers import handler

    setup_network()  # offer 1, partner 1
    answered: dict[str, int] = {}
    for path in sorted((ROOT / "events").glob("*.json")):
        sample = json.loads(path.read_text())
        selected = select_route(routes(), sample["requestContext"]["http"]["method"], sample["rawPath"])
        assert selected is not None, path.name
        route = selected[0]
        response = handler(route.function)(sample, LambdaContext(route.function))
        answered[path.stem] = response["statusCode"]
    assert answered["click"] == 302
    assert answered["admin_list_offers"] == 200
    assert all(status < 500 for status in answered.values()), answered


def test_make_run_on_another_dynamodb_endpoint_takes_the_keys_from_the_environment(monkeypatch) -> None:
    """DynamoDB Local has no SSM beside it: reading the template's parameter would fail every
    encrypted link. The runtime then takes the keys from the environment (random if unset)."""
    from goalpost_local.runtime import place_signing_keys

    monkeypatch.setenv("GOALPOST_SIGNING_KEYS_PARAMETER", "/goalpost/signing-keys")
    monkeypatch.delenv("GOALPOST_SIGNING_KEYS", raising=False)
    place_signing_keys(embedded=False, use_aws=False)
    assert signing_keys.PARAMETER_ENV not in os.environ
    assert signing_keys.keyring()[0][0] == "local"

    monkeypatch.setenv("GOALPOST_SIGNING_KEYS_PARAMETER", "/goalpost/signing-keys")
    place_signing_keys(embedded=False, use_aws=True)  # real AWS: the account's parameter
    assert os.environ[signing_keys.PARAMETER_ENV] == "/goalpost/signing-keys"
