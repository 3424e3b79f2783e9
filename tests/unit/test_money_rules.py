"""The money rules a partner is paid by, written as rules a person reads: which side of a
bound pays, how a half rounds, which rate wins. Each test names the wrong rule it catches
(`make mutate` measures that they do)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalpost.model.money import InvalidAmount, format_money, parse_amount, round_money
from goalpost.model.offer import (
    Condition,
    NetworkSettings,
    Partner,
    PayoutStructure,
    Rate,
    StructureRule,
)
from goalpost.rules.payouts import condition_holds, listed_payout, partner_tier
from tests.unit.test_payouts import goal as sale_goal
from tests.unit.test_payouts import resolve as worth

D = Decimal

amounts = st.decimals(min_value=0, max_value=10**9, places=5, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False)


def holds(operator: str, values: tuple[str, ...], amount: str) -> bool:
    return condition_holds(Condition("amount", operator, values), {"amount": amount})  # type: ignore[arg-type]


# ------------------------------------------------------------------ rounding and amounts


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [("0.000025", "0.00003"), ("0.000005", "0.00001"), ("2.000045", "2.00005"), ("0.000024999", "0.00002")],
)
def test_a_half_rounds_up_never_to_even(exact: str, rounded: str) -> None:
    assert round_money(D(exact)) == D(rounded)  # half-even would give 0.00002, 0.00000, 2.00004


@given(st.decimals(min_value=0, max_value=10**9, places=9, allow_nan=False, allow_infinity=False))
def test_rounding_is_half_up_to_five_places_for_every_amount(value: Decimal) -> None:
    scaled = value * 100000
    whole = int(scaled)
    expected = D(whole + (1 if scaled - whole >= D("0.5") else 0)) / 100000
    assert round_money(value) == expected
    assert round_money(value) == value.quantize(D("0.00001"), rounding=ROUND_HALF_UP)
    assert -round_money(value).as_tuple().exponent == 5  # type: ignore[operator]


def test_an_amount_too_large_is_refused_with_the_limit_named() -> None:
    with pytest.raises(InvalidAmount, match="must not exceed 1000000000000"):
        parse_amount("1000000000000.00001")
    with pytest.raises(InvalidAmount, match="at most 5 decimal places, got '1e3'"):
        parse_amount("1e3")


def test_money_is_shown_with_two_to_five_places_and_no_exponent() -> None:
    assert format_money(D("1.50000")) == "1.50"
    assert format_money(D("0.12345")) == "0.12345"
    assert format_money(D("100")) == "100.00"
    assert format_money(D("1E+2")) == "100.00"
    assert format_money(D("1E-5")) == "0.00001"
    assert format_money(D("10.10")) == "10.10"  # only zeros are trimmed, never other digits


# ------------------------------------------------------------------ payout structures


@pytest.mark.parametrize(
    ("operator", "bound", "pays_at_bound", "pays_below", "pays_above"),
    [
        ("=", "100", True, False, False),
        ("<", "100", False, True, False),
        ("<=", "100", True, True, False),
        (">", "100", False, False, True),
        (">=", "100", True, False, True),
    ],
)
def test_which_side_of_a_bound_pays(
    operator: str, bound: str, pays_at_bound: bool, pays_below: bool, pays_above: bool
) -> None:
    assert holds(operator, (bound,), "100") is pays_at_bound
    assert holds(operator, (bound,), "100.00") is pays_at_bound  # numbers, not text
    assert holds(operator, (bound,), "99.99999") is pays_below
    assert holds(operator, (bound,), "100.00001") is pays_above


def test_between_includes_both_bounds() -> None:
    assert holds("between", ("10", "50"), "10")
    assert holds("between", ("10", "50"), "50")
    assert not holds("between", ("10", "50"), "9.99999")
    assert not holds("between", ("10", "50"), "50.00001")


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity", "abc", "1,000"])
@pytest.mark.parametrize("operator", ["=", "<", "<=", ">", ">=", "between"])
def test_a_value_that_is_not_a_number_never_matches_a_numeric_condition(operator: str, value: str) -> None:
    values = ("0", "1000000") if operator == "between" else ("10",)
    assert holds(operator, values, value) is False


def test_a_numeric_condition_with_a_bound_that_is_not_a_number_never_matches() -> None:
    assert not holds(">", ("ten",), "50")
    assert not holds("between", ("10", "x"), "20")


def test_an_unknown_operator_never_matches() -> None:
    assert not holds("~", ("10",), "10")


def test_an_empty_field_matches_nothing_not_even_like_everything() -> None:
    assert not condition_holds(Condition("adv_sub", "like", ("%",)), {"adv_sub": ""})
    assert condition_holds(Condition("adv_sub", "like", ("%",)), {"adv_sub": "x"})


def test_like_is_case_insensitive_with_one_character_and_any_run_wildcards() -> None:
    fields = {"source": "NewsLetter\nweekly"}
    assert condition_holds(Condition("source", "like", ("newsletter%",)), fields)
    assert condition_holds(Condition("source", "like", ("n_wsletter%",)), fields)
    assert not condition_holds(Condition("source", "like", ("n_sletter%",)), fields)  # _ is exactly one
    assert not condition_holds(Condition("source", "like", ("n.wsletter%",)), {"source": "nxwsletter"})
    assert condition_holds(Condition("source", "like", ("%weekly",)), fields)  # % spans the line break


def test_equals_and_in_ignore_case_but_not_other_characters() -> None:
    fields = {"adv_sub": "Premium"}
    assert condition_holds(Condition("adv_sub", "equals", ("PREMIUM",)), fields)
    assert not condition_holds(Condition("adv_sub", "equals", ("Premium ",)), fields)
    assert condition_holds(Condition("adv_sub", "in", ("basic", "PREMIUM")), fields)
    assert not condition_holds(Condition("adv_sub", "in", ("basic", "prem")), fields)


def test_the_first_matching_rule_of_the_first_matching_structure_pays() -> None:
    big = StructureRule((Condition("amount", ">=", ("100",)),), Rate(flat=D("7")), Rate(flat=D("9")))
    any_sale = StructureRule((Condition("amount", ">", ("0",)),), Rate(flat=D("3")), None)
    first = PayoutStructure("1", "big orders", (big, any_sale))
    second = PayoutStructure("2", "everything", (StructureRule((), Rate(flat=D("99")), None),))
    assert worth(sale_goal(), D("150"), structures=[first, second], fields={"amount": "150"}).payout == D("7")
    small = worth(sale_goal(), D("50"), structures=[first, second], fields={"amount": "50"})
    assert (small.payout, small.revenue, small.payout_source) == (D("3"), D("2"), "structure")
    none = worth(sale_goal(), D("0"), structures=[first], fields={"amount": "0"})
    assert (none.payout, none.payout_source) == (D("1"), "default")


# ------------------------------------------------------------------ tiers


def test_a_partners_own_tier_wins_over_the_networks_default_tier() -> None:
    network = NetworkSettings(default_tier_id="silver")
    assert partner_tier(Partner("7", "Own", tier_id="gold"), network) == "gold"
    assert partner_tier(Partner("8", "Default"), network) == "silver"
    assert partner_tier(None, network) == "silver"
    assert partner_tier(None, NetworkSettings()) == ""


def test_each_tier_earns_its_own_revenue_and_pays_its_own_payout() -> None:
    tiered = sale_goal(
        tiers_enabled=True,
        tier_payouts={"gold": Rate(flat=D("5")), "silver": Rate(percent=D("10"))},
        tier_revenues={"gold": Rate(flat=D("8")), "silver": Rate(percent=D("20"))},
    )
    gold = worth(tiered, D("50"), tier_id="gold")
    assert (gold.payout, gold.revenue, gold.payout_source) == (D("5"), D("8"), "tier")
    silver = worth(tiered, D("50"), tier_id="silver")
    assert (silver.payout, silver.revenue, silver.payout_source) == (D("5"), D("10"), "tier")
    other = worth(tiered, D("50"), tier_id="bronze")
    assert (other.payout, other.revenue, other.payout_source) == (D("1"), D("2"), "default")
    switched_off = worth(tiered._replace(tiers_enabled=False), D("50"), tier_id="gold")
    assert (switched_off.payout, switched_off.revenue) == (D("1"), D("2"))


def test_the_listed_payout_is_custom_then_tier_then_the_goals() -> None:
    tiered = sale_goal(tiers_enabled=True, tier_payouts={"gold": Rate(flat=D("5"))})
    assert listed_payout(tiered, tier_id="gold", custom=Rate(flat=D("6"))) == Rate(flat=D("6"))
    assert listed_payout(tiered, tier_id="gold", custom=None) == Rate(flat=D("5"))
    assert listed_payout(tiered, tier_id="", custom=None) == Rate(flat=D("1"))


# ------------------------------------------------------------------ rates and private goals


def test_a_private_goal_pays_nothing_says_so_and_still_earns_revenue() -> None:
    private = sale_goal(private=True, payout=Rate(percent=D("10")), revenue=Rate(percent=D("30")))
    result = worth(private, D("100"), tier_id="gold", custom_payout=Rate(flat=D("4")))
    assert (result.payout, result.revenue, result.payout_source) == (D("0"), D("30"), "private")
    assert result.note == ""  # no payout was computed, so nothing to explain about it


def test_a_percent_with_no_amount_is_explained_for_payout_and_revenue() -> None:
    both = worth(sale_goal(payout=Rate(percent=D("10")), revenue=Rate(flat=D("1"), percent=D("5"))))
    assert (both.payout, both.revenue) == (D("0"), D("1"))
    assert both.note == (
        "payout is 10% of sale but no amount was sent: percent part is 0; "
        "revenue is 5% of sale but no amount was sent: percent part is 0"
    )


def test_a_flat_rate_ignores_the_sale_amount() -> None:
    assert worth(sale_goal(payout=Rate(flat=D("1"), percent=D("0"))), D("1000")).payout == D("1")
    assert worth(sale_goal(payout=Rate(flat=D("1"), percent=D("1"))), D("1000")).payout == D("11")


@given(amounts, percents)
def test_a_percentage_payout_never_exceeds_the_sale(amount: Decimal, percent: Decimal) -> None:
    result = worth(sale_goal(payout=Rate(percent=percent), revenue=Rate(percent=percent)), amount)
    assert D(0) <= result.payout <= round_money(amount)
    assert result.payout == round_money(amount * percent / 100)
    assert result.payout_source == "default"


def test_a_partners_custom_payout_is_found_by_partner_and_goal_and_never_on_a_private_goal() -> None:
    from goalpost.model.offer import Offer, OfferBundle
    from goalpost.rules.payouts import custom_payout_of

    goal = sale_goal()
    offer = Offer(offer_id="1", name="O", advertiser_id="3", offer_url="https://x", default_goal=goal)
    bundle = OfferBundle(offer=offer, goals={}, custom_payouts={("7", "5"): Rate(flat=D("9"))})
    assert custom_payout_of(goal, bundle, "7") == Rate(flat=D("9"))
    assert custom_payout_of(goal, bundle, "8") is None
    assert custom_payout_of(goal._replace(goal_id="6"), bundle, "7") is None
    assert custom_payout_of(goal._replace(private=True), bundle, "7") is None
