"""Conversion caps and lookback windows: which limits a conversion meets, as pure rules.

Caps (TUNE's "conversion caps", Everflow's and CAKE's alike) limit an offer's conversions, or
each partner's on it, per day, per week, per month or for its lifetime, counting conversions,
payout or revenue; 0 is no cap. Days, weeks and months are the offer's time zone's. A cap on
``clicks`` (TUNE's and Everflow's click caps) counts the tracking link's clicks the same way:
``click_counters`` names the items, one conditional ADD each (``store.counter_store.count_click``).
The counting itself is the store's: one counter item per scope and period, updated in the
conversion's own transaction under a condition that leaves room for this conversion, so no
concurrency can over-count
(see ``store.conversion_store.insert_conversion`` and README, Caps).

Lookback windows (Everflow's and Affise's "min/max conversion time"): a conversion counts only
when its session is at least ``min_session_seconds`` and at most ``max_session_seconds`` old;
the offer sets them, a goal may override them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from goalpost.model.caps import (
    CONVERSION_MEASURES,
    COUNTER_TTL_SECONDS,
    EVERY_PARTNER,
    MEASURES,
    Cap,
    CapCode,
    ClickCounter,
    Counter,
    Lookback,
    Measure,
    Period,
    refusal_code,
)


def _scope(cap: Cap, partner_id: str) -> str:
    """The counter a cap counts in: the offer's, or (for "*" and a partner's own) the partner's."""
    return "offer" if cap.partner_id == "" else f"partner:{partner_id}"


def period_key(period: Period, now: int, timezone: str) -> str:
    if period == "lifetime":
        return "lifetime"
    from zoneinfo import ZoneInfo  # only offers with day or month caps need it

    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(timezone))
    if period == "week":
        return f"week:{local:%G-W%V}"  # the ISO week: Monday to Sunday, numbered in its own year
    return f"day:{local:%Y-%m-%d}" if period == "day" else f"month:{local:%Y-%m}"


def _expires(period: Period, now: int) -> int:
    return now + COUNTER_TTL_SECONDS[period] if period in COUNTER_TTL_SECONDS else 0


CLICKS_SUFFIX = "#clicks"
"""A click counter's sort key ends so: never the item a conversion's transaction updates (a click
must not contend with a conversion for one item), summed beside it by ``cap_status``."""


def caps_for(caps: Iterable[Cap], partner_id: str) -> list[Cap]:
    """The caps that bind this partner's conversions: the offer's, and the partner's own
    (or, where the partner has none for a period and measure, the each-partner cap)."""
    caps = [c for c in caps if c.limit > 0]
    own = {(c.period, c.measure) for c in caps if c.partner_id == partner_id and partner_id}
    return [
        c
        for c in caps
        if c.partner_id == ""
        or (c.partner_id == partner_id and partner_id)
        or (c.partner_id == EVERY_PARTNER and (c.period, c.measure) not in own)
    ]


MAX_SHARDS = 16
"""At most this many counter items per cap and period (``cap_shards``)."""


def shard_limit(limit: Decimal, measure: Measure, shard: int, shards: int) -> Decimal:
    """A shard's part of a cap; the parts add up to the cap exactly (whole conversions stay whole)."""
    if shards == 1:
        return limit
    if measure == "conversions":
        whole = int(limit)
        return Decimal(whole // shards + (1 if shard < whole % shards else 0))
    part = (limit / shards).quantize(Decimal("0.00001"), rounding="ROUND_DOWN")
    return part if shard < shards - 1 else limit - part * (shards - 1)


def first_shard(transaction_id: str, shards: int) -> int:
    """Where a conversion starts probing: spread evenly, the same on every retry."""
    return zlib.crc32(transaction_id.encode()) % shards if shards > 1 else 0


def counters(
    caps: Iterable[Cap],
    *,
    partner_id: str,
    payout: Decimal,
    revenue: Decimal,
    now: int,
    timezone: str,
    shard: int = 0,
    shards: int = 1,
) -> list[Counter] | CapCode:
    """The counters a conversion adds to (in one shard of each); a refusal code when it alone
    exceeds a cap (or, sharded, the shard's part of it)."""
    adds: dict[Measure, Decimal] = {"conversions": Decimal(1), "payout": payout, "revenue": revenue}
    grouped: dict[tuple[str, str, Period], dict[Measure, Decimal]] = {}
    suffix = f"#s{shard}" if shards > 1 else ""
    for cap in caps_for(caps, partner_id):
        if cap.measure not in CONVERSION_MEASURES:
            continue  # click caps count clicks (click_counters)
        scope = _scope(cap, partner_id)
        room = grouped.setdefault((scope, period_key(cap.period, now, timezone) + suffix, cap.period), {})
        left = shard_limit(cap.limit, cap.measure, shard, shards) - adds[cap.measure]
        if left < 0:
            return refusal_code(scope)
        room[cap.measure] = min(left, room.get(cap.measure, left))
    return [
        Counter(
            scope=scope,
            period_key=key,
            adds=adds,
            room=room,
            expires_at=_expires(period, now),
        )
        for (scope, key, period), room in grouped.items()
    ]


def click_counters(caps: Iterable[Cap], *, partner_id: str, now: int, timezone: str) -> list[ClickCounter]:
    """The click counters a click of this partner adds 1 to (the click caps binding it, as
    ``caps_for`` chooses conversion caps), each with its limit; one item per scope and period,
    never sharded (one item takes ~1,000 writes a second: README, Click caps)."""
    found: dict[str, ClickCounter] = {}
    for cap in caps_for(caps, partner_id):
        if cap.measure != "clicks":
            continue
        key = f"{_scope(cap, partner_id)}#{period_key(cap.period, now, timezone)}{CLICKS_SUFFIX}"
        counter = ClickCounter(key, int(cap.limit), _expires(cap.period, now), cap)
        if key not in found or counter.limit < found[key].limit:
            found[key] = counter
    return sorted(found.values(), key=lambda counter: counter.sort_key)


def lookback_refusal(window: Lookback, session_created_at: float, now: float) -> tuple[str, str] | None:
    """(code, reason) when the session is too young or too old to convert; None when in window.

    The age is measured at the clock's precision (the session keeps its click to the
    millisecond): 9.6 s is too soon for a 10 s minimum, 3600.4 s too late for a 3600 s maximum.
    """
    age = now - session_created_at
    if window.min_session_seconds and age < window.min_session_seconds:
        return (
            "lookback_too_soon",
            f"conversion {age:.3f} s after the click; this goal counts conversions from "
            f"{window.min_session_seconds} s after it",
        )
    if window.max_session_seconds and age > window.max_session_seconds:
        return (
            "lookback_expired",
            f"conversion {age:.3f} s after the click; this goal counts conversions up to "
            f"{window.max_session_seconds} s after it",
        )
    return None


def _shown(
    caps: Iterable[Cap], partner_id: str | None, measures: tuple[Measure, ...]
) -> list[tuple[Cap, str | None]]:
    """The caps a view lists, each with the counter scope it reads (None: counted per partner)."""
    chosen = caps_for(caps, partner_id) if partner_id is not None else [c for c in caps if c.limit > 0]
    shown: list[tuple[Cap, str | None]] = []
    for cap in chosen:
        if cap.measure not in measures:
            continue
        if cap.partner_id == EVERY_PARTNER and partner_id is None:
            shown.append((cap, None))
        else:
            shown.append((cap, _scope(cap, partner_id or cap.partner_id)))
    return shown


def counter_sort_keys(
    caps: Iterable[Cap],
    *,
    now: int,
    timezone: str,
    shards: int,
    partner_id: str | None = None,
    measures: tuple[Measure, ...] = MEASURES,
) -> list[str]:
    """The counter items (sort keys, every shard) a view of the current periods reads."""
    keys: set[str] = set()
    for cap, scope in _shown(caps, partner_id, measures):
        if scope is not None:
            base = f"{scope}#{period_key(cap.period, now, timezone)}"
            if cap.measure == "clicks":
                keys.add(base + CLICKS_SUFFIX)
            else:
                keys.update([base] if shards == 1 else [f"{base}#s{shard}" for shard in range(shards)])
    return sorted(keys)


def cap_status(
    caps: Iterable[Cap],
    usage: Iterable[Mapping[str, object]],
    *,
    now: int,
    timezone: str,
    partner_id: str | None = None,
    measures: tuple[Measure, ...] = MEASURES,
) -> list[dict[str, object]]:
    """Each cap with what its current period has counted and what is left.

    ``usage``: the counter items named by ``counter_sort_keys`` (shards are summed).
    ``partner_id``: only the caps binding that partner (the partner's own view), else every cap
    (the admin's view, where an each-partner cap is listed once, without a count).
    """
    counted: dict[tuple[str, str], dict[str, Decimal]] = {}
    for item in usage:
        scope, _, rest = str(item.get("sk", "")).partition("#")
        key = rest.split("#", 1)[0]  # less the shard (#s<n>) or the click counter's #clicks
        totals = counted.setdefault((scope, key), {})
        for measure in MEASURES:
            totals[measure] = totals.get(measure, Decimal(0)) + Decimal(str(item.get(measure, 0) or 0))
    out: list[dict[str, object]] = []
    for cap, counter_scope in _shown(caps, partner_id, measures):
        key = period_key(cap.period, now, timezone)
        row: dict[str, object] = {**cap.to_dict(), "period_key": key}
        if counter_scope is None:
            out.append(row)  # counted per partner: see each partner's own view
            continue
        used = counted.get((counter_scope, key), {}).get(cap.measure, Decimal(0))
        out.append({**row, "used": used, "remaining": max(cap.limit - used, Decimal(0))})
    return out
