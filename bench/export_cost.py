"""What the export adds per million events, at list prices (part of make bench).

Rows are built by the export itself (goalpost.streams.export) from stream records shaped as the
tracker writes them (a click with sub ids and a browser's user agent; an approved sale with its
sub ids); their JSON is packed as the function packs it; Firehose bills each record in 5 KB
steps for ingestion and again for format conversion; Parquet bytes are measured by writing
the rows with DuckDB (Snappy, as Firehose writes them); the export's CPU per batch is measured
with the sink replaced by one that only packs. The export rides on the stats function's
invocations: the Lambda request share below is an upper bound (they would be made anyway).
"""

from __future__ import annotations

import hashlib
import math
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

PRICES = {
    "as_of": "AWS list prices, us-east-1, as published in 2025",
    "firehose_ingest_per_gb": 0.029,  # Direct PUT, first 500 TB a month; 5 KB steps per record
    "firehose_format_conversion_per_gb": 0.018,  # on the GB billed for ingestion
    "s3_storage_gb_month": 0.023,
    "s3_put_per_thousand": 0.005,
    "lambda_requests_per_million": 0.20,
    "lambda_arm64_gb_second": 0.0000133334,
    "athena_per_tb_scanned": 5.00,
}
FIREHOSE_STEP = 5 * 1024
BATCH = 1000  # the stats function's BatchSize (template.yaml)
MEMORY_GB = 0.5  # StatsFunction (which runs the export): Globals MemorySize 512
OBJECTS_PER_MONTH = 3 * 12 * 24 * 30  # 3 streams, a file per 5-minute buffer at most (busy hours)
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"


def _record(n: int, image: dict[str, Any]) -> dict[str, Any]:
    from goalpost.store import dynamo

    return {
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": str(10**20 + n), "NewImage": dynamo.to_item(image)},
    }


def sample_records(kind: str, count: int) -> list[dict[str, Any]]:
    subs = {"aff_sub": "campaign-2026-11-spring", "aff_sub2": "placement-42", "source": "newsletter"}
    records = []
    for n in range(count):
        tid = hashlib.md5(str(n).encode(), usedforsecurity=False).hexdigest()  # random-looking, as issued
        if kind == "clicks":
            image: dict[str, Any] = {
                "transaction_id": tid, "offer_id": "1042", "partner_id": "2077",
                "created_at": Decimal("1795507200.123") + n, "subs": subs,
                "ip": f"203.0.{n % 256}.{n * 7 % 256}", "user_agent": USER_AGENT,
            }  # fmt: skip
        else:
            image = {
                "kind": "conversion", "conversion_id": f"{tid}-3", "offer_id": "1042", "goal_id": "3091",
                "goal_name": "Sale", "partner_id": "2077", "advertiser_id": "501", "transaction_id": tid,
                "status": "approved", "status_code": "approved_server_postback", "currency": "USD",
                "created_at": "2026-11-24T07:41:56.123Z", "via": "server_postback", "private": False,
                "payout": Decimal(n % 997) / 8, "revenue": Decimal(n % 997) / 5, "sale_amount": Decimal(n % 997),
                "payout_source": "goal", "subs": subs, "adv_subs": {"adv_sub": f"ORDER-{884211 + n}"},
            }  # fmt: skip
        records.append(_record(n, image))
    return records


class _Packing:
    def __init__(self) -> None:
        self.records: list[bytes] = []

    def put(self, table: str, rows: Any) -> None:
        from goalpost.streams.export import pack

        self.records.extend(pack(rows))


def per_million(kind: str) -> dict[str, Any]:
    from goalpost.streams import export
    from goalpost_local.export import ParquetFolderSink

    records = sample_records(kind, BATCH)
    sink = _Packing()
    export.set_sink(sink)
    try:
        started = time.perf_counter()
        for _ in range(5):
            sink.records.clear()
            assert export.export(records) == []
        cpu_ms = (time.perf_counter() - started) * 1000 / 5
    finally:
        export.set_sink(None)
    row_bytes = sum(len(r) for r in sink.records) / BATCH
    billed_bytes = sum(math.ceil(len(r) / FIREHOSE_STEP) * FIREHOSE_STEP for r in sink.records) * 1000
    unpacked_billed = BATCH * math.ceil(row_bytes / FIREHOSE_STEP) * FIREHOSE_STEP * 1000
    rows = [
        found[1]
        for found in (export.row_of(r) for r in sample_records(kind, 10 * BATCH))
        if found is not None
    ]
    with tempfile.TemporaryDirectory() as folder:
        table = "clicks" if kind == "clicks" else "conversion_events"
        ParquetFolderSink(Path(folder)).put(table, rows)
        parquet_bytes = sum(p.stat().st_size for p in Path(folder).rglob("*.parquet")) / len(rows)
    gb = billed_bytes / 1e9
    parts = {
        "firehose_ingest": gb * PRICES["firehose_ingest_per_gb"],
        "firehose_format_conversion": gb * PRICES["firehose_format_conversion_per_gb"],
        "lambda_requests": 1e6 / BATCH * PRICES["lambda_requests_per_million"] / 1e6,
        "lambda_duration": 1e6
        / BATCH
        * max(1.0, cpu_ms + 30)
        / 1000
        * MEMORY_GB
        * PRICES["lambda_arm64_gb_second"],
        "s3_storage_month": parquet_bytes * 1e6 / 1e9 * PRICES["s3_storage_gb_month"],
    }
    parts = {k: round(v, 4) for k, v in parts.items()}
    return {
        **parts,
        "total": round(sum(parts.values()), 3),
        "json_bytes_per_event": round(row_bytes),
        "events_per_firehose_record": round(BATCH / len(sink.records), 1),
        "billed_gb": round(gb, 3),
        "without_packing_billed_gb": round(unpacked_billed / 1e9, 3),
        "without_packing_firehose": round(
            unpacked_billed
            / 1e9
            * (PRICES["firehose_ingest_per_gb"] + PRICES["firehose_format_conversion_per_gb"]),
            3,
        ),
        "parquet_bytes_per_event": round(parquet_bytes, 1),
        "cpu_ms_per_batch_of_1000": round(cpu_ms, 1),
    }


def export_cost() -> dict[str, Any]:
    return {
        "prices": PRICES,
        "assumptions": {
            "batch": BATCH,
            "memory_gb": MEMORY_GB,
            "lambda_billed_ms": "CPU per batch + 30 ms for PutRecordBatch round trips",
            "s3_puts_a_month_at_most": OBJECTS_PER_MONTH,
            "s3_puts_month_cost": round(OBJECTS_PER_MONTH / 1000 * PRICES["s3_put_per_thousand"], 2),
        },
        "per_million_clicks": per_million("clicks"),
        "per_million_conversions": per_million("conversions"),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(export_cost(), indent=2))
