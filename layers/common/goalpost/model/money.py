"""Money: Decimal end to end, parsed strictly, rounded once at the end."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

MONEY_PLACES = Decimal("0.00001")
"""Five decimal places, as TUNE stores payouts and revenues."""

MAX_AMOUNT = Decimal("1000000000000")

# Plain digits with an optional fraction of at most five places: no sign, no exponent,
# no NaN/Infinity, no thousands separators. Anything else is the sender's mistake.
_AMOUNT = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,5})?")
PLAIN_AMOUNT = _AMOUNT
"""The one rule for amounts written as text, in tracking links and the admin API alike."""


class InvalidAmount(ValueError):
    """An amount that is not a plain, non-negative decimal with at most five places."""


def parse_amount(raw: str) -> Decimal:
    """Parse a sale amount as sent in a query string (``amount=19.99``)."""
    if not _AMOUNT.fullmatch(raw):
        raise InvalidAmount(
            f"amount must be a non-negative decimal with at most 5 decimal places, got {raw[:40]!r}"
        )
    value = Decimal(raw)
    if value > MAX_AMOUNT:
        raise InvalidAmount(f"amount must not exceed {MAX_AMOUNT}")
    return value


def round_money(value: Decimal) -> Decimal:
    """The single rounding step: half-up to five places."""
    return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    """Render without exponent and without trailing zeros beyond two places (``1.50``, ``0.12345``)."""
    text = format(value, "f")
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        frac = frac.ljust(2, "0")
        return f"{whole}.{frac}"
    return f"{text}.00"
