"""Items a report reads (DynamoDB's ScannedCount), on moto with the template's tables and the
real store code: a one-partner and a one-offer report on a day that also holds ``others``
records of the rest of the network, and the network's own report, one page each. Each record
is written as the postback writes it (conversions table, its day index) and as the stats
function projects it (its partner's and its offer's copies in the stats table)."""

from __future__ import annotations

import os
import time
from typing import Any

DAY_SECONDS = 86_400


def _write(batch: list[dict[str, Any]], raw: Any, table: str) -> None:
    for start in range(0, len(batch), 25):
        pending = {table: [{"PutRequest": {"Item": item}} for item in batch[start : start + 25]]}
        while pending:
            pending = raw.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def report_reads(others: int = 100_000, mine: int = 60, limit: int = 50) -> dict[str, Any]:
    """Items read for one page (``limit``) of each report, with and without the others' records."""
    import secrets
    from decimal import Decimal

    import boto3
    from moto import mock_aws

    from goalpost.model.conversion import Conversion
    from goalpost.model.ids import iso_timestamp
    from goalpost.store import conversion_store, dynamo, report_store
    from goalpost_local.template import create_tables, function_environment

    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    day_start = 1_800_000_000 - 1_800_000_000 % DAY_SECONDS  # a UTC midnight
    days = (iso_timestamp(day_start)[:10],)
    start, end = iso_timestamp(day_start), iso_timestamp(day_start + DAY_SECONDS)

    def item(offer_id: str, partner_id: str, n: int, count: int) -> dict[str, Any]:
        """The item the store writes for a conversion (its own keys and report keys)."""
        tid = secrets.token_hex(16)
        record = Conversion(
            conversion_id=f"{tid}-0", offer_id=offer_id, goal_id="0", partner_id=partner_id,
            transaction_id=tid, status="approved", status_code="approved_server_postback",
            created_at=iso_timestamp(day_start + (n + 0.5) * DAY_SECONDS / count),
            payout=Decimal("1.00"), revenue=Decimal("2.00"), currency="USD",
        )  # fmt: skip
        return conversion_store._stored(record, conversion_store.stored_key(record))

    def write(batch: list[dict[str, Any]]) -> None:
        """The records and their projection copies (``report_store.projection_items``)."""
        _write(batch, raw, table)
        copies = [
            dynamo.to_item(copy)
            for stored in batch
            for copy in report_store.projection_items(dynamo.from_item(stored))
        ]
        _write(copies, raw, names["StatsTable"])

    def page(**narrow: str) -> dict[str, int]:
        counts = {"items": 0, "queries": 0}

        def record(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            if model.name == "Query":
                counts["items"] += int(parsed.get("ScannedCount", 0))
                counts["queries"] += 1

        events = dynamo.client().meta.events
        events.register("after-call.dynamodb", record)
        query = report_store.ReportQuery(start=start, end=end, days=days, **narrow)
        items, _ = report_store.conversion_report(query, limit=limit)
        events.unregister("after-call.dynamodb", record)
        return {"returned": len(items), "items_read": counts["items"], "queries": counts["queries"]}

    with mock_aws():
        raw = boto3.client("dynamodb", region_name="us-east-1")
        names = create_tables(raw, prefix="bench-reports")
        os.environ.update(function_environment(names))
        dynamo.reset_client()
        table = names["ConversionsTable"]
        write([item("1", "1", n, mine) for n in range(mine)])
        alone = {
            "one partner": page(partner_id="1"),
            "one offer": page(offer_id="1"),
            "network": page(),
        }
        started = time.perf_counter()
        for first in range(0, others, 5_000):  # 50 other partners on 20 other offers
            batch = [
                item(str(2 + n % 20), str(2 + n % 50), n, others)
                for n in range(first, min(first + 5_000, others))
            ]
            write(batch)
        written_s = time.perf_counter() - started
        crowded = {
            "one partner": page(partner_id="1"),
            "one offer": page(offer_id="1"),
            "network": page(),
        }
    dynamo.reset_client()
    return {
        "others": others,
        "mine": mine,
        "limit": limit,
        "shards": conversion_store.REPORT_SHARDS,
        "alone": alone,
        "with_others": crowded,
        "before_sharding_one_partner_items_read": others + mine,
        "write_seconds": round(written_s, 1),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(report_reads(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), indent=2))
