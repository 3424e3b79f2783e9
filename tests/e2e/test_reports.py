"""Reports over HTTP: the local runtime pumps both streams into the stats function."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.conftest import LocalRuntime, click, make_network, wait_for

pytestmark = pytest.mark.e2e


def test_stats_follow_clicks_and_conversions_within_seconds(runtime: LocalRuntime) -> None:
    net = make_network(
        runtime,
        "https://shop.example/?tid={transaction_id}",
        goals=[
            {"name": "Newsletter Signup", "payout": {"flat": "1"}, "revenue": {"flat": "2"}},
            {"name": "Sale", "payout": {"percent": "20"}, "revenue": {"percent": "30"}, "end_point": True},
        ],
    )
    offer_id = net["offer"]["offer_id"]
    signup, sale = (g["goal_id"] for g in net["goals"])
    buyer, _bouncer = click(runtime, net), click(runtime, net)
    for query in (f"goal_id={signup}", f"goal_id={sale}&amount=80"):
        assert runtime.get(f"/aff_goal?a=lsr&transaction_id={buyer}&{query}").status == 200
    assert runtime.get(f"/aff_i?offer_id={offer_id}&aff_id={net['partner']['partner_id']}").status == 200

    def totals() -> dict:  # type: ignore[type-arg]
        response = runtime.admin("GET", f"/admin/stats?interval=total&offer_id={offer_id}")
        assert response.status == 200, response.body
        return response.json()["totals"]  # type: ignore[no-any-return]

    wait_for(
        lambda: totals()["conversions"] == 2 and totals()["clicks"] == 2 and totals()["impressions"] == 1
    )
    assert (totals()["payout"], totals()["revenue"], totals()["profit"], totals()["sale_amount"]) == (
        "17.00",
        "26.00",
        "9.00",
        "80.00",
    )
    # the rate is the default goal's conversions over clicks (none here); each goal its own
    assert totals()["conversion_rate"] == "0.00"
    by_goal = runtime.admin("GET", f"/admin/stats?interval=total&group_by=goal&offer_id={offer_id}").json()
    assert {r["goal_id"]: r["conversion_rate"] for r in by_goal["rows"]} == {
        "": "0.00", signup: "50.00", sale: "50.00",
    }  # fmt: skip

    # the same stats as CSV: a line per row, the totals last
    sheet = runtime.admin("GET", f"/admin/stats?interval=total&group_by=goal&offer_id={offer_id}&format=csv")
    assert sheet.status == 200 and sheet.headers["content-type"].startswith("text/csv"), sheet.body
    lines = list(csv.DictReader(io.StringIO(sheet.body.decode())))
    assert [(r["period"], r["goal_id"], r["conversions"]) for r in lines] == [
        ("total", "", "0"), ("total", signup, "1"), ("total", sale, "1"), ("totals", "", "2"),
    ]  # fmt: skip
    assert lines[-1]["payout"] == "17.00" and lines[-1]["clicks"] == "2"

    report = runtime.admin("GET", f"/admin/conversions?offer_id={offer_id}&format=csv")
    assert report.status == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.body.decode())))
    assert sorted(r["payout"] for r in rows) == ["1.00", "16.00"]

    key = net["partner"]["api_key"]
    mine = runtime.get("/partner/stats?interval=total", {"x-api-key": key}).json()
    assert mine["totals"]["payout"] == "17.00" and "revenue" not in mine["totals"]
