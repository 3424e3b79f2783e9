"""Stats rules without AWS: what a stream record adds, how batches are grouped, time zones."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from goalpost.model.stats import Cell
from goalpost.rules.stats import (
    Sums,
    Window,
    contribution,
    first_group,
    metrics,
    period_of,
    summarize,
    window,
)


def no_advertiser(offer_id: str, goal_id: str) -> str:
    return "9"


def conversion(status: str, payout: str = "10", **extra: object) -> dict[str, object]:
    return {
        "kind": "conversion",
        "status": status,
        "offer_id": "1",
        "partner_id": "2",
        "goal_id": "3",
        "advertiser_id": "4",
        "created_at": "2026-11-24T03:30:00.000Z",
        "payout": Decimal(payout),
        "revenue": Decimal("15"),
        "sale_amount": Decimal("50"),
        **extra,
    }


def test_a_new_session_is_one_click_in_its_hour() -> None:
    found = contribution(
        "INSERT",
        {"transaction_id": "t", "offer_id": "1", "partner_id": "2", "created_at": 1795490000},
        {},
        no_advertiser,
    )
    assert found is not None
    assert found.cell == Cell("2026-11-24T03", "1", "2", "")
    assert found.counters == {"clicks": 1, "unique_clicks": 1}
    assert found.advertiser_id == "9"


def test_a_duplicate_click_is_gross_not_unique_and_a_redirected_one_is_invalid() -> None:
    session = {"transaction_id": "t", "offer_id": "1", "partner_id": "2", "created_at": 1795490000}
    duplicate = contribution("INSERT", {**session, "flags": ["duplicate_click"]}, {}, no_advertiser)
    flagged_bot = contribution("INSERT", {**session, "flags": ["bot_user_agent"]}, {}, no_advertiser)
    redirected = contribution("INSERT", {**session, "redirected": "bot_user_agent"}, {}, no_advertiser)
    assert duplicate is not None and duplicate.counters == {"clicks": 1}
    assert flagged_bot is not None and flagged_bot.counters == {
        "clicks": 1,
        "unique_clicks": 1,
    }  # flag: counted
    assert redirected is not None and redirected.counters == {"invalid_clicks": 1}


def test_a_conversion_held_by_a_screening_rule_is_its_own_column_until_decided() -> None:
    held = conversion("pending", status_code="ip_mismatch")
    found = contribution("INSERT", held, {}, no_advertiser)
    assert found is not None and found.counters == {"held": 1}
    approved = contribution("MODIFY", {**held, "status": "approved"}, held, no_advertiser)
    assert approved is not None and approved.counters["held"] == -1 and approved.counters["conversions"] == 1
    waiting = contribution("INSERT", conversion("pending", status_code="approval_pending"), {}, no_advertiser)
    assert waiting is not None and waiting.counters == {"pending": 1}


def test_pending_counts_no_money_and_approval_adds_it() -> None:
    pending = contribution("INSERT", conversion("pending"), {}, no_advertiser)
    assert pending is not None and pending.counters == {"pending": 1}
    approved = contribution("MODIFY", conversion("approved"), conversion("pending"), no_advertiser)
    assert approved is not None
    assert approved.counters == {
        "pending": -1,
        "conversions": 1,
        "payout": Decimal(10),
        "revenue": Decimal(15),
        "sale_amount": Decimal(50),
        # recorded without currencies: its own amounts stand for the base's and the partner's
        "base::payout": Decimal(10),
        "base::revenue": Decimal(15),
        "base::sale_amount": Decimal(50),
        "partner::payout": Decimal(10),
    }
    assert approved.cell == Cell("2026-11-24T03", "1", "2", "3")


def test_rejection_after_approval_takes_the_money_out() -> None:
    found = contribution("MODIFY", conversion("rejected"), conversion("approved"), no_advertiser)
    assert found is not None
    assert found.counters == {
        "conversions": -1,
        "rejected": 1,
        "payout": Decimal(-10),
        "revenue": Decimal(-15),
        "sale_amount": Decimal(-50),
        "base::payout": Decimal(-10),
        "base::revenue": Decimal(-15),
        "base::sale_amount": Decimal(-50),
        "partner::payout": Decimal(-10),
    }


def test_an_edited_payout_moves_only_the_difference_and_a_duplicate_counter_nothing() -> None:
    edited = contribution("MODIFY", conversion("approved", "12.5"), conversion("approved"), no_advertiser)
    assert edited is not None
    assert edited.counters == {
        "payout": Decimal("2.5"),
        "base::payout": Decimal("2.5"),
        "partner::payout": Decimal("2.5"),
    }
    repeat = conversion("approved", duplicate_count=1)
    assert contribution("MODIFY", repeat, conversion("approved"), no_advertiser) is None


def test_impressions_and_goal_clicks_count_their_increase() -> None:
    old = {
        "kind": "impressions",
        "offer_id": "1",
        "partner_id": "2",
        "hour": "2026-11-24T05",
        "impressions": 4,
    }
    found = contribution("MODIFY", {**old, "impressions": 5}, old, no_advertiser)
    assert found is not None and found.counters == {"impressions": 1}
    visit = {
        "kind": "goal_click",
        "offer_id": "1",
        "partner_id": "2",
        "goal_id": "3",
        "last_at": "2026-11-24T05:01:00Z",
        "clicks": 1,
    }
    found = contribution("INSERT", visit, {}, no_advertiser)
    assert found is not None and found.cell.goal_id == "3" and found.counters == {"goal_clicks": 1}


def test_a_group_folds_records_per_cell_and_is_cut_at_the_item_limit() -> None:
    """A transaction's items are the group's cells and the rollups they add to (the marker is
    the 100th): the group ends before a record that would need more."""
    from goalpost.rules.stats import rollups_of

    def click(n: int, offer: str) -> tuple[str, object]:
        found = contribution(
            "INSERT",
            {"transaction_id": f"t{n}", "offer_id": offer, "partner_id": "2", "created_at": 1795490000},
            {},
            no_advertiser,
        )
        return f"e{n}", found

    events = [click(1, "1"), click(2, "1"), ("e3", None), click(4, "2"), click(5, "3")]
    one, two = Cell("2026-11-24T03", "1", "2", ""), Cell("2026-11-24T03", "2", "2", "")
    items = 2 + len(set(rollups_of(one)) | set(rollups_of(two)))
    first = first_group(events, 0, max_items=items)  # type: ignore[arg-type]
    assert (first.first_event, first.last_event, first.size) == ("e1", "e4", 4)
    assert first.cells[one].counters == {"clicks": 2, "unique_clicks": 2}
    assert first.cells[two].counters == {"clicks": 1, "unique_clicks": 1}
    assert len(first.cells) + len(first.rollups) == items
    second = first_group(events, 4, max_items=items)  # type: ignore[arg-type]
    assert (second.first_event, second.last_event, second.size) == ("e5", "e5", 1)
    assert first_group(events, 0, max_items=items - 1).last_event == "e3"  # type: ignore[arg-type]


def test_a_group_adds_its_cells_to_the_hour_and_day_of_the_network_offer_and_partner() -> None:
    """The dashboard's rollups: counts and base-currency money (never an offer's own currency,
    which may differ between offers), and the default goal's conversions by name."""
    from goalpost.model.stats import Rollup, shard_of

    sale = contribution("INSERT", conversion("approved", currency="USD"), {}, no_advertiser)
    default = contribution(
        "INSERT", conversion("approved", "3", currency="USD", goal_id="0"), {}, no_advertiser
    )
    assert sale is not None and default is not None
    group = first_group([("e1", sale), ("e2", default)], 0, max_items=99)
    shard = shard_of("1", "2")
    expected_keys = {
        Rollup(period, level, subject, shard)
        for period in ("2026-11-24T03", "2026-11-24")
        for level, subject in (("network", ""), ("offer", "1"), ("partner", "2"))
    }
    assert set(group.rollups) == expected_keys
    day = group.rollups[Rollup("2026-11-24", "network", "", shard)]
    cells = list(group.cells.values())
    assert day["conversions"] == 2 and day["default_conversions"] == 1
    assert day["base:USD:payout"] == sum(c.counters["base:USD:payout"] for c in cells)
    assert "payout" not in day and not any(name.startswith("partner:") for name in day)


def test_a_private_conversion_counts_in_its_own_cell_beside_the_public_one() -> None:
    """Privacy as recorded: the same hour, offer, partner and goal, two cells (one batch or many)."""
    public = contribution("INSERT", conversion("approved", "2"), {}, no_advertiser)
    private = contribution("INSERT", conversion("approved", "0", private=True), {}, no_advertiser)
    assert public is not None and private is not None
    assert public.cell == Cell("2026-11-24T03", "1", "2", "3")
    assert private.cell == Cell("2026-11-24T03", "1", "2", "3", private=True)
    group = first_group([("e1", public), ("e2", private)], 0, max_items=99)
    assert group.cells[public.cell].counters["payout"] == Decimal(2)
    assert group.cells[private.cell].counters == {
        "conversions": 1,
        "revenue": Decimal(15),
        "sale_amount": Decimal(50),
        "base::revenue": Decimal(15),
        "base::sale_amount": Decimal(50),
    }


def test_a_utc_hour_lands_in_the_callers_local_day() -> None:
    new_york = ZoneInfo("America/New_York")
    assert period_of("2026-11-24T03", "day", new_york) == "2026-11-23"
    assert period_of("2026-11-24T05", "day", new_york) == "2026-11-24"
    assert period_of("2026-11-24T03", "hour", ZoneInfo("Asia/Tokyo")) == "2026-11-24T12:00"
    span = window(date(2026, 11, 24), date(2026, 11, 24), new_york)
    assert span.utc_days() == ["2026-11-24", "2026-11-25"] and span.exact
    assert span.contains_hour("2026-11-24T05") and not span.contains_hour("2026-11-24T04")
    assert not window(date(2026, 11, 24), date(2026, 11, 24), ZoneInfo("Asia/Kolkata")).exact


def test_summaries_add_profit_and_conversion_rate_and_hide_what_is_asked() -> None:
    cells = [
        {"hour": "2026-11-24T10", "offer_id": "1", "partner_id": "2", "goal_id": "", "clicks": 3},
        {
            "hour": "2026-11-24T11",
            "offer_id": "1",
            "partner_id": "2",
            "goal_id": "0",
            "conversions": 1,
            "payout": Decimal("0.1"),
            "revenue": Decimal("0.3"),
        },
        {"hour": "2026-11-26T11", "offer_id": "1", "partner_id": "2", "goal_id": "3", "conversions": 9},
    ]
    span = window(date(2026, 11, 24), date(2026, 11, 25), ZoneInfo("UTC"))
    body = summarize(cells, window=span, interval="total", group_by=["offer"])
    (row,) = body["rows"]
    assert row["clicks"] == 3 and row["conversions"] == 1  # the 26th is outside the range
    assert (row["payout"], row["revenue"], row["profit"], row["conversion_rate"]) == (
        "0.10",
        "0.30",
        "0.20",
        "33.33",
    )
    assert "revenue" not in metrics(Sums.empty(), frozenset({"revenue"}))
    assert metrics(Sums.empty())["conversion_rate"] is None


def test_money_in_different_currencies_is_never_added_up() -> None:
    def sale(offer: str, currency: str, payout: str) -> dict[str, object]:
        return {
            "hour": "2026-11-24T10",
            "offer_id": offer,
            "partner_id": "2",
            "goal_id": "3",
            "conversions": 1,
            "payout": Decimal(payout),
            "currency": currency,
        }

    span = window(date(2026, 11, 24), date(2026, 11, 24), ZoneInfo("UTC"))
    cells = [sale("1", "USD", "2"), sale("1", "USD", "3"), sale("5", "EUR", "4")]
    body = summarize(cells, window=span, interval="total", group_by=["offer"])
    usd, eur = body["rows"]
    assert (usd["payout"], usd["currency"], eur["payout"], eur["currency"]) == ("5.00", "USD", "4.00", "EUR")
    totals = body["totals"]
    assert totals["conversions"] == 3 and "payout" not in totals and totals["currency"] is None
    assert (
        totals["by_currency"]["USD"]["payout"] == "5.00" and totals["by_currency"]["EUR"]["payout"] == "4.00"
    )


def test_funnel_drop_off_is_not_applicable_where_a_step_outnumbers_the_one_before() -> None:
    from goalpost.rules.stats import FunnelStep, funnel

    span = window(date(2026, 3, 1), date(2026, 3, 1), ZoneInfo("UTC"))
    cells = [
        {"hour": "2026-03-01T10", "offer_id": "1", "goal_id": "", "clicks": 10},
        {"hour": "2026-03-01T10", "offer_id": "1", "goal_id": "0", "conversions": 1},
        {"hour": "2026-03-01T10", "offer_id": "1", "goal_id": "5", "conversions": 4},
    ]
    steps = [FunnelStep("0", "Lead", False, False), FunnelStep("5", "Sale", False, False)]
    out = funnel(cells, window=span, steps=steps)["steps"]
    lead, sale = out[1], out[2]
    assert (lead["drop_off"], lead["drop_off_rate"], lead["drop_off_applies"]) == (9, "90.00", True)
    assert (sale["drop_off"], sale["drop_off_rate"], sale["drop_off_applies"]) == (None, None, False)
    assert sale["rate_from_sessions"] == "40.00"


def test_the_dashboard_reads_days_whole_and_only_the_hours_a_zone_cuts() -> None:
    """A UTC day no window cuts is read as its day rollups; a day the zone's midnight cuts, the
    network's by the hours the windows cover and the offers' and partners' by hours only where
    the week cuts it (their top lists are the week's); a half-hour zone's last hour bucket, which
    starts before the window's end, is read."""
    from goalpost.model.stats import RollupRead
    from goalpost.rules.stats import rollup_reads

    def spans(zone: str) -> tuple[list[Window], Window]:
        z = ZoneInfo(zone)
        today = window(date(2026, 11, 25), date(2026, 11, 25), z)
        yesterday = window(date(2026, 11, 24), date(2026, 11, 24), z)
        week = window(date(2026, 11, 19), date(2026, 11, 25), z)
        return [today, yesterday, week], week

    whole, hours = rollup_reads(*spans("UTC"))
    assert whole == [f"2026-11-{d}" for d in range(19, 26)] and hours == []
    whole, hours = rollup_reads(*spans("Asia/Tokyo"))  # +09:00: local midnight is 15:00 UTC
    assert whole == [f"2026-11-{d}" for d in range(19, 25)]  # the 23rd and 24th for the top lists
    assert hours == [
        RollupRead("2026-11-18", "network", "15", "23"),
        RollupRead("2026-11-18", "offer", "15", "23"),
        RollupRead("2026-11-18", "partner", "15", "23"),
        RollupRead("2026-11-23", "network", "15", "23"),  # yesterday's first hours
        RollupRead("2026-11-24", "network", "00", "23"),  # yesterday's end, today's start
        RollupRead("2026-11-25", "network", "00", "14"),
        RollupRead("2026-11-25", "offer", "00", "14"),
        RollupRead("2026-11-25", "partner", "00", "14"),
    ]
    _, hours = rollup_reads(*spans("Asia/Kolkata"))  # +05:30: the window ends at 18:30 UTC
    assert RollupRead("2026-11-25", "offer", "00", "18") in hours
