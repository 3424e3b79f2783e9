"""Exchange rates: one day's table of reference rates against a pivot currency.

Rates are kept as the European Central Bank publishes them: units of each currency for one
unit of the pivot (EUR). A rate between two other currencies is the cross rate of the same
day's table, so every amount converted on a day agrees with every other one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

PIVOT = "EUR"
"""The currency every stored rate is quoted against (the ECB's reference rates are per euro)."""

RATE_PLACES = Decimal("1e-10")
"""A cross rate is kept to ten decimal places: eight significant digits even for 1 JPY in BHD."""

MAX_RATE_AGE_DAYS = 7
"""A conversion uses the latest table published on or before its day, if at most this old: the
ECB publishes on TARGET business days only (no weekends, no holidays such as 24 Dec-1 Jan)."""

SOURCES = ("ecb", "admin")
"""Where a day's rate came from: the ECB's reference rates (imported) or set by an admin."""


class RateDay(NamedTuple):
    """One day's rates: units of each currency for one ``PIVOT`` unit, and where each came from."""

    day: str
    """``YYYY-MM-DD``: the day the rates are published for."""
    rates: Mapping[str, Decimal]
    sources: Mapping[str, str]
    version: int = 0

    def per_pivot(self, currency: str) -> Decimal | None:
        if currency == PIVOT:
            return Decimal(1)
        return self.rates.get(currency)

    def cross_rate(self, source: str, target: str) -> Decimal | None:
        """Units of ``target`` for one unit of ``source`` on this day; None: a rate is missing."""
        if source == target:
            return Decimal(1)
        source_rate, target_rate = self.per_pivot(source), self.per_pivot(target)
        if source_rate is None or target_rate is None:
            return None
        return (target_rate / source_rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "pivot": PIVOT,
            "rates": {code: self.rates[code] for code in sorted(self.rates)},
            "sources": {code: self.sources[code] for code in sorted(self.sources)},
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateDay:
        rates = data.get("rates") or {}
        return cls(
            day=str(data["day"]),
            rates={str(code): Decimal(str(rate)) for code, rate in rates.items()},
            sources={str(code): str(source) for code, source in (data.get("sources") or {}).items()},
            version=int(data.get("version") or 0),
        )
