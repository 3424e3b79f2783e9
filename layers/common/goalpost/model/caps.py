"""Caps and lookback windows as configured on an offer (the rules are in ``rules.caps``)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple

from goalpost.model.fields import Missing, document, load

Period = Literal["day", "month", "lifetime"]
Measure = Literal["conversions", "payout", "revenue"]
MEASURES: tuple[Measure, ...] = ("conversions", "payout", "revenue")
CapCode = Literal["offer_cap_reached", "partner_cap_reached"]
EVERY_PARTNER = "*"
"""A cap's ``partner_id`` for "each partner on this offer" (a partner's own cap wins)."""

DAY_SECONDS = 86400
COUNTER_TTL_SECONDS = {"day": 40 * DAY_SECONDS, "month": 400 * DAY_SECONDS}
"""How long a day's or month's counter outlives its period (a lifetime counter never expires)."""


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
    """"day:2026-11-25", "month:2026-11" or "lifetime", in the offer's time zone."""
    adds: Mapping[Measure, Decimal]
    room: Mapping[Measure, Decimal]
    """Per capped measure: the most the counter may hold before this conversion (limit - add)."""
    expires_at: int
    """0 for a lifetime counter."""


class Lookback(NamedTuple):
    min_session_seconds: int = 0
    max_session_seconds: int = 0
    """0: no maximum beyond the session's own lifespan."""


def refusal_code(scope: str) -> CapCode:
    """The code a conversion gets when a counter of this scope has no room for it."""
    return "offer_cap_reached" if scope == "offer" else "partner_cap_reached"
