"""Converting money between currencies: which day's rate, and the one rounding step.

An amount stays exact in the currency it was earned in; a converted amount is rounded once,
half-up, to the target currency's minor unit, and carries the rate and the rate's day so a
later change of rates never changes what was recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from goalpost.model.conversion import Conversion
from goalpost.model.currency import round_to_minor
from goalpost.model.exchange import MAX_RATE_AGE_DAYS, RateDay
from goalpost.rules.payouts import Worth


class Converted(NamedTuple):
    """An amount in ``currency``, and how it got there from the amount it was converted from."""

    amount: Decimal
    currency: str
    rate: Decimal
    """Units of ``currency`` for one unit of the source currency (1 when nothing was converted)."""
    rate_day: str
    """The day of the rates used ("" when nothing was converted)."""


class NoRate(NamedTuple):
    """Why an amount could not be converted: the sender can act on it (or the admin loads rates)."""

    source: str
    target: str
    day: str

    @property
    def reason(self) -> str:
        return (
            f"no exchange rate from {self.source} to {self.target} for {self.day} "
            f"(rates must be loaded for a day at most {MAX_RATE_AGE_DAYS} days before it)"
        )


def usable(rates: RateDay | None, day: str) -> RateDay | None:
    """The table a conversion on ``day`` may use: published on or before it, at most
    ``MAX_RATE_AGE_DAYS`` earlier (an older table is a failed import, not a holiday)."""
    if rates is None or rates.day > day:
        return None
    oldest = (date.fromisoformat(day) - timedelta(days=MAX_RATE_AGE_DAYS)).isoformat()
    return rates if rates.day >= oldest else None


def convert(amount: Decimal, source: str, target: str, rates: RateDay | None, day: str) -> Converted | NoRate:
    """``amount`` of ``source`` in ``target``, at the rate of ``rates`` (the table for ``day``)."""
    if source == target:
        return Converted(amount, target, Decimal(1), "")
    table = usable(rates, day)
    rate = table.cross_rate(source, target) if table is not None else None
    if table is None or rate is None:
        return NoRate(source, target, day)
    return Converted(at_rate(amount, rate, target), target, rate, table.day)


def recorded_sale(
    sale: Decimal, sale_rate: Decimal | None, currency: str, rate: Decimal | None, target: str
) -> tuple[Decimal, Decimal]:
    """A recorded sale as the payout rules saw it (in the offer's ``currency``, at its
    ``sale_rate``), and that in ``target`` at a recorded ``rate`` (the base's, the partner's)."""
    offer_sale = at_rate(sale, sale_rate, currency)
    return offer_sale, at_rate(offer_sale, rate, target)


def at_rate(amount: Decimal, rate: Decimal | None, target: str) -> Decimal:
    """``amount`` converted into ``target`` at a rate already chosen (a recorded one): the
    one rounding step of every conversion between currencies. No rate, or 1: unchanged."""
    if rate is None or rate == 1:
        return amount
    return round_to_minor(amount * rate, target)


def merged(existing: RateDay | None, incoming: RateDay) -> RateDay | None:
    """``existing`` with ``incoming``'s rates laid over it; None when nothing changes.

    An admin's rate is a decision: an import of the ECB's rates never replaces it (the
    admin changes or removes it). An admin's new rate replaces any earlier one.
    """
    if existing is None:
        return incoming._replace(version=0)
    rates, sources = dict(existing.rates), dict(existing.sources)
    for code, rate in incoming.rates.items():
        source = incoming.sources[code]
        if source != "admin" and sources.get(code) == "admin":
            continue
        rates[code], sources[code] = rate, source
    if rates == dict(existing.rates) and sources == dict(existing.sources):
        return None
    return existing._replace(rates=rates, sources=sources)


class Currencies(NamedTuple):
    """The currencies one conversion touches: what the sale was sent in, what the offer is
    priced in (revenue, and the payout as configured), what the partner is paid in, and the
    network's base currency (reports)."""

    sale: str
    offer: str
    partner: str
    base: str

    @property
    def needs_rates(self) -> bool:
        """Whether any amount changes currency: only then are rates read at all."""
        return not (self.sale == self.offer == self.partner == self.base)


class Priced(NamedTuple):
    """A conversion's money in every currency it is reported in, each with its rate."""

    partner_payout: Converted | None
    base_payout: Converted | None
    base_revenue: Converted | None

    @property
    def rate_day(self) -> str:
        days = {c.rate_day for c in self if c is not None and c.rate_day}
        return days.pop() if days else ""


def sale_in_offer_currency(
    amount: Decimal | None, currencies: Currencies, rates: RateDay | None, day: str
) -> Converted | NoRate | None:
    """The sale amount as the payout rules see it: in the offer's currency (a percent of a
    EUR sale on a USD offer is a percent of its USD value). None: no amount was sent."""
    if amount is None:
        return None
    return convert(amount, currencies.sale, currencies.offer, rates, day)


def priced(
    payout: Decimal | None,
    revenue: Decimal | None,
    currencies: Currencies,
    rates: RateDay | None,
    day: str,
) -> Priced | NoRate:
    """The payout in the partner's currency and both amounts in the base currency, each
    converted once from the offer's currency (never from an already converted amount)."""
    results: list[Converted | None] = []
    for amount, target in (
        (payout, currencies.partner),
        (payout, currencies.base),
        (revenue, currencies.base),
    ):
        if amount is None:
            results.append(None)
            continue
        converted = convert(amount, currencies.offer, target, rates, day)
        if isinstance(converted, NoRate):
            return converted
        results.append(converted)
    return Priced(*results)


def exchanged(
    amount: Decimal | None,
    currencies: Currencies,
    rates: RateDay | None,
    day: str,
    worth_of: Callable[[Decimal | None], Worth],
) -> tuple[Converted | None, Worth, Priced] | NoRate:
    """A conversion across currencies: the sale into the offer's currency, what the payout
    rules make of it (``worth_of``), then payout and revenue into the partner's and the base."""
    sale = sale_in_offer_currency(amount, currencies, rates, day)
    if isinstance(sale, NoRate):
        return sale
    worth = worth_of(sale.amount if sale is not None else None)
    money = priced(worth.payout, worth.revenue, currencies, rates, day)
    if isinstance(money, NoRate):
        return money
    return sale, worth, money


def recorded_fields(money: Priced) -> dict[str, Any]:
    """What a conversion stores of its other currencies: only the legs that changed currency
    (a conversion in one currency stores nothing more: its amounts are its partner's and base's)."""
    fields: dict[str, Any] = {}
    partner, base_payout, base_revenue = money
    if partner is not None and partner.rate_day:
        fields.update(
            partner_currency=partner.currency, partner_payout=partner.amount, partner_rate=partner.rate
        )
    for name, base in (("base_payout", base_payout), ("base_revenue", base_revenue)):
        if base is not None and base.rate_day:
            fields.update(base_currency=base.currency, base_rate=base.rate)
            fields[name] = base.amount
    if fields:
        fields["rate_day"] = money.rate_day
    return fields


def repriced(
    conversion: Conversion, payout: Decimal | None, revenue: Decimal | None, rates: RateDay | None, day: str
) -> dict[str, Any] | NoRate:
    """What an adjustment of payout or revenue writes beside them: the partner's and the base
    amounts again, at the rates of the adjustment's own day (the record keeps the ones before)."""
    currencies = Currencies(
        sale=conversion.currency,
        offer=conversion.currency,
        partner=conversion.partner_currency or conversion.currency,
        base=conversion.base_currency or conversion.currency,
    )
    if not currencies.needs_rates:
        return {}
    money = priced(payout, revenue, currencies, rates, day)
    if isinstance(money, NoRate):
        return money
    return recorded_fields(money)
