"""The report keys: a record sits in one write-sharded report index (the network's day: 2 WCU with
its item), a conversion awaiting approval also in a sparse one; its partner's and its offer's
reports read the report projection that the stats function keeps from the conversions stream."""

import zlib

import pytest

from goalpost.model import clock as tracker_clock
from goalpost.model.ids import iso_timestamp
from goalpost.store import conversion_store, dynamo
from goalpost.store.conversion_store import REPORT_SHARDS
from tests.helpers import admin, click, conversions, items_read, postback, record_conversion, setup_network

REPORT_INDEXES = {"by_day_time"}


def _indexes_of(item: dict[str, object]) -> set[str]:
    table = dynamo.client().describe_table(TableName=dynamo.conversions_table())["Table"]
    return {
        index["IndexName"]
        for index in table["GlobalSecondaryIndexes"]
        if all(k["AttributeName"] in item for k in index["KeySchema"])
    }


def test_a_new_conversion_costs_its_item_and_one_index_write_the_days_in_the_shard_of_its_id(
    aws, stats_consumer
) -> None:
    from tests.helpers import dynamodb_calls

    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    with dynamodb_calls() as calls:
        assert postback(f"transaction_id={tid}")["statusCode"] == 200
    writes = [c for c in calls if c not in ("GetItem", "Query", "BatchGetItem")]
    assert writes == ["PutItem"]  # the conversion's own item, nothing else
    [item] = [i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("CONV#")]
    # its PutItem (1 WCU) and one index write (1 WCU): $3.11 a million, as before issue 32
    assert _indexes_of(item) == REPORT_INDEXES
    shard = zlib.crc32(item["conversion_id"].encode()) % REPORT_SHARDS
    day = item["created_at"][:10]
    assert item["day_key"] == f"DAY#{day}#{shard}"
    assert "partner_key" not in item and "offer_key" not in item
    # the partner's and the offer's copies come from the stream, in the same shard
    stats_consumer.drain()
    for pk in (f"REPORT#PARTNER#{partner_id}#{shard}", f"REPORT#OFFER#{offer_id}#{shard}"):
        copy = aws.get_item(
            TableName=dynamo.stats_table(), Key={"pk": {"S": pk}, "sk": {"S": item["created_key"]}}
        )["Item"]
        assert copy["conversion_id"]["S"] == item["conversion_id"] and "expires_at" not in copy


def test_pending_conversions_are_listed_for_approval_until_decided(aws) -> None:
    net = setup_network(offer={"default_goal": {"approve": True, "payout": {"flat": "2"}}})
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    [item] = [i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("CONV#")]
    assert _indexes_of(item) == REPORT_INDEXES | {"by_offer_pending", "by_review"}
    status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    assert status == 200 and [c["transaction_id"] for c in pending["items"]] == [tid]

    conversion_id = pending["items"][0]["conversion_id"]
    status, _ = admin(
        "POST", "/admin/conversions/decisions", {"conversion_ids": [conversion_id], "status": "approved"}
    )
    assert status == 200
    status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    assert status == 200 and pending["items"] == []
    [item] = [i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("CONV#")]
    assert _indexes_of(item) == REPORT_INDEXES  # out of the approvals index

    status, _ = admin(
        "PATCH", f"/admin/conversions/{conversion_id}", {"status": "pending", "note": "recheck"}
    )
    assert status == 200
    status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    assert [c["conversion_id"] for c in pending["items"]] == [conversion_id]  # back for a decision


def test_the_report_keys_serve_the_offers_list_and_the_offer_and_partner_reports(aws, stats_consumer) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}&offer_id=999")["statusCode"] == 422  # refused, stored
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    stats_consumer.drain()
    listed = conversions(offer_id)
    assert sorted(c["status"] for c in listed) == ["approved", "rejected"]
    other = setup_network()  # another offer and partner on the same days: filtered out
    other_tid = click(other["offer"]["offer_id"], other["partner"]["partner_id"])
    assert postback(f"transaction_id={other_tid}")["statusCode"] == 200
    stats_consumer.drain()  # the one-offer and one-partner reports read the stream's projection
    status, report = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}&status=approved")
    assert status == 200 and [r["transaction_id"] for r in report["items"]] == [tid]
    status, mine = admin("GET", "/admin/conversions", query=f"partner_id={net['partner']['partner_id']}")
    assert status == 200 and sorted(r["status"] for r in mine["items"]) == ["approved", "rejected"]
    status, everyone = admin("GET", "/admin/conversions", query="status=approved")
    assert {r["transaction_id"] for r in everyone["items"]} >= {tid, other_tid}


def _all_pages(query: str, limit: int) -> list[str]:
    """Every record id of a report, page after page through its cursor."""
    seen: list[str] = []
    cursor = ""
    while True:
        status, body = admin("GET", "/admin/conversions", query=f"{query}&limit={limit}{cursor}")
        assert status == 200, body
        assert len(body["items"]) <= limit
        seen.extend(r["conversion_id"] for r in body["items"])
        if not body["next_cursor"]:
            return seen
        cursor = f"&cursor={body['next_cursor']}"


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_report_pages_cross_shard_boundaries_in_time_order_and_lose_nothing(
    aws, clock, stats_consumer, limit
) -> None:
    net, other = setup_network(), setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    start = clock.at
    mine: list[tuple[str, str]] = []
    theirs: list[tuple[str, str]] = []
    for n in range(24):  # every 20 minutes for 8 hours (across a UTC midnight now and then)
        created = iso_timestamp(start - 1200 * n)
        mine.append((created, record_conversion(offer_id, partner_id, created)))
        if n % 3 == 0:
            created = iso_timestamp(start - 1200 * n - 7)
            theirs.append(
                (
                    created,
                    record_conversion(other["offer"]["offer_id"], other["partner"]["partner_id"], created),
                )
            )
    assert len({conversion_store.report_shard(cid) for _, cid in mine}) >= 4  # spread over the shards
    stats_consumer.drain()
    newest_first = [cid for _, cid in sorted(mine, reverse=True)]
    everyone = [cid for _, cid in sorted(mine + theirs, reverse=True)]
    day = iso_timestamp(tracker_clock.now())[:10]
    window = f"to={day}"
    assert _all_pages(f"{window}&partner_id={partner_id}", limit) == newest_first
    assert _all_pages(f"{window}&offer_id={offer_id}", limit) == newest_first
    assert _all_pages(window, limit) == everyone


def test_a_report_cursor_the_api_did_not_hand_out_is_refused(aws) -> None:
    import base64
    import json

    for made_up in ({"before": 5}, {"before": "x"}, {"before": "2026-01-01T00:00:00.000Z#1-0", "x": "y"}):
        cursor = base64.urlsafe_b64encode(json.dumps(made_up).encode()).decode().rstrip("=")
        status, body = admin("GET", "/admin/conversions", query=f"cursor={cursor}")
        assert status == 400 and body["error"]["code"] == "bad_cursor", made_up


def _reads_of_one_partner_and_one_offer(offer_id: str, partner_id: str) -> tuple[int, int]:
    with items_read() as partner_reads:
        status, report = admin("GET", "/admin/conversions", query=f"partner_id={partner_id}&limit=50")
    assert status == 200 and len(report["items"]) == 6
    with items_read() as offer_reads:
        status, report = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}&limit=50")
    assert status == 200 and len(report["items"]) == 6
    return partner_reads["items"], offer_reads["items"]


def test_a_one_partner_or_one_offer_report_reads_what_it_returns_not_the_networks_day(
    aws, clock, stats_consumer
) -> None:
    net, crowd = setup_network(), setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for n in range(6):
        record_conversion(offer_id, partner_id, iso_timestamp(clock.at - 60 * n))
    stats_consumer.drain()
    alone = _reads_of_one_partner_and_one_offer(offer_id, partner_id)
    assert alone == (6, 6)
    crowd_offer, crowd_partner = crowd["offer"]["offer_id"], crowd["partner"]["partner_id"]
    for n in range(400):  # the rest of the network's day: another partner on another offer
        record_conversion(crowd_offer, crowd_partner, iso_timestamp(clock.at - 30 * n - 1))
    stats_consumer.drain()
    assert _reads_of_one_partner_and_one_offer(offer_id, partner_id) == alone


def test_the_approvals_list_pages_across_its_shards_newest_first(aws, clock) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    made = [
        (
            iso_timestamp(clock.at - 86_400 * n - 60),
            record_conversion(
                offer_id, partner_id, iso_timestamp(clock.at - 86_400 * n - 60), status="pending"
            ),
        )
        for n in range(9)  # one a day: the approvals list is not bound to a range
    ]
    record_conversion(offer_id, partner_id, iso_timestamp(clock.at), status="approved")  # not awaiting
    assert len({conversion_store.report_shard(cid) for _, cid in made}) >= 3
    seen: list[str] = []
    cursor = ""
    while True:
        status, body = admin("GET", f"/admin/offers/{offer_id}/conversions/pending", query=f"limit=2{cursor}")
        assert status == 200 and len(body["items"]) <= 2
        seen.extend(c["conversion_id"] for c in body["items"])
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert seen == [cid for _, cid in sorted(made, reverse=True)]


def test_a_reports_parallel_shard_queries_are_held_to_the_admin_functions_policy(aws, monkeypatch) -> None:
    """The shards are queried from worker threads: they still act as the admin function (the
    local IAM check follows them), so a policy that does not reach an index fails here too."""
    from botocore.exceptions import ClientError

    from goalpost_local import iam

    assert iam.ENFORCER.policies is not None
    statements = iam.ENFORCER.policies["GoalsAdminFunction"]
    deny = iam.Statement("Deny", ("dynamodb:Query",), ("*/index/by_day_time",))
    monkeypatch.setitem(iam.ENFORCER.policies, "GoalsAdminFunction", [*statements, deny])
    assert admin("GET", "/admin/conversions", query="partner_id=1")[0] == 200  # the projection
    with pytest.raises(ClientError, match=r"AccessDeniedException.*index/by_day_time"):
        admin("GET", "/admin/conversions", query="")


def test_a_selective_filter_reads_on_in_growing_pages_not_one_small_page_after_another(
    aws, clock, stats_consumer
) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for n in range(600):  # the partner's approved conversions, and 3 pending ones among the oldest
        record_conversion(offer_id, partner_id, iso_timestamp(clock.at - 10 * n - 5), status="approved")
    for n in range(3):
        record_conversion(offer_id, partner_id, iso_timestamp(clock.at - 7_000 - n), status="pending")
    stats_consumer.drain()
    with items_read() as reads:
        status, report = admin("GET", "/admin/conversions", query=f"partner_id={partner_id}&status=pending")
    assert status == 200 and len(report["items"]) == 3
    # 10 shards of ~60 records: pages of 8, 16, 32, 64 (4 a shard), not 8 at a time (8 a shard)
    assert reads["queries"] <= 4 * REPORT_SHARDS + 5, reads
