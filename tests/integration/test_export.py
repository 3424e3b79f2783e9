"""The export on moto: a day of traffic through the handlers, the stats function (which runs
the export) fed from both streams into Parquet files (the local sink: DuckDB, Firehose's layout), then analytics/sql run
with DuckDB over them gives the totals of /admin/stats and the conversion report, to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from goalpost.model.money import format_money
from tests.helpers import admin, click, postback, setup_network, stats_pump, the_stats_consumer

DAY = date(2026, 11, 24)


@pytest.fixture
def exported(aws: Any, export_folder: Path) -> Any:
    """The stats function fed from moto's streams: its export writes Parquet under ``export_folder``."""
    pump = the_stats_consumer(aws)
    pump.folder = export_folder
    return pump


def play_a_day(clock: Any) -> dict[str, Any]:
    """Two partners, an offer with a percent sale, a flat signup and an approval goal; clicks
    with sub ids, conversions, a refusal, an approval, a rejection after approval (clawback)."""
    clock.at = datetime(DAY.year, DAY.month, DAY.day, 6, 0, tzinfo=UTC).timestamp()
    net = setup_network(
        offer={"goals_enabled": True, "default_goal": {"payout": {"flat": "0"}, "revenue": {"flat": "0"}}},
        goals=[
            {"name": "Signup", "payout": {"flat": "1.25"}, "revenue": {"flat": "1.75"}},
            {"name": "Sale", "payout": {"percent": "12.5"}, "revenue": {"percent": "20"}},
            {"name": "Upgrade", "payout": {"flat": "5"}, "revenue": {"flat": "8.40"}, "approve": True},
        ],
    )
    offer_id, first = net["offer"]["offer_id"], net["partner"]["partner_id"]
    status, other = admin("POST", "/admin/partners", {"name": "Partner Two"})
    assert status == 201, other
    signup, sale, upgrade = (g["goal_id"] for g in net["goals"])
    sessions = []
    for n in range(12):
        partner = first if n % 3 else other["partner_id"]
        sessions.append(click(offer_id, partner, f"&aff_sub=banner{n % 2}&aff_sub2=p{n % 4}"))
        clock.advance(600)
    amounts = ("19.99", "5.01", "123.45", "0.07")
    for n, tid in enumerate(sessions[:8]):
        assert postback(f"transaction_id={tid}&goal_id={signup}", "/aff_goal")["statusCode"] == 200
        if n < len(amounts):
            query = f"transaction_id={tid}&goal_id={sale}&amount={amounts[n]}"
            assert postback(query, "/aff_goal")["statusCode"] == 200
        if n % 3 == 0:
            assert postback(f"transaction_id={tid}&goal_id={upgrade}", "/aff_goal")["statusCode"] == 200
        clock.advance(300)
    # a refusal stored for a real session: a goal the offer does not have
    refused = postback(f"transaction_id={sessions[9]}&goal_id=999999", "/aff_goal")
    assert refused["statusCode"] in (200, 400, 404), refused
    _status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    waiting = [item["conversion_id"] for item in pending["items"]]
    assert len(waiting) == 3
    decisions = {"conversion_ids": waiting[:2], "status": "approved", "note": "checked"}
    assert admin("POST", "/admin/conversions/decisions", decisions)[0] == 200
    clock.advance(3600)
    chargeback = {"conversion_ids": waiting[:1], "status": "rejected", "note": "chargeback"}
    assert admin("POST", "/admin/conversions/decisions", chargeback)[0] == 200
    return {"offer_id": offer_id, "partners": (first, other["partner_id"]), "goals": (signup, sale, upgrade)}


def sql(report: str, folder: Path) -> list[dict[str, Any]]:
    from goalpost_local.analytics import run

    names, rows = run(report, folder, DAY, DAY)
    return [dict(zip(names, row, strict=True)) for row in rows]


def report_records(day: str) -> list[dict[str, Any]]:
    """Every record of the day through the admin conversion report, page after page."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        query = f"from={day}&to={day}&limit=7" + (f"&cursor={cursor}" if cursor else "")
        status, page = admin("GET", "/admin/conversions", query=query)
        assert status == 200, page
        items.extend(page["items"])
        if not page.get("next_cursor"):
            return items
        cursor = page["next_cursor"]


def test_a_day_exported_gives_the_stats_and_the_report_to_the_cent(aws, clock, exported) -> None:
    play_a_day(clock)
    exported.drain()
    day = DAY.isoformat()

    status, body = admin("GET", "/admin/stats", query=f"from={day}&to={day}&interval=total&group_by=")
    assert status == 200, body
    totals = body["totals"]
    (row,) = sql("totals", exported.folder)
    assert row["currency"] == totals["currency"] == "USD"
    for name in ("clicks", "conversions", "pending", "rejected"):
        assert row[name] == totals[name], name
    for name in ("payout", "revenue", "sale_amount", "profit"):
        assert isinstance(row[name], Decimal), f"{name} is {type(row[name])}: money must stay DECIMAL"
        assert format_money(row[name]) == totals[name], name
    assert totals["clicks"] == 12 and totals["rejected"] >= 2  # the chargeback and the refusal
    assert totals["payout"] != "0.00"

    # The conversion report: the same records, each in its latest state, to the cent.
    records = report_records(day)
    assert len(records) == len(sql("conversion_report", exported.folder))
    expected = {
        r["conversion_id"]: (r["status"], r.get("payout"), r.get("revenue"), r.get("sale_amount"))
        for r in records
    }
    found = {
        r["conversion_id"]: (
            r["status"],
            *(None if r[k] is None else format_money(r[k]) for k in ("payout", "revenue", "sale_amount")),
        )
        for r in sql("conversion_report", exported.folder)
    }

    def normal(value: Any) -> str | None:
        return None if value in (None, "") else format_money(Decimal(str(value)))

    assert found == {k: (s, *(normal(v) for v in money)) for k, (s, *money) in expected.items()}

    # By day, offer, goal and partner: the same sums as the totals, row by row as the stats group them.
    status, grouped = admin(
        "GET", "/admin/stats", query=f"from={day}&to={day}&interval=day&group_by=offer,goal,partner"
    )
    assert status == 200, grouped
    by_key = {(r["offer_id"], r["goal_id"], r["partner_id"]): r for r in grouped["rows"]}
    rows = sql("conversions_by_day", exported.folder)
    assert {(r["offer_id"], r["goal_id"], r["partner_id"]) for r in rows} == set(by_key)
    for r in rows:
        mine = by_key[(r["offer_id"], r["goal_id"], r["partner_id"])]
        assert (r["clicks"], r["conversions"], r["pending"], r["rejected"]) == (
            mine["clicks"],
            mine["conversions"],
            mine["pending"],
            mine["rejected"],
        )
        assert format_money(r["payout"]) == mine["payout"] and format_money(r["revenue"]) == mine["revenue"]


def test_payouts_sub_ids_and_funnel_match_the_admin_api(aws, clock, exported) -> None:
    played = play_a_day(clock)
    exported.drain()
    day = DAY.isoformat()

    payouts = {r["partner_id"]: r for r in sql("partner_payouts", exported.folder)}
    for partner in played["partners"]:
        status, body = admin(
            "GET", "/admin/stats", query=f"from={day}&to={day}&interval=total&partner_id={partner}"
        )
        assert status == 200, body
        assert format_money(payouts[partner]["payout"]) == body["totals"]["payout"]
        assert payouts[partner]["conversions"] == body["totals"]["conversions"]
    assert sum(r["clawbacks"] for r in payouts.values()) == 1  # the approved upgrade charged back

    subs = sql("sub_ids", exported.folder)
    assert sum(r["clicks"] for r in subs) == 12
    assert {r["aff_sub"] for r in subs} == {"banner0", "banner1"}
    banner0 = [r for r in subs if r["aff_sub"] == "banner0"]
    assert sum(r["clicks"] for r in banner0) == 6

    status, funnel = admin("GET", f"/admin/offers/{played['offer_id']}/funnel", query=f"from={day}&to={day}")
    assert status == 200, funnel
    reached = {r["goal_id"]: r["reached"] for r in sql("funnel", exported.folder)}
    for step in funnel["steps"][1:]:
        assert reached.get(step["goal_id"], 0) == step["count"], step
    assert {r["sessions"] for r in sql("funnel", exported.folder)} == {funnel["steps"][0]["count"]}


def test_a_redelivered_stream_is_counted_once(aws, clock, exported) -> None:
    """At least once: a batch exported twice (a retry, Firehose writing a record twice) adds
    files, never counts: every table is keyed."""
    play_a_day(clock)
    exported.drain()
    once = sql("totals", exported.folder)
    stats_pump(aws).drain()  # another consumer reads both streams from the start again
    assert len(list(exported.folder.glob("clicks/dt=*/*.parquet"))) >= 2
    assert sql("totals", exported.folder) == once


def test_money_in_several_currencies_is_exported_and_reported_as_the_stats_give_it(
    aws, clock, exported
) -> None:
    """A EUR network, a USD offer paying a GBP partner, sales sent in EUR and in USD: the SQL's
    totals are /admin/stats' (base currency) and the partner's payouts its own stats' (GBP)."""
    from tests.helpers import ADMIN, call, load_rates

    clock.at = datetime(DAY.year, DAY.month, DAY.day, 6, 0, tzinfo=UTC).timestamp()
    network = admin("GET", "/admin/network")[1]
    changed = call(
        ADMIN, "PUT", "/admin/network", body={"currency": "EUR"}, if_match=f'"{network["version"]}"'
    )
    assert changed["statusCode"] == 200, changed
    load_rates(DAY.isoformat(), USD="1.0873", GBP="0.8299")
    net = setup_network(
        offer={
            "currency": "USD",
            "default_goal": {"payout": {"percent": "12.5"}, "revenue": {"percent": "20"}},
        },
        partner={"currency": "GBP"},
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for n, amount in enumerate(("19.99", "0.07", "1234.56", "3.33")):
        tid = click(offer_id, partner_id)
        currency = "&currency=EUR" if n % 2 else ""
        assert postback(f"transaction_id={tid}&amount={amount}{currency}")["statusCode"] == 200
        clock.advance(60)
    exported.drain()
    day = DAY.isoformat()

    totals = admin("GET", "/admin/stats", query=f"from={day}&to={day}&interval=total&group_by=")[1]["totals"]
    (row,) = sql("totals", exported.folder)
    assert row["currency"] == totals["currency"] == "EUR"
    for name in ("payout", "revenue", "sale_amount", "profit"):
        assert format_money(row[name]) == totals[name], name

    (paid,) = sql("partner_payouts", exported.folder)
    assert (paid["partner_id"], paid["currency"]) == (partner_id, "GBP")
    recorded = [c for c in report_records(day) if c["status"] == "approved"]
    assert format_money(paid["payout"]) == format_money(
        sum(Decimal(str(c["partner_payout"])) for c in recorded)
    )
