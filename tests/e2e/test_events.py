"""Events over the local runtime: its conversions-stream consumer publishes to the bus it created
in the embedded moto, where a rule of the network's own routes them (here: to a queue)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import LocalRuntime, click, make_network, wait_for

pytestmark = pytest.mark.e2e


def test_a_conversion_reaches_a_rule_on_the_runtimes_bus(runtime: LocalRuntime) -> None:
    endpoint = {"endpoint_url": runtime.dynamodb_endpoint, "region_name": "us-east-1"}
    bridge, sqs = boto3.client("events", **endpoint), boto3.client("sqs", **endpoint)
    [bus] = [b["Name"] for b in bridge.list_event_buses()["EventBuses"] if b["Name"].endswith("-EventBus")]
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}")
    tid = click(runtime, net)
    # the network's rule: this session's events only (other tests' conversions share the bus)
    url = sqs.create_queue(QueueName=f"e2e-events-{tid}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["goalpost"], "detail": {"conversion": {"transaction_id": [tid]}}}
    bridge.put_rule(Name=f"e2e-{tid}", EventBusName=bus, EventPattern=json.dumps(pattern))
    bridge.put_targets(Rule=f"e2e-{tid}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    assert runtime.get(f"/aff_lsr?transaction_id={tid}&amount=10").status == 200
    seen: list[dict[str, Any]] = []

    def arrived() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            seen.append(json.loads(message["Body"]))
        return {e["detail-type"] for e in seen} >= {"Conversion Created", "Conversion Approved"}

    wait_for(arrived, seconds=60)  # behind whatever the stream holds of the tests before
    assert sorted(e["detail-type"] for e in seen) == ["Conversion Approved", "Conversion Created"]
    assert all(e["source"] == "goalpost" and e["detail"]["conversion"]["transaction_id"] == tid for e in seen)
