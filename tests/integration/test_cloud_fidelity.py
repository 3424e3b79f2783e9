"""Issue 13: what passes locally works on AWS - each function held to its template policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from goalpost.store import dynamo
from goalpost_local import iam
from goalpost_local.gateway import LambdaContext
from tests.helpers import ADMIN, PARTNER, admin, click, event, handler, partner_call, postback, setup_network


def conversions_arn() -> str:
    return iam.table_arn(dynamo.conversions_table())


def test_a_call_outside_a_functions_template_policy_is_denied_as_aws_would(aws) -> None:
    query = {
        "TableName": dynamo.conversions_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "TX#x"}},
    }
    with iam.acting_as("ClickFunction"), pytest.raises(ClientError) as denied:
        dynamo.client().query(**query)  # the click may only PutItem sessions and read config
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:Query" in str(denied.value) and conversions_arn() in str(denied.value)
    with iam.acting_as("GoalsAdminFunction"):
        dynamo.client().query(**query)  # the admin's policy allows it
    dynamo.client().query(**query)  # outside any function: an admin's own credentials, not checked


def test_transactions_are_checked_item_by_item_and_indexes_by_their_arn(aws) -> None:
    assert iam.required(
        "dynamodb",
        "TransactWriteItems",
        {"TransactItems": [{"Update": {"TableName": "s"}}, {"Put": {"TableName": "c"}}]},
    ) == [("dynamodb:UpdateItem", iam.table_arn("s")), ("dynamodb:PutItem", iam.table_arn("c"))]
    assert iam.required("dynamodb", "Query", {"TableName": "c", "IndexName": "by_kind"}) == [
        ("dynamodb:Query", iam.table_arn("c") + "/index/by_kind")
    ]
    policies = iam.ENFORCER.policies
    assert policies is not None
    postback_policy = policies["PostbackFunction"]
    index = conversions_arn() + "/index/by_day_time"
    assert not iam.allowed(postback_policy, "dynamodb:Query", index)  # the tracking path reads no index
    assert iam.allowed(policies["GoalsAdminFunction"], "dynamodb:Query", index)


def test_sam_policy_templates_are_expanded_as_sam_does(aws) -> None:
    policies = iam.ENFORCER.policies
    assert policies is not None
    sessions = aws.describe_table(TableName=dynamo.sessions_table())["Table"]["LatestStreamArn"]
    conversions = aws.describe_table(TableName=dynamo.conversions_table())["Table"]["LatestStreamArn"]
    assert iam.allowed(policies["StatsFunction"], "dynamodb:GetRecords", sessions)
    assert not iam.allowed(policies["PartnerPostbacksFunction"], "dynamodb:GetRecords", sessions)
    assert iam.allowed(policies["PartnerPostbacksFunction"], "dynamodb:GetRecords", conversions)
    assert iam.allowed(policies["StatsFunction"], "sqs:SendMessage", iam.queue_arn_of("StatsDeadLetters"))
    assert not iam.allowed(
        policies["StatsFunction"], "sqs:SendMessage", iam.queue_arn_of("PartnerPostbacksDeadLetters")
    )


def test_status_update_by_order_id_needs_query_on_conversions_and_the_template_grants_it(
    aws, monkeypatch
) -> None:
    net = setup_network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}&adv_sub=ORDER-1")["statusCode"] == 200
    policies = iam.ENFORCER.policies
    assert policies is not None
    # the template before this fix: Get/Put/Update/ConditionCheck on conversions, no Query
    without_query = [
        iam.Statement(s.effect, tuple(a for a in s.actions if a != "dynamodb:Query"), s.resources)
        if conversions_arn() in s.resources
        else s
        for s in policies["PostbackFunction"]
    ]
    monkeypatch.setitem(policies, "PostbackFunction", without_query)
    refused = postback(f"transaction_id={tid}&adv_sub=ORDER-1&status=rejected&format=json")
    assert refused["statusCode"] == 503  # what every such postback got on AWS: AccessDenied
    monkeypatch.undo()
    applied = postback(f"transaction_id={tid}&adv_sub=ORDER-1&status=rejected&format=json")
    assert applied["statusCode"] == 200 and json.loads(applied["body"])["code"] == "status_updated"


def test_the_stream_pump_reads_with_the_consumers_role(aws, stats_consumer, monkeypatch) -> None:
    policies = iam.ENFORCER.policies
    assert policies is not None
    monkeypatch.setitem(
        policies, "StatsFunction", [s for s in policies["StatsFunction"] if "sqs:" in s.actions[0]]
    )
    with pytest.raises(ClientError) as denied:
        stats_consumer.drain()
    assert "dynamodb:DescribeStream" in str(denied.value)


# ------------------------------------------------------------------ admin and partner authentication


def test_an_admin_request_without_iam_context_is_refused(aws) -> None:
    request = event("GET", "/admin/offers")
    request["requestContext"].pop("authorizer", None)
    response = handler(ADMIN)(request, LambdaContext(ADMIN))
    assert response["statusCode"] == 403 and json.loads(response["body"])["error"]["code"] == "iam_required"
    assert admin("GET", "/admin/offers")[0] == 200


def test_a_rotated_partner_key_stops_working_at_once(aws) -> None:
    net = setup_network()
    partner_id, old_key = net["partner"]["partner_id"], net["partner"]["api_key"]
    assert partner_call("/partner/offers", old_key)["statusCode"] == 200
    status, rotated = admin("POST", f"/admin/partners/{partner_id}/api-key")
    assert status == 200
    # API Gateway may still hold the authorizer's answer for the old key: the function checks again
    cached = event("GET", "/partner/offers", headers={"x-api-key": old_key})
    cached["requestContext"]["authorizer"] = {"lambda": {"partner_id": partner_id}}
    response: dict[str, Any] = handler(PARTNER)(cached, LambdaContext(PARTNER))
    assert response["statusCode"] == 401
    assert partner_call("/partner/offers", rotated["api_key"])["statusCode"] == 200


def test_each_execution_environment_runs_one_invocation_at_a_time_as_lambda_does() -> None:
    """Concurrent requests to one function: never two at once in one environment (its module
    state is its own), more environments up to the limit, and sequential calls stay on one."""
    import threading
    import time

    from goalpost_local.gateway import Instances

    guard = threading.Lock()
    inside: dict[int, int] = {}
    most_in_one: list[int] = [0]
    most_at_once: list[int] = [0]

    def load(index: int) -> Any:
        def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
            with guard:
                inside[index] = inside.get(index, 0) + 1
                most_in_one[0] = max(most_in_one[0], inside[index])
                most_at_once[0] = max(most_at_once[0], sum(inside.values()))
            time.sleep(0.05)
            with guard:
                inside[index] -= 1
            return {"instance": index}

        return slow

    sequential = Instances(load, limit=3)
    assert {sequential({}, None)["instance"] for _ in range(5)} == {0}  # warm and reused
    pool = Instances(load, limit=3)
    threads = [threading.Thread(target=pool, args=({}, None)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most_in_one[0] == 1  # one invocation at a time per environment
    assert pool.started == 3 and most_at_once[0] == 3  # scaled out to the limit, never past it


def test_leading_keys_conditions_are_evaluated_as_iam_does(aws) -> None:
    """ForAllValues:StringLike on dynamodb:LeadingKeys: every partition key a request names
    must match a pattern (items of a transaction one by one, a Query by its key condition, an
    index by its own partition key); a Scan names none, so ForAllValues lets it through."""
    config = dynamo.config_table()
    assert iam.checked(
        "dynamodb", "GetItem", {"TableName": config, "Key": {"pk": {"S": "ADV#1"}, "sk": {"S": "P"}}}
    ) == [("dynamodb:GetItem", iam.table_arn(config), ("ADV#1",))]
    query = {
        "TableName": config,
        "IndexName": "by_kind",
        "KeyConditionExpression": "#k = :k",
        "ExpressionAttributeNames": {"#k": "kind"},
        "ExpressionAttributeValues": {":k": {"S": "advertiser"}},
    }
    assert iam.checked("dynamodb", "Query", query)[0][2] == ("advertiser",)
    writes = {
        "TransactItems": [
            {"Put": {"TableName": config, "Item": {"pk": {"S": "OFFER#1"}, "sk": {"S": "PIXEL#1"}}}},
            {"Update": {"TableName": config, "Key": {"pk": {"S": "ADV#1"}, "sk": {"S": "PROFILE"}}}},
        ]
    }
    assert [keys for _, _, keys in iam.checked("dynamodb", "TransactWriteItems", writes)] == [
        ("OFFER#1",),
        ("ADV#1",),
    ]
    assert iam.checked("dynamodb", "Scan", {"TableName": config})[0][2] == ()
    narrowed = [iam.Statement("Allow", ("dynamodb:GetItem", "dynamodb:Scan"), ("*",), ("OFFER#*", "NETWORK"))]
    arn = iam.table_arn(config)
    assert iam.allowed(narrowed, "dynamodb:GetItem", arn, ("OFFER#12",))
    assert iam.allowed(narrowed, "dynamodb:GetItem", arn, ("NETWORK",))
    assert not iam.allowed(narrowed, "dynamodb:GetItem", arn, ("ADV#1",))
    assert not iam.allowed(narrowed, "dynamodb:GetItem", arn, ("NETWORKS",))  # whole value, not a prefix
    assert not iam.allowed(narrowed, "dynamodb:GetItem", arn, ("OFFER#1", "ADV#1"))  # for all values
    assert iam.allowed(narrowed, "dynamodb:Scan", arn, ())  # why no narrowed role may be granted Scan
    assert not iam.string_like("OFFER#1", ("offer#*",)) and iam.string_like("OFFER#[1]", ("OFFER#[?]",))
