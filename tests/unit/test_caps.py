"""Cap and lookback rules, without AWS."""

from datetime import UTC, datetime
from decimal import Decimal

from goalpost.model.caps import Cap, Lookback
from goalpost.rules.caps import caps_for, counters, lookback_refusal, period_key

NOON = int(datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp())


def test_periods_are_the_offers_local_day_and_month() -> None:
    assert period_key("day", NOON, "UTC") == "day:2026-11-30"
    assert period_key("month", NOON, "UTC") == "month:2026-11"
    assert period_key("day", NOON, "Pacific/Kiritimati") == "day:2026-12-01"  # UTC+14
    assert period_key("month", NOON, "Pacific/Kiritimati") == "month:2026-12"
    assert period_key("lifetime", NOON, "Asia/Tokyo") == "lifetime"


def test_a_partners_own_cap_replaces_the_each_partner_cap_of_the_same_kind() -> None:
    offer = Cap("day", "conversions", Decimal(100))
    each = Cap("day", "conversions", Decimal(5), "*")
    each_payout = Cap("day", "payout", Decimal(50), "*")
    own = Cap("day", "conversions", Decimal(20), "7")
    off = Cap("month", "revenue", Decimal(0))
    assert caps_for([offer, each, each_payout, own, off], "7") == [offer, each_payout, own]
    assert caps_for([offer, each, each_payout, own, off], "8") == [offer, each, each_payout]


def test_counters_leave_room_for_this_conversion_on_every_capped_measure() -> None:
    caps = [
        Cap("day", "conversions", Decimal(10)),
        Cap("day", "payout", Decimal(100)),
        Cap("lifetime", "revenue", Decimal(1000), "*"),
    ]
    found = counters(
        caps, partner_id="3", payout=Decimal("2.5"), revenue=Decimal(4), now=NOON, timezone="UTC"
    )
    assert not isinstance(found, str)
    by_scope = {(c.scope, c.period_key): c for c in found}
    day = by_scope[("offer", "day:2026-11-30")]
    assert day.room == {"conversions": Decimal(9), "payout": Decimal("97.5")}
    assert day.adds["payout"] == Decimal("2.5") and day.expires_at > NOON
    life = by_scope[("partner:3", "lifetime")]
    assert life.room == {"revenue": Decimal(996)} and life.expires_at == 0


def test_a_conversion_worth_more_than_a_cap_is_refused_before_any_write() -> None:
    caps = [Cap("month", "payout", Decimal(1), "*")]
    assert (
        counters(caps, partner_id="3", payout=Decimal(2), revenue=Decimal(0), now=NOON, timezone="UTC")
        == "partner_cap_reached"
    )


def test_lookback_windows() -> None:
    window = Lookback(min_session_seconds=10, max_session_seconds=3600)
    assert lookback_refusal(window, NOON, NOON + 2)[0] == "lookback_too_soon"  # type: ignore[index]
    assert lookback_refusal(window, NOON, NOON + 10) is None
    assert lookback_refusal(window, NOON, NOON + 3600) is None
    assert lookback_refusal(window, NOON, NOON + 3601)[0] == "lookback_expired"  # type: ignore[index]
    assert lookback_refusal(Lookback(), NOON, NOON + 10**7) is None


def test_shards_share_a_cap_exactly() -> None:
    from goalpost.rules.caps import first_shard, shard_limit

    assert [shard_limit(Decimal(5), "conversions", i, 4) for i in range(4)] == [2, 1, 1, 1]
    parts = [shard_limit(Decimal("100.00"), "payout", i, 3) for i in range(3)]
    assert sum(parts) == Decimal(100) and max(parts) - min(parts) < Decimal("0.0001")
    assert {first_shard(f"{n:032x}", 4) for n in range(100)} == {0, 1, 2, 3}
    assert first_shard("abc", 1) == 0


def test_a_view_reads_exactly_the_counters_of_the_current_periods() -> None:
    from goalpost.rules.caps import counter_sort_keys

    caps = [
        Cap("day", "conversions", Decimal(10)),
        Cap("month", "payout", Decimal(50), "*"),
        Cap("lifetime", "revenue", Decimal(900)),
    ]
    admin = counter_sort_keys(caps, now=NOON, timezone="UTC", shards=1)
    assert admin == ["offer#day:2026-11-30", "offer#lifetime"]  # "*" is counted per partner
    partner = counter_sort_keys(
        caps, now=NOON, timezone="UTC", shards=2, partner_id="7", measures=("conversions", "payout")
    )
    assert partner == [
        "offer#day:2026-11-30#s0", "offer#day:2026-11-30#s1",
        "partner:7#month:2026-11#s0", "partner:7#month:2026-11#s1",
    ]  # fmt: skip
