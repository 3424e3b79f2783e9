"""Goalpost's events on EventBridge: published from the conversions stream (the partner postbacks
planner), never on the hot paths, each valid against its detail-type's JSON Schema in docs/events/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import jsonschema

from goalpost.streams import events
from tests.helpers import admin, click, postback, setup_network

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"


def schema_of(detail_type: str) -> dict[str, Any]:
    """``docs/events/<detail-type, lower case, dashed>.v<version>.json``."""
    slug = detail_type.lower().replace(" ", "-")
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{slug}.v{events.SCHEMA_VERSION}.json").read_text())
    return loaded


def capture_bus() -> str:
    """A rule of the network's own on the stack's bus: every goalpost event into a queue."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="test-event-capture")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bridge = boto3.client("events", region_name="us-east-1")
    bus = "test-EventBus"
    bridge.put_rule(Name="all-goalpost", EventBusName=bus, EventPattern=json.dumps({"source": ["goalpost"]}))
    bridge.put_targets(Rule="all-goalpost", EventBusName=bus, Targets=[{"Id": "capture", "Arn": arn}])
    return url


def received(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_every_event_reaches_the_bus_valid_against_its_schema(aws, deliveries, partners, monkeypatch) -> None:
    monkeypatch.setenv("GOALPOST_DELIVERY_DEADLINE_SECONDS", "1")
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")
    url = capture_bus()
    net = setup_network(offer={"default_goal": {"approve": True, "payout": {"flat": "2"}}})
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    pixel = {
        "partner_id": partner_id,
        "kind": "postback",
        "code": partners["down"].base + "/pb?t={transaction_id}",
    }
    assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201

    tid = click(offer_id, partner_id)
    assert postback(f"transaction_id={tid}&amount=20")["statusCode"] == 200  # pending
    deliveries.drain()
    first = received(url)
    assert [e["detail-type"] for e in first] == ["Conversion Created"]
    conversion_id = first[0]["detail"]["conversion"]["conversion_id"]
    assert first[0]["detail"]["conversion"]["status"] == "pending"
    assert first[0]["detail"]["conversion"]["payout"] == "2.00"

    decision = {"conversion_ids": [conversion_id], "status": "approved"}
    assert admin("POST", "/admin/conversions/decisions", decision)[0] == 200
    deliveries.drain(rounds=4)  # approved: the partner's postback fails (the down partner), and is retried
    status, _ = admin("PATCH", f"/admin/conversions/{conversion_id}", {"status": "rejected", "note": "fraud"})
    assert status == 200
    assert postback(f"transaction_id={tid}&offer_id=999")["statusCode"] == 422  # refused, stored

    capped = setup_network(offer={"caps": [{"period": "day", "measure": "conversions", "limit": "1"}]})
    capped_offer, capped_partner = capped["offer"]["offer_id"], capped["partner"]["partner_id"]
    assert postback(f"transaction_id={click(capped_offer, capped_partner)}")["statusCode"] == 200
    assert postback(f"transaction_id={click(capped_offer, capped_partner)}")["statusCode"] != 200
    deliveries.drain()
    published = first + received(url)

    assert {e["detail-type"] for e in published} == set(events.DETAIL_TYPES)
    for event in published:
        assert event["source"] == "goalpost"
        jsonschema.validate(event["detail"], schema_of(event["detail-type"]))
    ids = [e["detail"]["event_id"] for e in published]
    assert len(ids) == len(set(ids))
    mine = [
        e["detail-type"]
        for e in published
        if e["detail"].get("conversion", {}).get("conversion_id") == conversion_id
    ]
    assert mine == [
        "Conversion Created",
        "Conversion Adjusted", "Conversion Approved",
        "Conversion Adjusted", "Conversion Rejected",
    ]  # fmt: skip
    (reversed_,) = [e["detail"] for e in published if e["detail-type"] == "Conversion Reversed"]
    assert reversed_["clawback"]["reverses"] == conversion_id and reversed_["clawback"]["payout"] == "-2.00"
    (cap,) = [e["detail"] for e in published if e["detail-type"] == "Cap Reached"]
    assert cap["cap"] == "offer" and cap["conversion"]["offer_id"] == capped_offer
    failed = [e["detail"]["delivery"] for e in published if e["detail-type"] == "Delivery Failed"]
    assert failed and all(d["partner_id"] == partner_id and d["status"] == "failed" for d in failed)


def test_the_hot_paths_publish_nothing_themselves(aws) -> None:
    """A click and a postback make no EventBridge call: the events come from the stream."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events.client().meta.events.register("before-call.events", record)
    net = setup_network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    assert calls == []
