"""Caps as the money rules they are: a sharded cap adds up to the cap, the views count what
the counters hold, a lookback bound is inclusive. Pure functions, no AWS; the instants are
inputs (no clock is read)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from goalpost.model.caps import Cap, Lookback
from goalpost.rules.caps import MAX_SHARDS, cap_status, counters, lookback_refusal, shard_limit

D = Decimal
NOON = int(datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp())


@given(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=1, max_value=MAX_SHARDS),
)
def test_sharded_conversion_caps_add_up_to_the_cap_in_whole_conversions(limit: int, shards: int) -> None:
    parts = [shard_limit(D(limit), "conversions", shard, shards) for shard in range(shards)]
    assert sum(parts) == limit
    assert all(part == int(part) for part in parts)
    assert max(parts) - min(parts) <= 1  # spread evenly, never one shard holding the whole cap


@given(
    st.decimals(min_value=D("0.00001"), max_value=10**9, places=5, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=MAX_SHARDS),
    st.sampled_from(["payout", "revenue"]),
)
def test_sharded_money_caps_add_up_to_the_cap_exactly(limit: Decimal, shards: int, measure: str) -> None:
    parts = [shard_limit(limit, measure, shard, shards) for shard in range(shards)]  # type: ignore[arg-type]
    assert sum(parts) == limit
    assert all(part >= 0 for part in parts)


def test_two_shards_each_hold_half_a_cap() -> None:
    assert [shard_limit(D(10), "conversions", shard, 2) for shard in range(2)] == [5, 5]
    assert [shard_limit(D(3), "conversions", shard, 2) for shard in range(2)] == [2, 1]
    assert [shard_limit(D("10.00001"), "payout", shard, 2) for shard in range(2)] == [
        D("5.00000"),
        D("5.00001"),
    ]


def test_a_shard_counts_in_its_own_counter_against_its_part_of_the_cap() -> None:
    caps = [Cap("day", "conversions", D(4))]
    found = counters(
        caps, partner_id="3", payout=D(1), revenue=D(1), now=NOON, timezone="UTC", shard=1, shards=2
    )
    assert not isinstance(found, str)
    (counter,) = found
    assert (counter.period_key, counter.room) == ("day:2026-11-30#s1", {"conversions": D(1)})
    unsharded = counters(caps, partner_id="3", payout=D(1), revenue=D(1), now=NOON, timezone="UTC")
    assert not isinstance(unsharded, str)
    assert (unsharded[0].period_key, unsharded[0].room) == ("day:2026-11-30", {"conversions": D(3)})


def test_a_conversion_exactly_filling_a_cap_is_counted_and_one_cent_more_is_refused() -> None:
    caps = [Cap("day", "payout", D("2.5"))]
    exact = counters(caps, partner_id="3", payout=D("2.5"), revenue=D(0), now=NOON, timezone="UTC")
    assert not isinstance(exact, str) and exact[0].room == {"payout": D(0)}
    over = counters(caps, partner_id="3", payout=D("2.50001"), revenue=D(0), now=NOON, timezone="UTC")
    assert over == "offer_cap_reached"


def test_two_caps_on_one_counter_keep_the_tighter_room() -> None:
    caps = [Cap("day", "conversions", D(10)), Cap("day", "conversions", D(3))]
    found = counters(caps, partner_id="3", payout=D(0), revenue=D(0), now=NOON, timezone="UTC")
    assert not isinstance(found, str)
    assert [c.room for c in found] == [{"conversions": D(2)}]


def test_the_admins_cap_view_sums_the_shards_and_lists_an_each_partner_cap_once_uncounted() -> None:
    caps = [
        Cap("day", "conversions", D(10)),
        Cap("month", "payout", D(50), "*"),
        Cap("lifetime", "revenue", D(900)),
        Cap("day", "payout", D(0)),  # 0 is no cap: not listed
    ]
    usage = [
        {"sk": "offer#day:2026-11-30#s0", "conversions": 3, "payout": D("4.5")},
        {"sk": "offer#day:2026-11-30#s1", "conversions": 4},
        {"sk": "offer#day:2026-11-29#s0", "conversions": 9},  # yesterday: not today's count
        {"sk": "offer#lifetime#s0", "revenue": D("1000")},
    ]
    view = cap_status(caps, usage, now=NOON, timezone="UTC")
    assert [(row["period"], row.get("used"), row.get("remaining")) for row in view] == [
        ("day", D(7), D(3)),
        ("month", None, None),  # counted per partner: each partner's own view shows it
        ("lifetime", D(1000), D(0)),  # over the cap (limit lowered after): nothing left, never negative
    ]
    assert view[0]["period_key"] == "day:2026-11-30"


def test_a_partners_cap_view_counts_its_own_counter_and_the_offers() -> None:
    caps = [
        Cap("day", "conversions", D(10)),
        Cap("month", "payout", D(50), "*"),
        Cap("month", "payout", D(80), "7"),
    ]
    usage = [
        {"sk": "offer#day:2026-11-30", "conversions": 6},
        {"sk": "partner:7#month:2026-11", "payout": D("12.5")},
        {"sk": "partner:8#month:2026-11", "payout": D("40")},
    ]
    view = cap_status(
        caps, usage, now=NOON, timezone="UTC", partner_id="7", measures=("conversions", "payout")
    )
    assert [(row["limit"], row["used"], row["remaining"]) for row in view] == [
        (D(10), D(6), D(4)),
        (D(80), D("12.5"), D("67.5")),  # the partner's own cap replaces the each-partner one
    ]
    other = cap_status(caps, usage, now=NOON, timezone="UTC", partner_id="8")
    assert [(row["limit"], row["used"]) for row in other] == [(D(10), D(6)), (D(50), D(40))]
    hidden = cap_status(caps, usage, now=NOON, timezone="UTC", partner_id="8", measures=("conversions",))
    assert [row["measure"] for row in hidden] == ["conversions"]  # partners never see revenue caps


def test_lookback_bounds_are_inclusive_and_the_reason_gives_the_age() -> None:
    window = Lookback(min_session_seconds=15, max_session_seconds=3600)
    assert lookback_refusal(window, NOON, NOON + 14) == (
        "lookback_too_soon",
        "conversion 14.000 s after the click; this goal counts conversions from 15 s after it",
    )
    assert lookback_refusal(window, NOON, NOON + 15) is None
    assert lookback_refusal(window, NOON, NOON + 3600) is None
    assert lookback_refusal(window, NOON, NOON + 3601) == (
        "lookback_expired",
        "conversion 3601.000 s after the click; this goal counts conversions up to 3600 s after it",
    )
    assert lookback_refusal(Lookback(min_session_seconds=15), NOON, NOON + 10**8) is None
    assert lookback_refusal(Lookback(max_session_seconds=60), NOON, NOON) is None


def test_a_tiny_money_cap_never_leaves_a_shard_a_negative_part() -> None:
    parts = [shard_limit(D("0.00014"), "payout", shard, 16) for shard in range(16)]
    assert sum(parts) == D("0.00014") and min(parts) >= 0
    assert parts[:15] == [D(0)] * 15  # parts are rounded down; the last shard holds the rest


def test_two_shards_are_both_used() -> None:
    from goalpost.rules.caps import first_shard

    assert {first_shard(f"{n:032x}", 2) for n in range(20)} == {0, 1}


def test_a_sharded_conversions_cap_counts_whole_conversions_in_each_shard() -> None:
    caps = [Cap("day", "conversions", D(3))]
    found = counters(
        caps, partner_id="3", payout=D(1), revenue=D(1), now=NOON, timezone="UTC", shard=1, shards=2
    )
    assert not isinstance(found, str) and found[0].room == {"conversions": D(0)}  # shard 1 holds 1 of 3


def test_a_partners_own_cap_binds_its_conversions() -> None:
    caps = [Cap("day", "conversions", D(1), "7")]
    assert counters(caps, partner_id="7", payout=D(0), revenue=D(0), now=NOON, timezone="UTC") != []
    assert counters(caps, partner_id="8", payout=D(0), revenue=D(0), now=NOON, timezone="UTC") == []


def test_the_tighter_of_two_caps_wins_in_either_order() -> None:
    for caps in ([Cap("day", "conversions", D(3)), Cap("day", "conversions", D(10))],
                 [Cap("day", "conversions", D(10)), Cap("day", "conversions", D(3))]):  # fmt: skip
        found = counters(caps, partner_id="3", payout=D(0), revenue=D(0), now=NOON, timezone="UTC")
        assert not isinstance(found, str) and [c.room for c in found] == [{"conversions": D(2)}]


def test_a_cap_view_shows_a_limit_of_one_and_a_cap_nothing_has_counted_yet() -> None:
    caps = [Cap("month", "conversions", D(1)), Cap("day", "revenue", D(5)), Cap("day", "payout", D(2))]
    usage = [{"sk": "offer#month:2026-11", "conversions": 1}, {"sk": "offer#day:2026-11-30", "revenue": D(2)}]
    view = cap_status(caps, usage, now=NOON, timezone="UTC")
    assert [(row["measure"], row["used"], row["remaining"]) for row in view] == [
        ("conversions", D(1), D(0)),
        ("revenue", D(2), D(3)),
        ("payout", D(0), D(2)),  # a counter without this measure has counted none of it
    ]
    only_payout = cap_status(caps, usage, now=NOON, timezone="UTC", partner_id="3", measures=("payout",))
    assert [row["measure"] for row in only_payout] == ["payout"]  # a hidden measure skips, not stops
    assert cap_status(caps, [], now=NOON, timezone="UTC")[0]["used"] == D(0)


def test_a_week_is_the_offers_local_iso_week_from_monday() -> None:
    from goalpost.rules.caps import period_key

    sunday_night_utc = int(datetime(2027, 1, 18, 3, 0, tzinfo=UTC).timestamp())  # Monday 03:00 UTC
    assert period_key("week", sunday_night_utc, "UTC") == "week:2027-W03"
    assert period_key("week", sunday_night_utc, "America/New_York") == "week:2027-W02"  # still Sunday
    new_year = int(datetime(2027, 1, 1, 12, 0, tzinfo=UTC).timestamp())  # a Friday of 2026's last week
    assert period_key("week", new_year, "UTC") == "week:2026-W53"


def test_click_caps_name_their_own_counters_and_conversions_never_count_in_them() -> None:
    from goalpost.model.caps import has_click_caps
    from goalpost.rules.caps import click_counters

    caps = [
        Cap("day", "clicks", D(100)),
        Cap("lifetime", "clicks", D(5), "*"),
        Cap("lifetime", "clicks", D(8), "7"),
        Cap("day", "conversions", D(3)),
    ]
    found = click_counters(caps, partner_id="7", now=NOON, timezone="UTC")
    assert [(c.sort_key, c.limit) for c in found] == [
        ("offer#day:2026-11-30#clicks", 100),
        ("partner:7#lifetime#clicks", 8),  # the partner's own cap wins over each partner's
    ]
    assert found[0].expires_at == NOON + 40 * 86400 and found[1].expires_at == 0
    other = click_counters(caps, partner_id="9", now=NOON, timezone="UTC")
    assert [(c.sort_key, c.limit) for c in other][1] == ("partner:9#lifetime#clicks", 5)
    made = counters(caps, partner_id="7", payout=D(1), revenue=D(1), now=NOON, timezone="UTC")
    assert isinstance(made, list) and [c.room for c in made] == [{"conversions": D(2)}]
    assert has_click_caps(caps) and not has_click_caps(
        [Cap("day", "conversions", D(3)), Cap("day", "clicks", D(0))]
    )
    assert click_counters([Cap("day", "clicks", D(0))], partner_id="7", now=NOON, timezone="UTC") == []


def test_the_admins_cap_view_counts_clicks_beside_conversions_of_the_same_period() -> None:
    caps = [Cap("day", "clicks", D(10)), Cap("day", "conversions", D(3))]
    usage = [
        {"sk": "offer#day:2026-11-30", "conversions": D(2)},
        {"sk": "offer#day:2026-11-30#clicks", "clicks": D(7)},
    ]
    rows = cap_status(caps, usage, now=NOON, timezone="UTC")
    assert [(r["measure"], r["used"], r["remaining"]) for r in rows] == [
        ("clicks", D(7), D(3)),
        ("conversions", D(2), D(1)),
    ]
