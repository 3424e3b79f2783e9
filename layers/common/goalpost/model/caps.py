"""Caps and lookback windows as configured on an offer (the rules are in ``rules.caps``)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple, get_args

from goalpost.model.fields import Missing, document, load

Period = Literal["day", "week", "month", "lifetime"]
"""Days, ISO weeks (from Monday) and months of the offer's time zone, or the offer's lifetime."""
Measure = Literal["conversions", "payout", "revenue", "clicks"]
MEASURES: tuple[Measure, ...] = ("conversions", "payout", "revenue", "clicks")
CONVERSION_MEASURES: tuple[Measure, ...] = ("conversions", "payout", "revenue")
"""What a conversion adds to; ``clicks`` caps count the tracking link's clicks (a click over
one goes to the offer's fallback: ``click_cap``), in counters of their own."""
CapCode = Literal["offer_cap_reached", "partner_cap_reached"]
CAP_CODES: frozenset[str] = frozenset(get_args(CapCode))
"""The codes of a conversion over a cap (refused, or kept pending for an admin)."""
EVERY_PARTNER = "*"
"""A cap's ``partner_id`` for "each partner on this offer" (a partner's own cap wins)."""

DAY_SECONDS = 86400
COUNTER_TTL_SECONDS = {"day": 40 * DAY_SECONDS, "week": 60 * DAY_SECONDS, "month": 400 * DAY_SECONDS}
"""How long a day's, week's or month's counter outlives its period (a lifetime counter never expires)."""


class Cap(NamedTuple):
    """One limit: ``partner_id`` "" for the offer as a whole, "*" for each partner, or one partner."""

    period: Period
    measure: Annotated[Measure, Missing("conversions")]
    limit: Decimal
    partner_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Cap":
        return load(cls, data)


class Counter(NamedTuple):
    """One counter item a conversion adds to, and the room each capped measure must have left."""

    scope: str
    """"offer" or "partner:<id>": whose conversions it counts."""
    period_key: str
    """"day:2026-11-25", "week:2026-W48", "month:2026-11" or "lifetime", in the offer's time zone."""
    adds: Mapping[Measure, Decimal]
    room: Mapping[Measure, Decimal]
    """Per capped measure: the most the counter may hold before this conversion (limit - add)."""
    expires_at: int
    """0 for a lifetime counter."""


class ClickCounter(NamedTuple):
    """One counter item a click adds 1 to, on condition it holds fewer than ``limit``."""

    sort_key: str
    """``<scope>#<period key>#clicks`` (beside the conversion counters, never the same item)."""
    limit: int
    expires_at: int
    """0 for a lifetime counter."""
    cap: Cap


def has_click_caps(caps: "tuple[Cap, ...] | list[Cap]") -> bool:
    """Whether a click on this offer counts anywhere: else the click path writes nothing more
    and imports nothing more (this module is already the offer's)."""
    return any(cap.measure == "clicks" and cap.limit > 0 for cap in caps)


class Lookback(NamedTuple):
    min_session_seconds: int = 0
    max_session_seconds: int = 0
    """0: no maximum beyond the session's own lifespan."""


def refusal_code(scope: str) -> CapCode:
    """The code a conversion gets when a counter of this scope has no room for it."""
    return "offer_cap_reached" if scope == "offer" else "partner_cap_reached"
