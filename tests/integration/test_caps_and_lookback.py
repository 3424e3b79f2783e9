"""Conversion caps (offer and partner; day, month, lifetime; conversions, payout, revenue) and
lookback windows, through the postback handler on moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from goalpost.store import config_cache
from tests.helpers import Clock, admin, click, conversions, postback, setup_network

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()
DAY = 86400.0


@pytest.fixture(autouse=True)
def _from_noon_on_november_25(clock: Clock) -> None:
    """The periods below are counted from this instant (the next month is six days away)."""
    clock.at = T0


def answer(response: dict[str, Any]) -> dict[str, Any]:
    """A format=json postback answer, with its HTTP status."""
    return {"http": response["statusCode"], **json.loads(response["body"])}


def convert(offer_id: str, partner_id: str) -> dict[str, Any]:
    return answer(postback(f"transaction_id={click(offer_id, partner_id)}&amount=100&format=json"))


def capped_network(cap: dict[str, Any], **offer: Any) -> tuple[str, str, str]:
    """Offer paying 2 and earning 3 per conversion, with one cap; two partners."""
    net = setup_network(offer={"default_goal": {"payout": {"flat": "2"}, "revenue": {"flat": "3"}}, **offer})
    offer_id, first = net["offer"]["offer_id"], net["partner"]["partner_id"]
    status, second = admin("POST", "/admin/partners", {"name": "Partner Two"})
    assert status == 201
    if cap.get("partner_id") == "first":
        cap = {**cap, "partner_id": first}
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    status, body = admin("PATCH", f"/admin/offers/{offer_id}", {"caps": [cap]}, if_match=str(version))
    assert status == 200, body
    config_cache.clear()
    return offer_id, first, second["partner_id"]


LIMIT_FOR_ONE = {"conversions": "1", "payout": "2", "revenue": "3"}
"""A limit one conversion (payout 2, revenue 3) fills exactly."""
NEXT_PERIOD = {"day": DAY, "month": 6 * DAY, "lifetime": None}
"""From 2026-11-25 noon: a day later is a new day; six days later, December."""


@pytest.mark.parametrize("measure", ["conversions", "payout", "revenue"])
@pytest.mark.parametrize("period", ["day", "month", "lifetime"])
@pytest.mark.parametrize("scope", ["offer", "partner"])
def test_a_cap_refuses_what_exceeds_it_until_its_period_ends(
    aws: Any, clock: Clock, scope: str, period: str, measure: str
) -> None:
    cap = {"period": period, "measure": measure, "limit": LIMIT_FOR_ONE[measure]}
    if scope == "partner":
        cap["partner_id"] = "first"
    offer_id, first, second = capped_network(cap)
    code = f"{scope}_cap_reached"

    assert convert(offer_id, first)["success"]
    over = convert(offer_id, first)
    assert (over["http"], over["code"], over["success"]) == (409, code, False)
    other = convert(offer_id, second)
    assert other["success"] is (scope == "partner")  # a partner's cap binds that partner only

    clock.at += 3600 if period == "day" else 5 * DAY  # still the same day / month (Nov 30)
    assert convert(offer_id, first)["code"] == code
    if NEXT_PERIOD[period] is None:
        clock.at = T0 + 400 * DAY
        assert convert(offer_id, first)["code"] == code  # a lifetime cap never resets
    else:
        clock.at = T0 + float(NEXT_PERIOD[period])  # type: ignore[arg-type]
        assert convert(offer_id, first)["success"]
    stored = conversions(offer_id)
    refused = [c for c in stored if c["status"] == "rejected"]
    assert refused and {c["status_code"] for c in refused} == {code}  # the report shows the code


def test_days_are_the_offers_time_zone(aws: Any, clock: Clock) -> None:
    clock.at = datetime(2026, 11, 25, 3, 0, tzinfo=UTC).timestamp()  # Nov 24, 22:00 in New York
    offer_id, first, _ = capped_network(
        {"period": "day", "measure": "conversions", "limit": "1"}, timezone="America/New_York"
    )
    assert convert(offer_id, first)["success"]
    clock.at += 1.5 * 3600  # 23:30 in New York: the same day
    assert convert(offer_id, first)["code"] == "offer_cap_reached"
    clock.at += 3600  # 00:30 in New York, Nov 25 (05:30 UTC): a new day there
    assert convert(offer_id, first)["success"]


def test_each_partner_cap_and_a_partners_own_cap(aws: Any, clock: Clock) -> None:
    offer_id, first, second = capped_network(
        {"period": "day", "measure": "conversions", "limit": "1", "partner_id": "*"}
    )
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    caps = [
        {"period": "day", "measure": "conversions", "limit": "1", "partner_id": "*"},
        {"period": "day", "measure": "conversions", "limit": "2", "partner_id": first},
    ]
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"caps": caps}, if_match=str(version))[0] == 200
    config_cache.clear()
    assert [convert(offer_id, first)["success"] for _ in range(3)] == [True, True, False]
    assert [convert(offer_id, second)["success"] for _ in range(2)] == [True, False]


def test_over_the_cap_can_be_recorded_pending_for_review(aws: Any, clock: Clock) -> None:
    offer_id, first, _ = capped_network(
        {"period": "lifetime", "measure": "conversions", "limit": "1"}, cap_action="pending"
    )
    assert convert(offer_id, first)["success"]
    over = convert(offer_id, first)
    assert over["success"] and over["code"] == "offer_cap_reached"
    assert over["status"] == "pending"
    pending = [c for c in conversions(offer_id) if c["status"] == "pending"]
    assert [c["status_code"] for c in pending] == ["offer_cap_reached"]


def test_a_cap_a_single_conversion_exceeds_refuses_it(aws: Any, clock: Clock) -> None:
    offer_id, first, _ = capped_network({"period": "day", "measure": "payout", "limit": "1.5"})
    assert convert(offer_id, first)["code"] == "offer_cap_reached"  # pays 2 > 1.5


def test_caps_are_validated(aws: Any) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    bad: list[dict[str, Any]] = [
        {"caps": [{"period": "fortnight", "limit": "1"}]},
        {"caps": [{"period": "day", "measure": "conversions", "limit": "1.5"}]},
        {"caps": [{"period": "day", "limit": "-1"}]},
        {"caps": [{"period": "day", "limit": "1"}, {"period": "day", "limit": "2"}]},
        {"timezone": "Mars/Olympus"},
        {"min_session_seconds": 600, "max_session_seconds": 60},
    ]
    for patch in bad:
        version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
        status, body = admin("PATCH", f"/admin/offers/{offer_id}", patch, if_match=str(version))
        assert status == 422, (patch, body)


def lookback_network(
    offer: dict[str, Any], goal: dict[str, Any] | None = None
) -> tuple[str, str, Callable[..., Any]]:
    goals = [{"name": "Sale", "payout": {"flat": "1"}, **(goal or {})}]
    net = setup_network(offer={"goals_enabled": True, **offer}, goals=goals)
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]

    def goal_postback(tid: str) -> dict[str, Any]:
        return answer(postback(f"transaction_id={tid}&goal_name=sale&format=json", path="/aff_goal"))

    return offer_id, partner_id, goal_postback


def test_a_conversion_too_soon_after_the_click_is_refused(aws: Any, clock: Clock) -> None:
    offer_id, partner_id, goal_postback = lookback_network({"min_session_seconds": 10})
    tid = click(offer_id, partner_id)
    clock.at += 2
    early = answer(postback(f"transaction_id={tid}&format=json"))
    assert (early["http"], early["code"], early["success"]) == (403, "lookback_too_soon", False)
    clock.at += 10
    assert answer(postback(f"transaction_id={tid}&format=json"))["success"] is True
    assert goal_postback(click(offer_id, partner_id))["code"] == "lookback_too_soon"  # goals inherit it
    refused = [c["status_code"] for c in conversions(offer_id) if c["status"] == "rejected"]
    assert refused == ["lookback_too_soon", "lookback_too_soon"]  # stored, in the report


def test_a_conversion_after_the_window_is_refused_and_a_goal_overrides_the_offer(
    aws: Any, clock: Clock
) -> None:
    offer_id, partner_id, goal_postback = lookback_network(
        {"max_session_seconds": 3600}, goal={"max_session_seconds": 0, "min_session_seconds": 0}
    )
    tid = click(offer_id, partner_id)
    clock.at += 3601
    late = answer(postback(f"transaction_id={tid}&format=json"))
    assert (late["http"], late["code"], late["success"]) == (410, "lookback_expired", False)
    assert goal_postback(tid)["success"]  # the goal's own window: while the session lives


@pytest.mark.parametrize("click_fraction", [0.1, 0.5, 0.9])
def test_lookback_ages_are_measured_at_the_clocks_precision(
    aws: Any, clock: Clock, click_fraction: float
) -> None:
    """9.6 s after the click is too soon for a 10 s minimum and 3600.4 s too late for a 3600 s
    maximum, wherever in its second the click fell (whole seconds were wrong by up to 1 s)."""
    offer_id, partner_id, _goal_postback = lookback_network(
        {"min_session_seconds": 10, "max_session_seconds": 3600}
    )
    clock.at = int(clock.at) + click_fraction
    soon = click(offer_id, partner_id)
    late = click(offer_id, partner_id)
    clock.at += 9.6
    assert answer(postback(f"transaction_id={soon}&format=json"))["code"] == "lookback_too_soon"
    clock.at += 0.41  # 10.01 s: in the window
    assert answer(postback(f"transaction_id={soon}&format=json"))["success"] is True
    clock.at += 3590.39  # 3600.4 s after the click
    assert answer(postback(f"transaction_id={late}&format=json"))["code"] == "lookback_expired"


def test_admins_see_each_caps_usage_and_partners_the_caps_that_bind_them(aws: Any, clock: Clock) -> None:
    from tests.helpers import partner_call

    net = setup_network(offer={"default_goal": {"payout": {"flat": "2"}, "revenue": {"flat": "3"}}})
    offer_id, partner = net["offer"]["offer_id"], net["partner"]
    caps = [
        {"period": "day", "measure": "conversions", "limit": "10"},
        {"period": "month", "measure": "payout", "limit": "50", "partner_id": "*"},
        {"period": "lifetime", "measure": "revenue", "limit": "900"},
        {"period": "week", "measure": "clicks", "limit": "100", "partner_id": "*"},
    ]
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"caps": caps}, if_match=str(version))[0] == 200
    config_cache.clear()
    convert(offer_id, partner["partner_id"])

    status, usage = admin("GET", f"/admin/offers/{offer_id}/caps")
    assert status == 200
    rows = {(r["period"], r["measure"]): r for r in usage["caps"]}
    day = rows[("day", "conversions")]
    assert (Decimal(day["used"]), Decimal(day["remaining"])) == (1, 9)
    assert Decimal(rows[("lifetime", "revenue")]["used"]) == 3
    assert "used" not in rows[("month", "payout")]  # each partner's: counted per partner

    [offer] = json.loads(partner_call("/partner/offers", partner["api_key"])["body"])["items"]
    seen = {(c["period"], c["measure"]): c for c in offer["caps"]}
    assert set(seen) == {("day", "conversions"), ("month", "payout"), ("week", "clicks")}  # never revenue
    month = seen[("month", "payout")]
    assert (Decimal(month["used"]), Decimal(month["remaining"])) == (2, 48)
    week = seen[
        ("week", "clicks")
    ]  # the partner's own clicks (one, by convert) counted by its each-partner cap
    assert (Decimal(week["used"]), Decimal(week["remaining"])) == (1, 99)
