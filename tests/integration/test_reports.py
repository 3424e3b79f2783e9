"""Reports on moto: stats from the streams, the conversion report, adjustments, the funnel.

The scenario is the seed's: a newsletter signup paying $1, then a sale paying 20% of the
amount (an end point), plus an "upgrade" that needs approval.
"""

import csv
import io
import json
from decimal import Decimal
from typing import Any

from tests.helpers import (
    ADMIN,
    admin,
    call,
    click,
    dynamodb_calls,
    items_read,
    partner_call,
    postback,
    session_record,
    setup_network,
    stats_pump,
    the_stats_consumer,
    today,
)


def seed_offer(**partner: Any) -> dict[str, Any]:
    return setup_network(
        offer={
            "goals_enabled": True,
            "default_goal": {"payout": {"flat": "0"}, "revenue": {"flat": "0"}},
        },
        partner=partner,
        goals=[
            {"name": "Newsletter Signup", "payout": {"flat": "1"}, "revenue": {"flat": "1.50"}},
            {"name": "Sale", "payout": {"percent": "20"}, "revenue": {"percent": "30"}, "end_point": True},
            {"name": "Upgrade", "payout": {"flat": "5"}, "revenue": {"flat": "8"}, "approve": True},
            {"name": "Checkout Page", "private": True, "revenue": {"flat": "0.10"}},
        ],
    )


def stats(query: str) -> dict[str, Any]:
    status, body = admin("GET", "/admin/stats", query=query)
    assert status == 200, body
    return body


def row_of(body: dict[str, Any], **labels: str) -> dict[str, Any]:
    return next(r for r in body["rows"] if all(r.get(k) == v for k, v in labels.items()))


def play_seed(net: dict[str, Any]) -> dict[str, str]:
    """Three clicks: one signs up and buys for $50, one only signs up, one bounces."""
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    signup, sale, upgrade, _checkout = (g["goal_id"] for g in net["goals"])
    buyer, reader, _bouncer = (click(offer_id, partner_id) for _ in range(3))
    for query in (
        f"transaction_id={buyer}&goal_id={signup}",
        f"transaction_id={buyer}&goal_name=checkout-page",
        f"transaction_id={buyer}&goal_id={upgrade}",
        f"transaction_id={buyer}&goal_id={sale}&amount=50",
        f"transaction_id={reader}&goal_id={signup}",
    ):
        assert postback(query, "/aff_goal")["statusCode"] == 200, query
    return {"signup": signup, "sale": sale, "upgrade": upgrade, "buyer": buyer}


def test_seed_scenario_numbers_approval_and_reversal(aws, stats_consumer) -> None:
    net = seed_offer()
    offer_id = net["offer"]["offer_id"]
    goals = play_seed(net)
    stats_consumer.drain()

    body = stats("group_by=offer&interval=total")
    total = row_of(body, offer_id=offer_id)
    # signups 2 x $1 + sale 20% of $50; the upgrade waits for approval; private pays nothing
    assert total["clicks"] == 3
    assert total["conversions"] == 4 and total["pending"] == 1 and total["rejected"] == 0
    assert total["payout"] == "12.00" and total["revenue"] == "18.10" and total["profit"] == "6.10"
    assert total["sale_amount"] == "50.00" and total["currency"] == "USD"
    # no conversion on the default goal: the signups, the upgrade and the sale are goals of
    # their own, each with its own rate by goal (counted together over clicks: 133 %)
    assert total["conversion_rate"] == "0.00"
    assert body["totals"]["payout"] == "12.00"
    assert "seconds" in body["consistency"]

    by_goal = stats(f"group_by=goal&interval=total&offer_id={offer_id}")
    assert row_of(by_goal, goal_id=goals["signup"])["payout"] == "2.00"
    assert row_of(by_goal, goal_id=goals["signup"])["conversion_rate"] == "66.67"  # 2 of the offer's 3 clicks
    assert row_of(by_goal, goal_id=goals["sale"])["sale_amount"] == "50.00"
    assert row_of(by_goal, goal_id=goals["sale"])["conversion_rate"] == "33.33"
    assert row_of(by_goal, goal_id="")["clicks"] == 3
    other = seed_offer()  # another offer's clicks are not the goal's offer's
    click(other["offer"]["offer_id"], other["partner"]["partner_id"])
    stats_consumer.drain()
    one_goal = stats(f"group_by=goal&interval=total&goal_id={goals['signup']}")
    assert one_goal["totals"]["clicks"] == 3 and one_goal["totals"]["conversions"] == 2

    _status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    upgrade_id = pending["items"][0]["conversion_id"]

    def decide(status: str, note: str) -> dict[str, Any]:
        body = {"conversion_ids": [upgrade_id], "status": status, "note": note}
        assert admin("POST", "/admin/conversions/decisions", body)[0] == 200
        stats_consumer.drain()
        return row_of(stats("interval=total"), offer_id=offer_id)

    total = decide("approved", "checked")
    assert (total["conversions"], total["pending"], total["payout"], total["revenue"]) == (
        5,
        0,
        "17.00",
        "26.10",
    )
    total = decide("rejected", "chargeback")
    assert (total["conversions"], total["rejected"], total["payout"], total["revenue"]) == (
        4,
        1,
        "12.00",
        "18.10",
    )


def test_a_redelivered_stream_counts_once(aws, stats_consumer) -> None:
    net = seed_offer()
    play_seed(net)
    stats_consumer.drain()
    before = stats("interval=total")["totals"]
    assert (before["clicks"], before["conversions"], before["payout"]) == (3, 4, "12.00")

    # A second consumer reads both streams again from the start, as a retried batch would.
    stats_pump(aws).drain()
    assert stats("interval=total")["totals"] == before


def test_time_zone_bucketing_at_a_day_boundary(aws) -> None:
    """03:30 UTC on the 24th is the 23rd in New York (UTC-5), the 24th in UTC and Tokyo."""
    from goalpost.store import dynamo
    from goalpost.streams.stats_stream import process_records

    net = seed_offer()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    signup = net["goals"][0]["goal_id"]

    def record(n: int, created_at: str) -> dict[str, Any]:
        image = {
            "kind": "conversion",
            "status": "approved",
            "offer_id": offer_id,
            "partner_id": partner_id,
            "goal_id": signup,
            "created_at": created_at,
            "payout": Decimal(1),
            "revenue": Decimal("1.5"),
        }
        return {
            "eventID": f"e{n}",
            "eventName": "INSERT",
            "dynamodb": {"SequenceNumber": str(n), "NewImage": dynamo.to_item(image)},
        }

    assert (
        process_records([record(1, "2026-11-24T03:30:00.000Z"), record(2, "2026-11-24T06:10:00.000Z")], 0)
        == []
    )
    days = "from=2026-11-23&to=2026-11-24&group_by="
    new_york = stats(days + "&timezone=America/New_York")
    assert [(r["period"], r["conversions"]) for r in new_york["rows"]] == [
        ("2026-11-23", 1),
        ("2026-11-24", 1),
    ]
    assert new_york["exact"] is True
    utc = stats(days)
    assert [(r["period"], r["conversions"]) for r in utc["rows"]] == [("2026-11-24", 2)]
    offset = stats(days + "&timezone=-05:00&interval=hour")
    assert offset["exact"] is True
    assert [r["period"] for r in offset["rows"]] == ["2026-11-23T22:00", "2026-11-24T01:00"]
    india = stats(days + "&timezone=Asia/Kolkata")
    assert india["exact"] is False


def test_stats_refuse_bad_ranges_and_zones(aws) -> None:
    for query, code in (
        ("timezone=Mars/Olympus", "bad_timezone"),
        ("from=2026-11-24&to=2026-11-01", "bad_range"),
        ("from=2026-01-01&to=2026-12-31", "bad_range"),
        ("group_by=country", "bad_group_by"),
        ("timezone=%2B15:00", "bad_timezone"),
        ("timezone=+15:00", "bad_timezone"),
        ("from=2026-02-30", "bad_date"),
        ("from=9999-12-31&to=9999-12-31", "bad_date"),
    ):
        status, body = admin("GET", "/admin/stats", query=query)
        assert status == 400 and body["error"]["code"] == code, (query, body)
    status, body = admin("GET", "/admin/stats", query="interval=week")
    assert status == 422


def test_conversion_report_filters_pages_and_exports_csv(aws) -> None:
    net = seed_offer()
    offer_id = net["offer"]["offer_id"]
    goals = play_seed(net)
    the_stats_consumer().drain()  # the offer's and partner's reports read the stream's projection
    with dynamodb_calls() as calls:
        status, first = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}&limit=2")
    assert status == 200 and len(first["items"]) == 2 and first["next_cursor"]
    assert "Scan" not in calls
    status, second = admin(
        "GET", "/admin/conversions", query=f"offer_id={offer_id}&limit=10&cursor={first['next_cursor']}"
    )
    seen = [r["conversion_id"] for r in first["items"] + second["items"]]
    assert len(seen) == len(set(seen)) == 5

    status, sales = admin("GET", "/admin/conversions", query=f"goal_id={goals['sale']}")
    (sale,) = sales["items"]
    assert (sale["payout"], sale["revenue"], sale["sale_amount"], sale["status"]) == (
        "10.00",
        "15.00",
        "50.00",
        "approved",
    )
    assert sale["transaction_id"] == goals["buyer"] and sale["session_ip"] == "203.0.113.7"
    assert sale["user_agent"] == "pytest-browser/1.0" and sale["session_created_at"].endswith("Z")
    status, pending = admin("GET", "/admin/conversions", query="status=pending")
    assert [r["goal_id"] for r in pending["items"]] == [goals["upgrade"]]
    partner_id = net["partner"]["partner_id"]
    by_partner = admin("GET", "/admin/conversions", query=f"partner_id={partner_id}&status=approved")[1]
    assert len(by_partner["items"]) == 4

    response = call(ADMIN, "GET", "/admin/conversions", f"offer_id={offer_id}&format=csv")
    assert response["statusCode"] == 200 and response["headers"]["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response["body"])))
    assert len(rows) == 5 and {"payout", "revenue", "aff_sub", "adv_sub", "session_ip"} <= rows[0].keys()

    status, body = admin("GET", "/admin/conversions", query="status=lost")
    assert status == 400 and body["error"]["code"] == "bad_status"
    made_up = "eyJ4IjogInkifQ"  # {"x": "y"}: decodes, but is no key of this index
    status, body = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}&cursor={made_up}")
    assert status == 400 and body["error"]["code"] == "bad_cursor"


def test_adjusting_a_conversion_is_audited_and_moves_the_stats(aws, stats_consumer) -> None:
    net = seed_offer()
    goals = play_seed(net)
    sale = admin("GET", "/admin/conversions", query=f"goal_id={goals['sale']}")[1]["items"][0]
    patch = {"payout": "12.5", "sale_amount": "62.5", "note": "order total corrected"}
    status, adjusted = admin("PATCH", f"/admin/conversions/{sale['conversion_id']}", patch)
    assert status == 200, adjusted
    assert Decimal(str(adjusted["payout"])) == Decimal("12.5") and adjusted["outcome"] == "updated"
    (entry,) = adjusted["adjustments"]
    assert entry["by"].endswith("local-admin") and entry["reason"] == "order total corrected"
    assert Decimal(str(entry["before"]["payout"])) == 10 and Decimal(
        str(entry["after"]["payout"])
    ) == Decimal("12.5")
    status, trail = admin("GET", f"/admin/audit/conversion/{sale['conversion_id']}")
    assert status == 200 and trail["items"][0]["actor"].endswith("local-admin")
    assert trail["items"][0]["before"]["status"] == "approved"

    stats_consumer.drain()
    total = stats("interval=total")["totals"]
    assert (total["payout"], total["sale_amount"]) == ("14.50", "62.50")

    status, body = admin("PATCH", f"/admin/conversions/{sale['conversion_id']}", {"note": "nothing"})
    assert status == 422
    checkout = admin("GET", "/admin/conversions", query="status=approved")[1]["items"]
    private = next(r for r in checkout if r["goal_name"] == "checkout-page")
    status, body = admin(
        "PATCH", f"/admin/conversions/{private['conversion_id']}", {"payout": "1", "note": "x"}
    )
    assert status == 422 and body["error"]["code"] == "private_goal_payout"


def test_funnel_shows_where_users_drop_off(aws, stats_consumer) -> None:
    net = seed_offer()
    offer_id = net["offer"]["offer_id"]
    goals = play_seed(net)
    stats_consumer.drain()
    status, funnel = admin("GET", f"/admin/offers/{offer_id}/funnel")
    assert status == 200, funnel
    steps = [(s.get("goal_id"), s["count"]) for s in funnel["steps"]]
    # in flow order, as the users walked it: the goals most reached first (ties by id), the
    # default goal nobody reached after them, the end point (Sale) last; private goals included
    assert steps == [
        (None, 3),
        (goals["signup"], 2),
        (goals["upgrade"], 1),
        (net["goals"][3]["goal_id"], 1),
        ("0", 0),
        (goals["sale"], 1),
    ]
    assert funnel["steps"][3]["private"] is True and funnel["steps"][5]["end_point"] is True
    ordered = admin(
        "GET", f"/admin/offers/{offer_id}/funnel", query=f"goals={goals['signup']},{goals['sale']}"
    )[1]["steps"]
    assert [(s["step"], s["count"], s.get("drop_off")) for s in ordered] == [
        ("sessions", 3, None),
        ("goal", 2, 1),
        ("goal", 1, 1),
    ]
    assert ordered[1]["drop_off_rate"] == "33.33"


def partner_get(path: str, api_key: str, query: str = "") -> tuple[int, Any]:
    response = partner_call(path, api_key, query)
    body = response.get("body") or ""
    return response["statusCode"], json.loads(body) if response["headers"]["Content-Type"].startswith(
        "application/json"
    ) else body


def test_partner_sees_only_its_own_public_money(aws, stats_consumer) -> None:
    net = seed_offer()
    offer_id = net["offer"]["offer_id"]
    play_seed(net)
    status, other = admin("POST", "/admin/partners", {"name": "Partner Two"})
    other_tid = click(offer_id, other["partner_id"])
    assert (
        postback(f"transaction_id={other_tid}&goal_id={net['goals'][1]['goal_id']}&amount=1000", "/aff_goal")[
            "statusCode"
        ]
        == 200
    )
    stats_consumer.drain()

    status, mine = partner_get("/partner/stats", net["partner"]["api_key"], "group_by=goal&interval=total")
    assert status == 200, mine
    assert mine["totals"]["clicks"] == 3 and mine["totals"]["payout"] == "12.00"
    assert "revenue" not in mine["totals"] and "profit" not in mine["totals"]
    assert "pending" not in mine["totals"]
    private_goal = net["goals"][3]["goal_id"]
    assert all(r["goal_id"] != private_goal for r in mine["rows"])
    assert mine["totals"]["conversions"] == 3  # the private checkout is not theirs to see

    status, report = partner_get("/partner/conversions", net["partner"]["api_key"])
    assert status == 200
    assert {r["goal_id"] for r in report["items"]} == {net["goals"][0]["goal_id"], net["goals"][1]["goal_id"]}
    assert all("revenue" not in r and "ip" not in r for r in report["items"])
    assert all(r["transaction_id"] != other_tid for r in report["items"])
    status, _body = partner_get("/partner/conversions", net["partner"]["api_key"], "status=pending")
    assert status == 400

    admin_view = stats("group_by=partner&interval=total")
    assert row_of(admin_view, partner_id=other["partner_id"])["payout"] == "200.00"

    network = admin("GET", "/admin/network")[1]
    settings = {k: network[k] for k in ("goals_enabled", "currency", "session_hours", "tracking_domain")}
    status, _ = admin(
        "PUT",
        "/admin/network",
        {**settings, "partners_see_pending": True},
        if_match=f'"{network["version"]}"',
    )
    assert status == 200
    status, mine = partner_get("/partner/stats", net["partner"]["api_key"], "interval=total")
    assert mine["totals"]["pending"] == 1 and "rejected" not in mine["totals"]
    status, pending = partner_get("/partner/conversions", net["partner"]["api_key"], "status=pending")
    assert status == 200 and [r["goal_id"] for r in pending["items"]] == [net["goals"][2]["goal_id"]]


def test_an_unreadable_record_counts_nothing_and_blocks_nothing(aws) -> None:
    """An impression counter written before it carried its offer (no offer_id) is skipped."""
    from goalpost.store import dynamo, stats_store
    from goalpost.streams.stats_stream import process_records

    old_counter = {"kind": "impressions", "impressions": 3}
    session = {"transaction_id": "t", "offer_id": "1", "partner_id": "2", "created_at": 1795490000}
    records = [
        {
            "eventID": "e1",
            "eventName": "MODIFY",
            "dynamodb": {"SequenceNumber": "1", "NewImage": dynamo.to_item(old_counter)},
        },
        {
            "eventID": "e2",
            "eventName": "INSERT",
            "dynamodb": {"SequenceNumber": "2", "NewImage": dynamo.to_item(session)},
        },
    ]
    assert process_records(records, 0) == []
    (cell,) = stats_store.stats_cells(["2026-11-24"])
    assert cell["clicks"] == 1 and "impressions" not in cell


def test_a_failed_group_is_retried_from_its_first_record_and_counts_once(aws, monkeypatch) -> None:
    """Groups applied before a failure are not applied again, whether the retry starts at the
    reported record (partial batch failure) or at the batch's start (the function crashed)."""
    from botocore.exceptions import ClientError

    from goalpost.store import stats_store
    from goalpost.streams import stats_stream

    records = [session_record(n, offer) for n, offer in enumerate(["1", "1", "2", "3", "3"], start=1)]
    monkeypatch.setattr(stats_stream, "MAX_ITEMS_PER_GROUP", 1)  # groups: e1-e2 | e3 | e4-e5
    real_apply = stats_store.apply_stats
    calls = {"n": 0}

    def flaky_apply(group: Any, now: int) -> str | None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems"
            )
        return real_apply(group, now)

    monkeypatch.setattr(stats_store, "apply_stats", flaky_apply)
    assert stats_stream.process_records(records, 0) == ["3"]  # retry from the second group's first record

    def clicks() -> dict[str, int]:
        return {c["offer_id"]: int(c["clicks"]) for c in stats_store.stats_cells(["2026-11-24"])}

    assert clicks() == {"1": 2}
    assert stats_stream.process_records(records[2:], 0) == []  # the event source's retry
    assert clicks() == {"1": 2, "2": 1, "3": 2}
    assert stats_stream.process_records(records, 0) == []  # a crash after the last commit: all again
    assert clicks() == {"1": 2, "2": 1, "3": 2}


def test_the_dashboard_sums_today_yesterday_and_the_week_from_the_stats_cells(
    aws, stats_consumer, clock
) -> None:
    """The console's home: three periods, the top offers and partners, conversions held for
    review; one read of the stats cells in the caller's zone."""
    from datetime import UTC, datetime

    clock.at = datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp()  # noon UTC, 21:00 in Tokyo
    net = seed_offer()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    signup, sale, upgrade, _checkout = (g["goal_id"] for g in net["goals"])
    yesterday = click(offer_id, partner_id)
    assert postback(f"transaction_id={yesterday}&goal_id={sale}&amount=50", "/aff_goal")["statusCode"] == 200
    clock.advance(86400)  # the next day: two clicks, a signup, an upgrade held for approval
    today = click(offer_id, partner_id)
    click(offer_id, partner_id)
    for query in (f"transaction_id={today}&goal_id={signup}", f"transaction_id={today}&goal_id={upgrade}"):
        assert postback(query, "/aff_goal")["statusCode"] == 200, query
    stats_consumer.drain()

    status, board = admin("GET", "/admin/dashboard", query="timezone=Asia/Tokyo")
    assert status == 200, board
    assert board["today"] == "2026-11-25" and board["timezone"] == "Asia/Tokyo"
    figures = {name: (p["clicks"], p["conversions"], p["pending"], p["payout"], p["revenue"], p["profit"], p["epc"])
               for name, p in board["periods"].items()}  # fmt: skip
    assert figures == {
        "today": (2, 1, 1, "1.00", "1.50", "0.50", "0.50"),
        "yesterday": (1, 1, 0, "10.00", "15.00", "5.00", "10.00"),
        "last_7_days": (3, 2, 1, "11.00", "16.50", "5.50", "3.6667"),
    }
    assert board["held_for_review"] == 1 and board["currency"] == "USD"
    assert [(o["offer_id"], o["revenue"]) for o in board["top_offers"]][:1] == [(offer_id, "16.50")]
    assert [p["partner_id"] for p in board["top_partners"]] == [partner_id]
    assert board["invalid_clicks"] == 0 and board["held_by_screening"] == 0
    # the default zone is UTC: the same two days
    status, utc = admin("GET", "/admin/dashboard")
    assert status == 200 and utc["today"] == "2026-11-25" and utc["periods"]["today"]["clicks"] == 2


def test_the_dashboard_reads_rollups_not_cells_and_agrees_with_the_stats_to_the_cent(
    aws, stats_consumer, clock, monkeypatch
) -> None:
    """The dashboard summed every offer x partner x goal x hour cell of the week per request
    (9.8 s on a month of seeded traffic): it reads the network's, offers' and partners' rollups
    now, and each of its figures is what /admin/stats says for the same days and zone."""
    from datetime import UTC, datetime

    from goalpost.store import stats_store

    clock.at = datetime(2026, 11, 20, 5, 30, tzinfo=UTC).timestamp()
    nets = [seed_offer(), seed_offer()]
    for day in range(6):  # clicks and conversions over six days, at hours a zone's midnight cuts
        for n, net in enumerate(nets):
            offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
            signup, sale, _upgrade, _checkout = (g["goal_id"] for g in net["goals"])
            for k in range(day % 3 + n + 1):
                tid = click(offer_id, partner_id)
                if k % 2 == 0:
                    amount = f"{13 + day * 7 + n}.37"
                    assert (
                        postback(f"transaction_id={tid}&goal_id={sale}&amount={amount}", "/aff_goal")[
                            "statusCode"
                        ]
                        == 200
                    )
                if k == 1:
                    assert postback(f"transaction_id={tid}", "/aff_lsr")["statusCode"] == 200
                    assert (
                        postback(f"transaction_id={tid}&goal_id={signup}", "/aff_goal")["statusCode"] == 200
                    )
        clock.advance(86400 - 3600 * 5)
    stats_consumer.drain()

    def no_cells(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the dashboard read stats cells")

    for zone in ("UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata"):
        with monkeypatch.context() as patched:
            patched.setattr(stats_store, "stats_cells", no_cells)
            patched.setattr(stats_store, "partner_stats_cells", no_cells)
            status, board = admin("GET", "/admin/dashboard", query=f"timezone={zone}")
        assert status == 200, board
        today = board["today"]
        yesterday = (datetime.fromisoformat(today) - timedelta_days(1)).date().isoformat()
        week_from = (datetime.fromisoformat(today) - timedelta_days(6)).date().isoformat()
        for name, first, last in (("today", today, today), ("yesterday", yesterday, yesterday),
                                  ("last_7_days", week_from, today)):  # fmt: skip
            totals = stats(f"from={first}&to={last}&timezone={zone}&interval=total&group_by=")["totals"]
            shown = board["periods"][name]
            for field in ("clicks", "unique_clicks", "invalid_clicks", "conversions", "pending", "held",
                          "payout", "revenue", "profit", "currency", "conversion_rate"):  # fmt: skip
                assert shown[field] == totals[field], (zone, name, field)
        assert board["periods"]["last_7_days"]["conversions"] > 0
        for level in ("offer", "partner"):
            rows = stats(f"from={week_from}&to={today}&timezone={zone}&interval=total&group_by={level}")[
                "rows"
            ]
            by_id = {r[f"{level}_id"]: r for r in rows}
            tops = board[f"top_{level}s"]
            assert len(tops) == len(by_id) == 2
            for top in tops:
                row = by_id[top[f"{level}_id"]]
                assert (top["clicks"], top["conversions"], top["payout"], top["revenue"]) == (
                    row["clicks"], row["conversions"], row["payout"], row["revenue"]
                )  # fmt: skip


def timedelta_days(days: int) -> Any:
    from datetime import timedelta

    return timedelta(days=days)


def test_a_retried_stats_batch_adds_to_the_rollups_once(aws, monkeypatch) -> None:
    """The rollups are written in the cells' own transaction, under the group's marker: a
    batch the event source hands out again adds nothing to them."""
    from datetime import UTC, datetime

    from goalpost.store import stats_store
    from goalpost.streams import stats_stream

    records = [session_record(n, offer) for n, offer in enumerate(["1", "1", "2", "3", "3"], start=1)]
    monkeypatch.setattr(stats_stream, "MAX_ITEMS_PER_GROUP", 1)
    real_apply = stats_store.apply_stats
    calls = {"n": 0}

    def flaky_apply(group: Any, now: int) -> str | None:
        calls["n"] += 1
        if calls["n"] == 2:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "InternalServerError"}}, "TransactWriteItems")
        return real_apply(group, now)

    monkeypatch.setattr(stats_store, "apply_stats", flaky_apply)
    assert stats_stream.process_records(records, 0) == ["3"]
    assert stats_stream.process_records(records[2:], 0) == []
    assert stats_stream.process_records(records, 0) == []  # the whole batch again
    day = datetime.fromtimestamp(1795490000, UTC).date().isoformat()
    items = stats_store.rollup_items([day], [])
    network = sum(int(i["clicks"]) for i in items if i["level"] == "network")
    offers = {}
    for i in items:
        if i["level"] == "offer":
            offers[i["subject"]] = offers.get(i["subject"], 0) + int(i["clicks"])
    assert network == 5 and offers == {"1": 2, "2": 1, "3": 2}


# ---------------------------------------------------------------- sub id breakdown


def keep_sub_ids(*names: str) -> None:
    status, current = admin("GET", "/admin/network")
    body = {k: v for k, v in current.items() if k not in ("version", "default_tier_id", "bot_list_version")}
    status, saved = admin(
        "PUT", "/admin/network", {**body, "stats_sub_ids": list(names)}, if_match=str(current["version"])
    )
    assert status == 200 and saved["stats_sub_ids"] == list(names), saved


def play_subs(net: dict[str, Any], other: dict[str, Any]) -> None:
    """Clicks with and without sub ids (one a click id of the partner's own), conversions on
    some, a private goal's too, and another partner's traffic."""
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    signup, sale, _upgrade, _checkout = (g["goal_id"] for g in net["goals"])
    for n, extra in enumerate(["&aff_sub=spring&source=mail", "&aff_sub=spring", "&aff_sub=fall&source=web",
                               "&source=web", "", f"&aff_sub=click-{'9' * 30}"]):  # fmt: skip
        tid = click(offer_id, partner_id, extra)
        if n % 2 == 0:
            assert postback(f"transaction_id={tid}&goal_name=checkout-page", "/aff_goal")["statusCode"] == 200
            assert (
                postback(f"transaction_id={tid}&goal_id={sale}&amount={10 + n}.25", "/aff_goal")["statusCode"]
                == 200
            )
        if n == 1:
            assert postback(f"transaction_id={tid}&goal_id={signup}", "/aff_goal")["statusCode"] == 200
    tid = click(offer_id, other["partner_id"], "&aff_sub=spring")
    assert postback(f"transaction_id={tid}&goal_id={signup}", "/aff_goal")["statusCode"] == 200


SUMMED = ("clicks", "unique_clicks", "invalid_clicks", "goal_clicks", "conversions", "pending", "held",
          "payout", "revenue", "profit", "currency", "conversion_rate")  # fmt: skip


def test_stats_break_down_by_a_kept_sub_id_and_add_up_to_the_stats(aws, stats_consumer) -> None:
    """Stats had no breakdown by sub id. Where the network keeps a sub id, the stats consumer
    keeps cells per value (the traffic without one under an empty value), so the breakdown's
    rows add up to the stats' own totals, to the cent, admin's and partner's alike."""
    net = seed_offer()
    status, other = admin("POST", "/admin/partners", {"name": "Other"})
    keep_sub_ids("aff_sub", "source")
    play_subs(net, other)
    stats_consumer.drain()

    plain = stats("interval=total&group_by=")["totals"]
    by_sub = stats("interval=total&group_by=aff_sub")
    assert {k: by_sub["totals"][k] for k in SUMMED} == {k: plain[k] for k in SUMMED}
    rows = {r["aff_sub"]: r for r in by_sub["rows"]}
    assert set(rows) == {"spring", "fall", "", f"click-{'9' * 30}"}
    assert (rows["spring"]["clicks"], rows["spring"]["conversions"]) == (
        3,
        4,
    )  # 2 clicks of ours, 1 of the other's
    assert rows["fall"]["clicks"] == 1 and rows["fall"]["payout"] == "2.45"  # 20 % of 12.25
    assert sum(r["clicks"] for r in rows.values()) == plain["clicks"] == 7
    by_source = stats("interval=total&group_by=source,partner")
    mine = [r for r in by_source["rows"] if r["partner_id"] == net["partner"]["partner_id"]]
    assert {r["source"]: r["clicks"] for r in mine} == {"mail": 1, "web": 2, "": 3}
    response = call(ADMIN, "GET", "/admin/stats", "interval=total&group_by=aff_sub&format=csv")
    assert response["statusCode"] == 200
    csv_body = response["body"]
    header, *lines = list(csv.reader(io.StringIO(csv_body)))
    assert header[:2] == ["period", "aff_sub"] and lines[-1][0] == "totals"

    # the partner: its own traffic only, no private goal, its totals those of its stats
    key = net["partner"]["api_key"]
    status, own = partner_get("/partner/stats", key, "interval=total&group_by=")
    status, own_by_sub = partner_get("/partner/stats", key, "interval=total&group_by=aff_sub")
    assert status == 200, own_by_sub
    assert {k: own_by_sub["totals"].get(k) for k in SUMMED} == {k: own["totals"].get(k) for k in SUMMED}
    assert {r["aff_sub"]: r["clicks"] for r in own_by_sub["rows"]}["spring"] == 2
    assert "revenue" not in own_by_sub["totals"]


def test_a_sub_id_breakdown_is_refused_where_it_is_not_kept_or_would_read_too_much(
    aws, stats_consumer, monkeypatch
) -> None:
    net = seed_offer()
    keep_sub_ids("aff_sub")
    for n in range(4):
        click(net["offer"]["offer_id"], net["partner"]["partner_id"], f"&aff_sub=click-{n}")
    stats_consumer.drain()
    status, answer = admin("GET", "/admin/stats", query="group_by=aff_sub3")
    assert status == 400 and answer["error"]["code"] == "sub_id_not_kept"
    status, answer = admin("GET", "/admin/stats", query="group_by=aff_sub,goal")
    assert status == 400 and answer["error"]["code"] == "bad_group_by"
    status, answer = admin("GET", "/admin/stats", query="group_by=aff_sub&money=original")
    assert status == 400 and answer["error"]["code"] == "bad_money"
    from goalpost.admin import reports

    monkeypatch.setattr(reports, "MAX_SUB_CELLS", 3)  # four values: four cells
    status, answer = admin("GET", "/admin/stats", query="group_by=aff_sub")
    assert status == 400 and answer["error"]["code"] == "too_many_sub_values"
    monkeypatch.setattr(reports, "MAX_SUB_CELLS", 4)
    assert admin("GET", "/admin/stats", query="group_by=aff_sub")[0] == 200


def test_a_one_offer_or_one_partner_sub_id_breakdown_reads_only_its_own_cells(
    aws, stats_consumer, clock, monkeypatch
) -> None:
    """A breakdown read the whole network's sub cells of its days and filtered them after, so
    its limit was the network's: another offer's click ids got a one-offer (or the partner
    portal's one-partner) breakdown refused, with advice that did not help. It reads only the
    offer's or partner's cells now, and only they count; the network's is still refused."""
    from goalpost.admin import reports

    ours, theirs = seed_offer(), seed_offer()
    offer_id, partner_id = ours["offer"]["offer_id"], ours["partner"]["partner_id"]
    other_offer, other_partner = theirs["offer"]["offer_id"], theirs["partner"]["partner_id"]
    status, third = admin("POST", "/admin/partners", {"name": "Third"})
    assert status == 201, third
    keep_sub_ids("aff_sub")
    for value in ("a1", "a2"):
        click(offer_id, partner_id, f"&aff_sub={value}")
    click(offer_id, third["partner_id"], "&aff_sub=a3")
    click(other_offer, partner_id, "&aff_sub=ours-there")
    for n in range(8):  # the other offer's partner puts its click ids in aff_sub
        click(other_offer, other_partner, f"&aff_sub=click-{n}")
    stats_consumer.drain()
    monkeypatch.setattr(reports, "MAX_SUB_CELLS", 5)  # 12 cells in the network, 9 of the other offer's
    day = f"from={today()}&to={today()}&interval=total&group_by=aff_sub"

    def values(answer: dict[str, Any]) -> dict[str, int]:
        return {r["aff_sub"]: r["clicks"] for r in answer["rows"]}

    with items_read() as read:
        one_offer = stats(f"{day}&offer_id={offer_id}")
    assert values(one_offer) == {"a1": 1, "a2": 1, "a3": 1}
    assert read["items"] == 3  # its own cells, nothing of the other offer's
    with items_read() as read:
        one_partner = stats(f"{day}&partner_id={partner_id}")
    assert values(one_partner) == {"a1": 1, "a2": 1, "ours-there": 1}
    cells_index = 2  # the partner's cells of the day, one per offer (all in one hour)
    assert read["items"] == 3 + cells_index
    assert values(stats(f"{day}&offer_id={offer_id}&partner_id={partner_id}")) == {"a1": 1, "a2": 1}
    status, portal = partner_get("/partner/stats", ours["partner"]["api_key"], day)
    assert status == 200, portal
    assert values(portal) == {"a1": 1, "a2": 1, "ours-there": 1}

    status, answer = admin("GET", "/admin/stats", query=day)
    assert status == 400 and answer["error"]["code"] == "too_many_sub_values"
    assert "an offer (offer_id) or a partner (partner_id)" in answer["error"]["message"]
    status, answer = admin("GET", "/admin/stats", query=f"{day}&offer_id={other_offer}")
    assert status == 400 and answer["error"]["code"] == "too_many_sub_values"
    assert "one partner of the offer (partner_id)" in answer["error"]["message"], answer
    status, answer = partner_get("/partner/stats", theirs["partner"]["api_key"], day)
    assert status == 400 and answer["error"]["code"] == "too_many_sub_values"
    assert "one offer (offer_id)" in answer["error"]["message"], answer


def test_a_long_non_ascii_sub_value_is_counted_under_its_whole_value(aws, stats_consumer) -> None:
    """255 characters (the most a click keeps) of four-byte UTF-8 are 1,020 bytes: past a sort
    key's 1,024 with the rest of the key, which would fail the stats consumer's transaction."""
    from urllib.parse import quote

    net = seed_offer()
    keep_sub_ids("aff_sub")
    long_one, other_long = "\U0001f600" * 255, "\U0001f600" * 254 + "\U0001f601"
    for value in (long_one, long_one, other_long):
        click(net["offer"]["offer_id"], net["partner"]["partner_id"], f"&aff_sub={quote(value)}")
    stats_consumer.drain()
    rows = {r["aff_sub"]: r["clicks"] for r in stats("interval=total&group_by=aff_sub")["rows"]}
    assert rows == {long_one: 2, other_long: 1}
