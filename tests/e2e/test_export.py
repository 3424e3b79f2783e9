"""The local runtime's export: what `make run` tracks lands as Parquet in its export folder, in
the bucket's layout, and analytics/sql over it agrees with the admin API."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from goalpost.model.money import format_money
from goalpost_local.analytics import run
from tests.e2e.conftest import LocalRuntime, all_conversions, click, make_network, wait_for


def rows(report: str, folder: Path, day: date) -> list[dict[str, Any]]:
    names, found = run(report, folder, day, day)
    return [dict(zip(names, row, strict=True)) for row in found]


def test_tracked_events_land_as_parquet_and_the_sql_agrees_with_the_stats(
    runtime: LocalRuntime, export_dir: Path
) -> None:
    net = make_network(runtime, "https://shop.example.com/?tid={transaction_id}")
    offer_id = net["offer"]["offer_id"]
    tids = [click(runtime, net, f"&aff_sub=s{n}") for n in range(3)]
    for tid, amount in zip(tids[:2], ("1.00", "2.00"), strict=True):
        assert runtime.get(f"/aff_lsr?transaction_id={tid}&amount={amount}").status == 200
    conversions = all_conversions(runtime, offer_id, lambda c: len(c) == 2)
    assert len(conversions) == 2
    day = date.fromisoformat(conversions[0]["created_at"][:10])

    def exported() -> bool:
        by_day = [r for r in rows("conversions_by_day", export_dir, day) if r["offer_id"] == offer_id]
        return sum(r["clicks"] for r in by_day) == 3 and sum(r["conversions"] for r in by_day) == 2

    wait_for(exported, 30)
    assert list(export_dir.glob("clicks/dt=*/*.parquet")), "no clicks/dt=YYYY-MM-DD/ files"
    assert list(export_dir.glob("conversion_events/dt=*/*.parquet"))

    def stats_caught_up() -> bool:
        query = f"/admin/stats?from={day}&to={day}&offer_id={offer_id}&interval=total&group_by="
        totals = runtime.admin("GET", query).json()["totals"]
        return bool(totals["conversions"] == 2)

    wait_for(stats_caught_up, 30)
    query = f"/admin/stats?from={day}&to={day}&offer_id={offer_id}&interval=total&group_by="
    totals = runtime.admin("GET", query).json()["totals"]
    by_day = [r for r in rows("conversions_by_day", export_dir, day) if r["offer_id"] == offer_id]
    assert sum(r["clicks"] for r in by_day) == totals["clicks"] == 3
    assert format_money(sum(r["payout"] for r in by_day)) == totals["payout"] == "2.00"
    assert format_money(sum(r["revenue"] for r in by_day)) == totals["revenue"]
