"""The stats' money rules: what each stream record adds to which cell, how a batch is cut,
and how cells become a report's rows (periods, rates, currencies, what partners do not see)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from goalpost.model.stats import Cell, CellDelta
from goalpost.rules.stats import (
    Contribution,
    FunnelStep,
    Sums,
    contribution,
    conversion_worth,
    first_group,
    funnel,
    metrics,
    period_of,
    summarize,
    window,
)

D = Decimal
UTC_DAY = window(date(2026, 11, 24), date(2026, 11, 24), UTC)


def advertiser_of(offer_id: str, goal_id: str) -> str:
    return f"adv-of-{offer_id}-{goal_id}"


def sale(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "conversion", "offer_id": "1", "partner_id": "2", "goal_id": "3", "status": "approved",
        "created_at": "2026-11-24T03:30:00.000Z", "payout": D("2"), "revenue": D("5"), "sale_amount": D("40"),
        "currency": "EUR", "advertiser_id": "9",
    }  # fmt: skip
    base.update(overrides)
    return base


IN_EUR = {
    "base:EUR:payout": D(2), "base:EUR:revenue": D(5), "base:EUR:sale_amount": D(40), "partner:EUR:payout": D(2),
}  # fmt: skip
"""A conversion recorded before currencies were kept: its own amounts stand for base and partner."""

# ------------------------------------------------------------------ what a record adds


def test_an_approved_conversion_counts_once_with_its_money_pending_and_rejected_without() -> None:
    assert conversion_worth(sale()) == {
        "conversions": D(1), "payout": D(2), "revenue": D(5), "sale_amount": D(40), **IN_EUR,
    }  # fmt: skip
    assert conversion_worth(sale(status="pending")) == {"pending": D(1)}
    assert conversion_worth(sale(status="rejected")) == {"rejected": D(1)}
    assert conversion_worth(sale(status="reversed")) == {}
    assert conversion_worth(sale(kind="clawback")) == {}  # the partner's ledger, not the stats
    unpriced = {k: v for k, v in sale().items() if k not in ("payout", "revenue", "sale_amount")}
    assert conversion_worth(unpriced) == {
        "conversions": D(1),
        "payout": D(0),
        "revenue": D(0),
        "sale_amount": D(0),
        "base:EUR:payout": D(0),
        "base:EUR:revenue": D(0),
        "base:EUR:sale_amount": D(0),
        "partner:EUR:payout": D(0),
    }


def test_a_conversion_adds_to_its_own_hour_goal_and_privacy_with_its_currency() -> None:
    found = contribution("INSERT", sale(private=True), {}, advertiser_of)
    assert found == Contribution(
        Cell("2026-11-24T03", "1", "2", "3", private=True),
        "9",
        {"conversions": D(1), "payout": D(2), "revenue": D(5), "sale_amount": D(40), **IN_EUR},
        "EUR",
    )
    unnamed = contribution("INSERT", sale(advertiser_id="", currency=None), {}, advertiser_of)
    assert unnamed is not None and (unnamed.advertiser_id, unnamed.currency) == ("adv-of-1-3", "")


def test_approval_adds_the_money_and_a_rejection_after_approval_takes_it_out() -> None:
    approved = contribution("MODIFY", sale(), sale(status="pending"), advertiser_of)
    assert approved is not None and approved.counters == {
        "pending": D(-1), "conversions": D(1), "payout": D(2), "revenue": D(5), "sale_amount": D(40), **IN_EUR,
    }  # fmt: skip
    rejected = contribution("MODIFY", sale(status="rejected"), sale(), advertiser_of)
    assert rejected is not None and rejected.counters == {
        "rejected": D(1), "conversions": D(-1), "payout": D(-2), "revenue": D(-5), "sale_amount": D(-40),
        **{name: -amount for name, amount in IN_EUR.items()},
    }  # fmt: skip
    assert contribution("MODIFY", sale(note="seen"), sale(), advertiser_of) is None  # nothing counted changed


def test_a_new_session_is_a_click_in_its_hour_and_only_when_inserted() -> None:
    session = {"transaction_id": "t", "offer_id": "1", "partner_id": "2", "created_at": 1_795_000_000}
    found = contribution("INSERT", session, {}, advertiser_of)
    hour = datetime.fromtimestamp(1_795_000_000, UTC).strftime("%Y-%m-%dT%H")
    assert found == Contribution(Cell(hour, "1", "2"), "adv-of-1-", {"clicks": D(1), "unique_clicks": D(1)})
    assert contribution("MODIFY", session, session, advertiser_of) is None
    assert contribution("REMOVE", {}, session, advertiser_of) is None  # an expired session is no click


def test_impressions_and_goal_page_visits_add_what_their_counters_grew_by() -> None:
    before = {
        "kind": "impressions",
        "offer_id": "1",
        "partner_id": "2",
        "hour": "2026-11-24T05",
        "impressions": 3,
    }
    grown = contribution("MODIFY", {**before, "impressions": 5}, before, advertiser_of)
    assert grown == Contribution(Cell("2026-11-24T05", "1", "2"), "adv-of-1-", {"impressions": D(2)})
    assert contribution("MODIFY", before, before, advertiser_of) is None
    first = contribution("INSERT", {**before, "impressions": 1}, {}, advertiser_of)
    assert first is not None and first.counters == {"impressions": D(1)}
    visit = {"kind": "goal_click", "offer_id": "1", "partner_id": "2", "goal_id": "3",
             "last_at": "2026-11-24T06:59:59Z", "clicks": 4}  # fmt: skip
    seen = contribution("MODIFY", visit, {**visit, "clicks": 3}, advertiser_of)
    assert seen == Contribution(Cell("2026-11-24T06", "1", "2", "3"), "adv-of-1-3", {"goal_clicks": D(1)})
    assert contribution("MODIFY", visit, visit, advertiser_of) is None  # a repeat is not counted twice
    assert contribution("INSERT", {"kind": "something-else"}, {}, advertiser_of) is None


# ------------------------------------------------------------------ batches


def test_a_batch_is_cut_before_the_cell_that_would_exceed_the_limit_and_merges_repeats() -> None:
    a, b, c = (Cell("2026-11-24T03", "1", "2", goal) for goal in ("3", "4", "5"))
    events = [
        ("e1", Contribution(a, "", {"conversions": D(1)})),
        ("e2", None),
        ("e3", Contribution(a, "9", {"conversions": D(1), "payout": D(2)}, "EUR")),
        ("e4", Contribution(b, "9", {"pending": D(1)})),
        ("e5", Contribution(c, "9", {"pending": D(1)})),
    ]
    # two cells of one hour, offer and partner share their six rollups: eight items
    group = first_group(events, 0, max_items=8)
    assert (group.first_event, group.last_event, group.size) == ("e1", "e4", 4)
    assert group.cells == {
        a: CellDelta("9", {"conversions": D(2), "payout": D(2)}, "EUR"),  # labels taken once known
        b: CellDelta("9", {"pending": D(1)}),
    }
    rest = first_group(events, 4, max_items=8)
    assert (rest.first_event, rest.last_event, rest.size, list(rest.cells)) == ("e5", "e5", 1, [c])
    labelled = first_group(
        [("x", Contribution(a, "7", {}, "USD")), ("y", Contribution(a, "8", {}, "EUR"))], 0, 5
    )
    assert labelled.cells[a] == CellDelta("7", {}, "USD")  # the first label stays


# ------------------------------------------------------------------ windows and periods


def test_a_window_is_local_midnight_to_midnight_and_exact_only_in_whole_hour_zones() -> None:
    new_york = window(date(2026, 11, 24), date(2026, 11, 25), ZoneInfo("America/New_York"))
    assert (new_york.start, new_york.end) == (
        datetime(2026, 11, 24, 5, tzinfo=UTC), datetime(2026, 11, 26, 5, tzinfo=UTC),
    )  # fmt: skip
    assert new_york.exact and new_york.utc_days() == ["2026-11-24", "2026-11-25", "2026-11-26"]
    assert not new_york.contains_hour("2026-11-24T04") and new_york.contains_hour("2026-11-24T05")
    assert new_york.contains_hour("2026-11-26T04") and not new_york.contains_hour("2026-11-26T05")
    assert not window(date(2026, 11, 24), date(2026, 11, 24), ZoneInfo("Asia/Kolkata")).exact  # +05:30
    assert UTC_DAY.utc_days() == ["2026-11-24"]


def test_an_hour_falls_in_its_local_period() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert period_of("2026-11-24T15", "hour", tokyo) == "2026-11-25T00:00"
    assert period_of("2026-11-24T15", "day", tokyo) == "2026-11-25"
    assert period_of("2026-11-24T14", "day", tokyo) == "2026-11-24"
    assert period_of("2026-11-24T14", "total", tokyo) == "total"


# ------------------------------------------------------------------ rows


def test_a_row_gives_exact_money_profit_and_a_rate_over_clicks() -> None:
    sums = Sums.empty()
    sums.add({"clicks": 3, "conversions": 1, "payout": D("2.5"), "revenue": D("7"), "sale_amount": 0,
              "currency": "EUR", "goal_id": "0"})  # fmt: skip
    sums.add({"clicks": 1, "pending": 2})
    row = metrics(sums)
    assert row == {
        "clicks": 4, "unique_clicks": 0, "invalid_clicks": 0, "impressions": 0, "goal_clicks": 0,
        "conversions": 1, "pending": 2, "held": 0, "rejected": 0,
        "payout": "2.50", "revenue": "7.00", "sale_amount": "0.00", "profit": "4.50", "currency": "EUR",
        "conversion_rate": "25.00",
    }  # fmt: skip
    nothing = metrics(Sums.empty())
    assert (nothing["payout"], nothing["profit"], nothing["currency"], nothing["conversion_rate"]) == (
        "0.00", "0.00", None, None,
    )  # fmt: skip


def test_the_conversion_rate_is_the_default_goals_conversions_over_clicks_each_goal_its_own() -> None:
    """Every goal's conversions over the clicks gave 150-200 % on a flow of goals: the rate is
    the default goal's (a click converts once); each other goal has its own rate by goal."""
    cells = [
        {"hour": "2026-11-24T03", "offer_id": "1", "partner_id": "2", "goal_id": "", "clicks": 4},
        {"hour": "2026-11-24T03", "offer_id": "1", "partner_id": "2", "goal_id": "0", "conversions": 1},
        {"hour": "2026-11-24T03", "offer_id": "1", "partner_id": "2", "goal_id": "3", "conversions": 4},
        {"hour": "2026-11-24T04", "offer_id": "1", "partner_id": "2", "goal_id": "5", "conversions": 3},
    ]
    by_offer = summarize(cells, window=UTC_DAY, interval="total", group_by=["offer"])
    assert by_offer["rows"][0]["conversions"] == 8
    assert by_offer["rows"][0]["conversion_rate"] == "25.00"  # 1 default-goal conversion of 4 clicks
    assert by_offer["totals"]["conversion_rate"] == "25.00"
    by_goal = summarize(cells, window=UTC_DAY, interval="total", group_by=["goal"])
    rates = {r["goal_id"]: r["conversion_rate"] for r in by_goal["rows"]}
    assert rates == {"": "0.00", "0": "25.00", "3": "100.00", "5": "75.00"}
    assert "default_conversions" not in by_offer["totals"]


def test_money_in_several_currencies_is_never_added_up_and_hidden_columns_stay_hidden() -> None:
    sums = Sums.empty()
    sums.add({"conversions": 1, "payout": D(1), "revenue": D(3), "currency": "EUR"})
    sums.add({"conversions": 1, "payout": D(2), "revenue": D(4), "currency": "USD"})
    row = metrics(sums, hidden=frozenset({"revenue", "profit"}))
    assert row["currency"] is None and "payout" not in row and "revenue" not in row
    assert row["by_currency"] == {
        "EUR": {"payout": "1.00", "sale_amount": "0.00"},
        "USD": {"payout": "2.00", "sale_amount": "0.00"},
    }


CELLS = [
    {"hour": "2026-11-24T03", "offer_id": "1", "partner_id": "2", "goal_id": "", "clicks": 4},
    {"hour": "2026-11-24T03", "offer_id": "1", "partner_id": "2", "goal_id": "3", "conversions": 1,
     "payout": D(2), "currency": "USD", "advertiser_id": "9"},
    {"hour": "2026-11-24T10", "offer_id": "1", "partner_id": "2", "goal_id": "3", "conversions": 1,
     "payout": D(2), "currency": "USD", "advertiser_id": "9"},
    {"hour": "2026-11-25T00", "offer_id": "1", "partner_id": "2", "goal_id": "3", "conversions": 5},
]  # fmt: skip


def test_rows_per_period_and_goal_with_each_goals_rate_over_its_offers_clicks() -> None:
    report = summarize(CELLS, window=UTC_DAY, interval="day", group_by=["goal"])
    assert [(r["period"], r["goal_id"], r["conversions"], r["conversion_rate"]) for r in report["rows"]] == [
        ("2026-11-24", "", 0, "0.00"),
        ("2026-11-24", "3", 2, "50.00"),  # 2 conversions over the offer's 4 clicks
    ]
    assert report["totals"]["conversions"] == 2  # the next day is outside the window
    assert report["totals"]["payout"] == "4.00"
    hourly = summarize(CELLS, window=UTC_DAY, interval="hour", group_by=["offer", "advertiser"])
    assert [(r["period"], r["offer_id"], r["advertiser_id"]) for r in hourly["rows"]] == [
        ("2026-11-24T03:00", "1", ""), ("2026-11-24T03:00", "1", "9"), ("2026-11-24T10:00", "1", "9"),
    ]  # fmt: skip
    goal_only = summarize(CELLS[1:2], window=UTC_DAY, interval="total", group_by=["partner", "goal"])
    assert goal_only["rows"][0]["conversion_rate"] is None  # no clicks on that row's offer row


def test_the_funnel_counts_users_reaching_each_goal_and_drop_off_only_where_it_applies() -> None:
    cells = [
        {"hour": "2026-11-24T03", "goal_id": "", "clicks": 10},
        {
            "hour": "2026-11-24T03",
            "goal_id": "3",
            "conversions": 3,
            "pending": 1,
            "rejected": 4,
            "goal_clicks": 6,
        },
        {"hour": "2026-11-24T04", "goal_id": "4", "conversions": 5},
        {"hour": "2026-11-25T04", "goal_id": "4", "conversions": 50},  # outside the window
    ]
    steps = [FunnelStep("3", "Signup", False, False), FunnelStep("4", "Sale", True, True)]
    out = funnel(cells, window=UTC_DAY, steps=steps)["steps"]
    assert out[0] == {"step": "sessions", "count": 10}
    assert out[1] == {
        "step": "goal", "goal_id": "3", "name": "Signup", "private": False, "end_point": False,
        "goal_clicks": 6, "count": 4, "drop_off": 6, "drop_off_rate": "60.00", "drop_off_applies": True,
        "rate_from_sessions": "40.00",
    }  # fmt: skip
    assert (out[2]["count"], out[2]["drop_off"], out[2]["drop_off_rate"], out[2]["drop_off_applies"]) == (
        5, None, None, False,
    )  # fmt: skip
    assert (out[2]["private"], out[2]["end_point"], out[2]["goal_clicks"]) == (True, True, 0)
    equal = funnel(cells[:2], window=UTC_DAY, steps=[FunnelStep("3", "S", False, False)] * 2)["steps"]
    assert (equal[2]["drop_off"], equal[2]["drop_off_applies"]) == (0, True)  # as many as before: no loss
    empty = funnel([], window=UTC_DAY, steps=steps)["steps"]
    assert (empty[1]["drop_off_rate"], empty[1]["rate_from_sessions"]) == (None, None)


def test_each_money_view_adds_its_own_counters_and_never_two_currencies() -> None:
    """Base and partner money are counted under counters named by their currency: a base that
    changed from USD to EUR mid-range gives two currencies, never one sum."""
    cells = [
        {"hour": "2026-11-24T01", "offer_id": "1", "partner_id": "2", "goal_id": "3", "conversions": 1,
         "currency": "USD", "payout": D("10.50"), "revenue": D("21"),
         "base:EUR:payout": D("10.00"), "base:EUR:revenue": D("20.00"), "partner:GBP:payout": D("8.40")},
        {"hour": "2026-11-24T02", "offer_id": "1", "partner_id": "2", "goal_id": "3", "conversions": 1,
         "currency": "USD", "payout": D("1"), "revenue": D("2"),
         "base:USD:payout": D("1"), "base:USD:revenue": D("2"), "partner:GBP:payout": D("0.80")},
    ]  # fmt: skip

    def totals(view: Any) -> dict[str, Any]:
        return summarize(cells, window=UTC_DAY, interval="total", group_by=["offer"], view=view)["totals"]

    assert (totals("original")["payout"], totals("original")["currency"]) == ("11.50", "USD")
    partner = totals("partner")
    assert (partner["payout"], partner["currency"]) == ("9.20", "GBP")
    base = totals("base")
    assert base["currency"] is None and "payout" not in base
    assert (base["by_currency"]["EUR"]["payout"], base["by_currency"]["USD"]["payout"]) == ("10.00", "1.00")
