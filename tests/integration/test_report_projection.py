"""The report projection: each conversion, refusal and clawback copied under its partner and its
offer by the stats function from the conversions stream (not by the postback), newest copy
kept whatever the stream delivers again or late; the export and the events never see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import duckdb
from botocore.config import Config

from goalpost.store import conversion_store, dynamo
from goalpost.streams import report_projection
from goalpost_local.streams import matches
from tests.helpers import admin, click, postback, setup_network, stats_pump


def conversions_stream_records(aws: Any) -> list[dict[str, Any]]:
    """Every record of the conversions table's stream so far, in the shape Lambda hands them."""
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    arn = aws.describe_table(TableName=dynamo.conversions_table())["Table"]["LatestStreamArn"]
    found: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]:
            data = {k: v for k, v in record["dynamodb"].items() if k != "ApproximateCreationDateTime"}
            found.append({"eventID": record["eventID"], "eventName": record["eventName"], "dynamodb": data})
    return found


def of_conversion(records: list[dict[str, Any]], conversion_id: str) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if r["dynamodb"].get("NewImage", {}).get("conversion_id", {}).get("S") == conversion_id
        and r["dynamodb"]["NewImage"].get("kind", {}).get("S") == "conversion"
    ]


def projection_copies(partner_id: str, offer_id: str, kind: str = "conversion") -> list[dict[str, Any]]:
    """Every projection item of a partner and of an offer (of one kind of record), as stored."""
    found: list[dict[str, Any]] = []
    for pk in [
        *conversion_store.partner_partitions(partner_id),
        *conversion_store.offer_partitions(offer_id),
    ]:
        found.extend(
            dynamo.all_pages(
                {
                    "TableName": dynamo.stats_table(),
                    "KeyConditionExpression": "pk = :pk",
                    "ExpressionAttributeValues": {":pk": {"S": pk}},
                }
            )
        )
    return sorted((i for i in found if i["kind"] == kind), key=lambda i: (str(i["pk"]), str(i["sk"])))


def partner_statuses(partner_id: str) -> list[str]:
    status, report = admin("GET", "/admin/conversions", query=f"partner_id={partner_id}&status=")
    assert status == 200, report
    return [r["status"] for r in report["items"]]  # conversions (clawbacks are other records)


def adjusted_conversion(stats_consumer: Any) -> tuple[dict[str, Any], str]:
    """A conversion recorded approved, then rejected by the admin; the stream consumed."""
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    conversion_id = f"{tid}-0"
    status, _ = admin("PATCH", f"/admin/conversions/{conversion_id}", {"status": "rejected", "note": "fraud"})
    assert status == 200
    stats_consumer.drain()
    return net, conversion_id


def test_the_partner_and_offer_reports_follow_the_stream_not_the_postback(aws, stats_consumer) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    # recorded (the network's report lists it at once), not yet in the partner's copy
    status, everyone = admin("GET", "/admin/conversions", query="")
    assert status == 200 and [r["transaction_id"] for r in everyone["items"]] == [tid]
    assert partner_statuses(partner_id) == []
    stats_consumer.drain()
    assert partner_statuses(partner_id) == ["approved"]
    status, offer = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}")
    assert status == 200 and [r["transaction_id"] for r in offer["items"]] == [tid]
    # a repeat changes the record (its duplicate count): the copies follow
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    stats_consumer.drain()
    copies = projection_copies(partner_id, offer_id)
    assert [int(c["duplicate_count"]) for c in copies] == [1, 1]
    assert [int(c["projected_version"]) for c in copies] == [1, 1]


def test_a_stream_record_delivered_late_never_overwrites_a_newer_copy(aws, stats_consumer) -> None:
    net, conversion_id = adjusted_conversion(stats_consumer)
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    assert partner_statuses(partner_id) == ["rejected"]
    inserted, rejected = of_conversion(conversions_stream_records(aws), conversion_id)
    assert (inserted["eventName"], rejected["eventName"]) == ("INSERT", "MODIFY")
    before = projection_copies(partner_id, offer_id)
    # the INSERT again, alone, after the change was applied (a retried batch, a late shard)
    assert report_projection.project([inserted]) == []
    assert projection_copies(partner_id, offer_id) == before
    assert partner_statuses(partner_id) == ["rejected"]
    # and both in one batch, the newer first
    assert report_projection.project([rejected, inserted]) == []
    assert projection_copies(partner_id, offer_id) == before
    assert {int(c["projected_version"]) for c in before} == {1}


def test_a_batch_delivered_again_changes_no_copy_and_no_count(aws, stats_consumer) -> None:
    net, _ = adjusted_conversion(stats_consumer)
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    copies = projection_copies(partner_id, offer_id)
    stats = admin("GET", "/admin/stats", query="interval=total")
    stats_pump(aws).drain()  # another poller reads both streams from their start: every batch again
    assert projection_copies(partner_id, offer_id) == copies
    assert admin("GET", "/admin/stats", query="interval=total") == stats
    assert partner_statuses(partner_id) == ["rejected"]


def test_a_projection_that_fails_retries_the_whole_batch_before_any_count(
    aws, stats_consumer, monkeypatch
) -> None:
    """The stats function copies before it counts: a failed copy returns the batch's first
    record, so the event source retries it all (copies put again harmlessly, counts once).
    Counting first would let a stats failure at a later record (a retry from there) leave the
    records before it uncopied for ever."""
    from goalpost_local import iam

    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    [consumer] = [c for c in stats_consumer.consumers if c.table == dynamo.conversions_table()]
    batch = [r for r in conversions_stream_records(aws) if any(matches(p, r) for p in consumer.patterns)]
    assert batch
    stats_function = consumer.handler  # held to the function's policies
    assert iam.ENFORCER.policies is not None
    statements = iam.ENFORCER.policies["StatsFunction"]
    # the projection's puts refused (the stats' own writes, batch markers included, still allowed)
    deny = iam.Statement("Deny", ("dynamodb:PutItem",), ("*",), leading_keys=("REPORT#*",))
    monkeypatch.setitem(iam.ENFORCER.policies, "StatsFunction", [*statements, deny])
    answer = stats_function({"Records": batch}, None)
    assert answer["batchItemFailures"] == [{"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}]
    assert projection_copies(partner_id, offer_id) == []
    assert admin("GET", "/admin/stats", query="interval=total")[1]["totals"]["conversions"] == 0
    monkeypatch.setitem(iam.ENFORCER.policies, "StatsFunction", statements)
    assert stats_function({"Records": batch}, None)["batchItemFailures"] == []
    assert len(projection_copies(partner_id, offer_id)) == 2
    assert admin("GET", "/admin/stats", query="interval=total")[1]["totals"]["conversions"] == 1


def test_the_export_and_the_events_see_each_conversion_once_not_its_copies(
    aws, stats_consumer, deliveries, export_folder: Path
) -> None:
    from tests.integration.test_events import capture_bus, received

    url = capture_bus()
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    stats_consumer.drain()
    deliveries.drain()
    assert len(projection_copies(partner_id, offer_id)) == 2  # the copies exist...
    rows = duckdb.sql(
        f"SELECT conversion_id, event FROM read_parquet('{export_folder}/conversion_events/*/*.parquet')"
    ).fetchall()
    assert [row[0] for row in rows] == [f"{tid}-0"]  # ...but one row was exported
    published = [e["detail-type"] for e in received(url)]
    assert sorted(published) == ["Conversion Approved", "Conversion Created"]
