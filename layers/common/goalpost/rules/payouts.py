"""Payout and revenue resolution: the one place that decides what a conversion is worth."""

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from goalpost.model.money import round_money
from goalpost.model.offer import (
    ZERO,
    Condition,
    Goal,
    NetworkSettings,
    OfferBundle,
    Partner,
    PayoutStructure,
    Rate,
    StructureRule,
)


class Worth(NamedTuple):
    """What one conversion earns (revenue) and pays (payout), already rounded."""

    payout: Decimal
    revenue: Decimal
    payout_source: str
    """custom | structure | tier | default | private"""
    note: str = ""


def _apply(rate: Rate, amount: Decimal | None, notes: list[str], what: str) -> Decimal:
    if rate.percent == 0:
        return rate.flat
    if amount is None:
        notes.append(f"{what} is {rate.percent}% of sale but no amount was sent: percent part is 0")
        return rate.flat
    return rate.flat + amount * rate.percent / Decimal(100)


def _like(pattern: str, value: str) -> bool:
    """SQL-style LIKE: ``%`` any run, ``_`` one character, case-insensitive."""
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE | re.DOTALL) is not None


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def condition_holds(condition: Condition, fields: Mapping[str, str]) -> bool:
    """Whether one rule condition matches the conversion's fields (missing field: no match)."""
    raw = fields.get(condition.field)
    if raw is None or raw == "":
        return False
    op, values = condition.operator, condition.values
    if op == "equals":
        return raw.lower() == values[0].lower()
    if op == "in":
        return raw.lower() in {v.lower() for v in values}
    if op == "like":
        return _like(values[0], raw)
    number = _number(raw)
    bounds = [_number(v) for v in values]
    if number is None or any(b is None for b in bounds):
        return False
    first = bounds[0]
    assert first is not None
    if op == "=":
        return number == first
    if op == "<":
        return number < first
    if op == "<=":
        return number <= first
    if op == ">":
        return number > first
    if op == ">=":
        return number >= first
    if op == "between":
        second = bounds[1]
        assert second is not None
        return first <= number <= second
    return False


def matching_rule(structures: Sequence[PayoutStructure], fields: Mapping[str, str]) -> StructureRule | None:
    """The first rule, over the goal's structures in order, whose conditions all hold."""
    for structure in structures:
        for rule in structure.rules:
            if all(condition_holds(c, fields) for c in rule.conditions):
                return rule
    return None


def partner_tier(partner: Partner | None, network: NetworkSettings) -> str:
    """The partner's own tier, else the network's default tier."""
    return (partner.tier_id if partner else "") or network.default_tier_id


def custom_payout_of(goal: Goal, bundle: OfferBundle, partner_id: str) -> Rate | None:
    """The partner's custom payout on this goal; a private goal never has one."""
    return None if goal.private else bundle.custom_payouts.get((partner_id, goal.goal_id))


def _tier_rate(goal: Goal, tier_id: str, rates: Mapping[str, Rate]) -> Rate | None:
    return rates[tier_id] if goal.tiers_enabled and tier_id and tier_id in rates else None


def listed_payout(goal: Goal, *, tier_id: str, custom: Rate | None) -> Rate:
    """The payout a partner is shown before any sale: custom, else tier, else the goal's own
    (payout structures depend on each sale's fields, so they cannot be listed)."""
    if custom is not None:
        return custom
    return _tier_rate(goal, tier_id, goal.tier_payouts) or goal.payout


def resolve_payout(
    goal: Goal,
    *,
    tier_id: str,
    custom_payout: Rate | None,
    structures: Sequence[PayoutStructure],
    fields: Mapping[str, str],
    amount: Decimal | None,
) -> Worth:
    """Resolve payout and revenue for one conversion.

    Payout order: custom partner payout, payout structure rule, tier, goal default.
    Revenue order: payout structure rule, tier, goal default. A rule that sets only one of
    the two leaves the other to the tier or goal. A private goal never pays.
    Everything is computed in full precision and rounded once, here, at the end.
    """
    notes: list[str] = []
    rule = matching_rule(structures, fields) if structures else None

    revenue_rate = _tier_rate(goal, tier_id, goal.tier_revenues) or goal.revenue
    if rule is not None and rule.revenue is not None:
        revenue_rate = rule.revenue

    tier_payout = _tier_rate(goal, tier_id, goal.tier_payouts)
    if goal.private:
        payout_rate, source = Rate(), "private"
    elif custom_payout is not None:
        payout_rate, source = custom_payout, "custom"
    elif rule is not None and rule.payout is not None:
        payout_rate, source = rule.payout, "structure"
    elif tier_payout is not None:
        payout_rate, source = tier_payout, "tier"
    else:
        payout_rate, source = goal.payout, "default"

    payout = _apply(payout_rate, amount, notes, "payout") if source != "private" else ZERO
    revenue = _apply(revenue_rate, amount, notes, "revenue")
    return Worth(
        payout=round_money(payout),
        revenue=round_money(revenue),
        payout_source=source,
        note="; ".join(notes),
    )
