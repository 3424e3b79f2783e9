"""20 conversions racing for a cap's last slot: exactly one gets it.

On the embedded DynamoDB (each request atomic, as in DynamoDB; moto in-process is not), with
the conversions recorded by 20 threads at once: the exactness comes from the conditional
counter update inside each conversion's transaction, not from any lock of ours.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from goalpost.store import config_cache, counter_store, dynamo
from goalpost.tracking.postbacks import record_conversion
from goalpost.web.conversion_request import conversion_request
from tests.helpers import admin, click, race, setup_network


@pytest.mark.parametrize(("scope", "shards"), [("offer", 1), ("partner", 1), ("offer", 4)])
def test_twenty_threads_racing_for_the_last_slot_of_a_cap(embedded: Any, scope: str, shards: int) -> None:
    """Sharded (4 counter items sharing the cap 2+1+1+1), a full shard sends a conversion on to
    the next: still exactly the cap, never more."""
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    cap = {"period": "lifetime", "measure": "conversions", "limit": "5"}
    if scope == "partner":
        cap["partner_id"] = partner_id
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    patch = {"caps": [cap], "cap_shards": shards}
    assert admin("PATCH", f"/admin/offers/{offer_id}", patch, if_match=str(version))[0] == 200
    config_cache.clear()

    def convert(tid: str) -> str:
        request = conversion_request(
            {"transaction_id": tid},
            default_goal=True,
            via="server_postback",
            ip="203.0.113.9",
            user_agent="race",
        )
        return record_conversion(request, time.time()).code

    assert [convert(click(offer_id, partner_id)) for _ in range(4)] == ["approved_server_postback"] * 4
    racers = [click(offer_id, partner_id) for _ in range(20)]
    codes = race(lambda i: convert(racers[i]))
    assert codes.count("approved_server_postback") == 1, codes
    assert codes.count(f"{scope}_cap_reached") == 19
    keys = [
        f"{scope if scope == 'offer' else 'partner:' + partner_id}#lifetime"
        + (f"#s{n}" if shards > 1 else "")
        for n in range(shards)
    ]
    counted = counter_store.cap_counters(offer_id, keys)
    assert len(counted) == shards
    assert sum(Decimal(counter["conversions"]) for counter in counted) == 5
    approved = embedded.scan(
        TableName=dynamo.conversions_table(),
        FilterExpression="#s = :a",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":a": {"S": "approved"}},
    )["Items"]
    assert len(approved) == 5
