from decimal import Decimal

from goalpost.model.offer import Condition, Goal, PayoutStructure, Rate, StructureRule
from goalpost.rules.payouts import condition_holds, resolve_payout

D = Decimal


def goal(**overrides: object) -> Goal:
    base: dict[str, object] = {
        "goal_id": "5",
        "offer_id": "1",
        "name": "Sale",
        "slug": "sale",
        "payout": Rate(flat=D("1")),
        "revenue": Rate(flat=D("2")),
    }
    base.update(overrides)
    return Goal(**base)  # type: ignore[arg-type]


def resolve(g: Goal, amount: Decimal | None = None, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "tier_id": "",
        "custom_payout": None,
        "structures": [],
        "fields": {},
        "amount": amount,
    }
    args.update(kw)
    return resolve_payout(g, **args)  # type: ignore[arg-type]


def test_flat_percent_and_both() -> None:
    assert resolve(goal()).payout == D("1")
    pct = goal(payout=Rate(percent=D("20")), revenue=Rate(percent=D("30")))
    worth = resolve(pct, D("50"))
    assert (worth.payout, worth.revenue) == (D("10.00000"), D("15.00000"))
    both = goal(payout=Rate(flat=D("1"), percent=D("10")))
    assert resolve(both, D("25")).payout == D("3.50000")


def test_percent_without_amount_is_zero_with_a_note() -> None:
    worth = resolve(goal(payout=Rate(percent=D("20"))))
    assert worth.payout == D("0")
    assert "no amount" in worth.note


def test_rounded_once_at_the_end() -> None:
    # 33.333% of 0.15 = 0.0499995 -> 0.05000 when rounded once; rounding parts first would differ.
    worth = resolve(goal(payout=Rate(flat=D("0.000004"), percent=D("33.333"))), D("0.15"))
    assert worth.payout == D("0.05000")


def test_payout_order_custom_then_structure_then_tier_then_default() -> None:
    structure = PayoutStructure(
        structure_id="1",
        name="big orders",
        rules=(
            StructureRule(
                conditions=(Condition(field="amount", operator=">=", values=("100",)),),
                payout=Rate(flat=D("7")),
                revenue=Rate(flat=D("9")),
            ),
        ),
    )
    tiered = goal(tiers_enabled=True, tier_payouts={"gold": Rate(flat=D("5"))})
    fields = {"amount": "150"}
    assert resolve(tiered, D("150"), tier_id="gold").payout == D("5")
    assert resolve(tiered, D("150"), tier_id="silver").payout == D("1")
    by_rule = resolve(tiered, D("150"), tier_id="gold", structures=[structure], fields=fields)
    assert (by_rule.payout, by_rule.revenue, by_rule.payout_source) == (D("7"), D("9"), "structure")
    custom = resolve(
        tiered,
        D("150"),
        tier_id="gold",
        structures=[structure],
        fields=fields,
        custom_payout=Rate(flat=D("8")),
    )
    assert (custom.payout, custom.payout_source) == (D("8"), "custom")


def test_tiers_switched_off_fall_back_to_default() -> None:
    g = goal(tiers_enabled=False, tier_payouts={"gold": Rate(flat=D("5"))})
    assert resolve(g, tier_id="gold").payout == D("1")


def test_private_goal_never_pays() -> None:
    g = goal(private=True, payout=Rate(flat=D("3")))
    worth = resolve(g, custom_payout=Rate(flat=D("4")))
    assert worth.payout == D("0")
    assert worth.revenue == D("2")


def test_conditions() -> None:
    f = {"adv_sub": "Premium", "amount": "50", "source": "newsletter"}
    assert condition_holds(Condition("adv_sub", "equals", ("premium",)), f)
    assert condition_holds(Condition("adv_sub", "in", ("basic", "premium")), f)
    assert condition_holds(Condition("source", "like", ("news%",)), f)
    assert not condition_holds(Condition("source", "like", ("%mail",)), f)
    assert condition_holds(Condition("amount", "between", ("10", "50")), f)
    assert not condition_holds(Condition("amount", "<", ("50",)), f)
    assert not condition_holds(Condition("aff_sub", "equals", ("x",)), f)


def test_a_structure_rule_that_sets_no_revenue_keeps_the_goals_and_one_without_payout_keeps_its_payout() -> (
    None
):
    only_payout = PayoutStructure(
        structure_id="1",
        name="payout only",
        rules=(
            StructureRule(
                conditions=(Condition("amount", ">=", ("1",)),), payout=Rate(flat=D("7")), revenue=None
            ),
        ),
    )
    worth = resolve(goal(), D("10"), structures=[only_payout], fields={"amount": "10"})
    assert (worth.payout, worth.revenue, worth.payout_source) == (D("7"), D("2"), "structure")
    only_revenue = PayoutStructure(
        structure_id="2",
        name="revenue only",
        rules=(
            StructureRule(
                conditions=(Condition("amount", ">=", ("1",)),), payout=None, revenue=Rate(flat=D("9"))
            ),
        ),
    )
    worth = resolve(goal(), D("10"), structures=[only_revenue], fields={"amount": "10"})
    assert (worth.payout, worth.revenue, worth.payout_source) == (D("1"), D("9"), "default")
