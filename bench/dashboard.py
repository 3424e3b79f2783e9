"""The console's dashboard on a month of stats: how long /admin/dashboard takes to answer.

A month of hourly cells for a network of 4 offers x 3 partners (every hour of every day has
clicks on every pair, and conversions on each offer's default goal: 24 cells an hour, 17,280
in the month), written through the stats store's own transactions on moto, then the route
answered in-process (the admin function's handler) several times: the median and the slowest.
The dashboard reads the stats' rollups (kept by the stats consumer beside the cells, in the
same transactions): the network's, each offer's and each partner's per UTC day, and per hour
for a day the zone's midnight cuts; the figures report how many items that was, in UTC and in
a zone whose midnight is not UTC's (Asia/Tokyo).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

OFFERS, PARTNERS, DAYS = 4, 3, 30
NOW = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)


def _seed() -> int:
    from goalpost.model.stats import Cell, CellDelta
    from goalpost.rules.stats import group_of
    from goalpost.store import stats_store

    written = 0
    start = NOW.replace(minute=0) - timedelta(days=DAYS)
    hour = start
    n = 0
    while hour <= NOW:
        label = hour.strftime("%Y-%m-%dT%H")
        cells: dict[Cell, CellDelta] = {}
        for offer in range(1, OFFERS + 1):
            for partner in range(1, PARTNERS + 1):
                clicks = Decimal(10 + (offer * partner + hour.hour) % 30)
                cells[Cell(label, str(offer), str(partner), "")] = CellDelta(str(offer), {"clicks": clicks})
                payout, revenue = Decimal(2 * offer), Decimal(3 * offer)
                cells[Cell(label, str(offer), str(partner), "0")] = CellDelta(
                    str(offer),
                    {
                        "conversions": Decimal(1),
                        "pending": Decimal(offer % 2),
                        "payout": payout,
                        "revenue": revenue,
                        "base:USD:payout": payout,
                        "base:USD:revenue": revenue,
                    },
                    "USD",
                )
        n += 1
        stats_store.apply_stats(group_of(f"seed-{n}", f"seed-{n}", 1, cells), int(NOW.timestamp()))
        written += len(cells)
        hour += timedelta(hours=1)
    return written


def dashboard_bench(runs: int = 9) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    import goalpost_local.dynamodb  # noqa: F401 - moto as the local runtime runs it (lean transaction backups)
    from bench.__main__ import BENCH_ENV

    os.environ.update({k: v for k, v in BENCH_ENV.items() if k != "PYTHONPATH"})
    with mock_aws():
        from goalpost.model import clock
        from goalpost.store import config_cache, dynamo
        from goalpost_local.template import create_tables, function_environment

        raw = boto3.client("dynamodb", region_name="us-east-1")
        os.environ.update(function_environment(create_tables(raw, prefix="benchdash")))
        dynamo.reset_client()
        config_cache.clear()

        class Fixed:
            def __call__(self) -> float:
                return NOW.timestamp()

        clock.set_source(Fixed())
        try:
            seeded_at = time.perf_counter()
            cells = _seed()
            seed_s = time.perf_counter() - seeded_at
            from goalpost.store import stats_store
            from tests.helpers import admin

            read: list[int] = []
            real_read = stats_store.rollup_items

            def counted(*args: Any) -> list[dict[str, Any]]:
                items = real_read(*args)
                read.append(len(items))
                return items

            stats_store.rollup_items = counted  # type: ignore[assignment]
            results = {}
            for zone in ("UTC", "Asia/Tokyo"):
                timings, body = [], {}
                read.clear()
                for _ in range(runs):
                    t = time.perf_counter()
                    status, body = admin("GET", "/admin/dashboard", query=f"timezone={zone}")
                    timings.append((time.perf_counter() - t) * 1000)
                    assert status == 200, body
                results[zone] = (timings, body, read[-1])
            stats_store.rollup_items = real_read  # type: ignore[assignment]
        finally:
            clock.set_source(None)
    timings, body, items_read = results["UTC"]
    tokyo_timings, _, tokyo_read = results["Asia/Tokyo"]
    week = body["periods"]["last_7_days"]
    return {
        "network": f"{OFFERS} offers x {PARTNERS} partners, every hour of {DAYS} days",
        "cells_in_table": cells,
        "items_read_utc": items_read,
        "items_read_tokyo": tokyo_read,
        "seed_seconds": round(seed_s, 1),
        "runs": runs,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "tokyo_median_ms": round(statistics.median(tokyo_timings), 1),
        "tokyo_max_ms": round(max(tokyo_timings), 1),
        "last_7_days_clicks": week["clicks"],
        "last_7_days_revenue": week["revenue"],
    }


if __name__ == "__main__":
    print(dashboard_bench())
