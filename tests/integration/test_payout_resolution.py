"""Payout order on real postbacks: custom partner payout, payout structure rule, tier, default."""

from decimal import Decimal

from tests.helpers import admin, click, conversions, postback, setup_network


def sale_postback(tid: str, extra: str = "") -> dict:  # type: ignore[type-arg]
    return postback(f"a=lsr&goal_name=sale&transaction_id={tid}{extra}", path="/aff_goal")


def payouts_by_order(offer_id: str) -> dict[str, Decimal]:
    return {c["adv_subs"]["adv_sub"]: Decimal(c["payout"]) for c in conversions(offer_id)}


def test_payout_order_custom_structure_tier_default(aws) -> None:
    status, structure = admin(
        "POST",
        "/admin/payout-structures",
        {
            "name": "Big baskets",
            "rules": [
                {
                    "conditions": [{"field": "amount", "operator": ">=", "values": ["100"]}],
                    "payout": {"flat": "7"},
                    "revenue": {"flat": "12"},
                },
                {
                    "conditions": [{"field": "adv_sub2", "operator": "in", "values": ["vip", "gold"]}],
                    "payout": {"percent": "50"},
                },
            ],
        },
    )
    assert status == 201, structure
    status, gold = admin("POST", "/admin/tiers", {"name": "Gold", "level": 2})
    assert status == 201, gold
    net = setup_network(
        offer={"goals_enabled": True},
        partner={"tier_id": gold["tier_id"]},
        goals=[
            {
                "name": "Sale",
                "payout": {"flat": "1"},
                "revenue": {"flat": "2"},
                "tiers_enabled": True,
                "tier_payouts": {gold["tier_id"]: {"flat": "3"}},
                "payout_structure_ids": [structure["structure_id"]],
            }
        ],
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    assert sale_postback(click(offer_id, partner_id), "&amount=10&adv_sub=tier")["statusCode"] == 200
    sale_postback(click(offer_id, partner_id), "&amount=150&adv_sub=rule1")
    sale_postback(click(offer_id, partner_id), "&amount=10&adv_sub=rule2&adv_sub2=VIP")

    goal_id = net["goals"][0]["goal_id"]
    status, custom = admin(
        "PUT",
        f"/admin/offers/{offer_id}/partner-payouts/{partner_id}/{goal_id}",
        {"payout": {"flat": "9"}},
        if_match='"0"',
    )
    assert status == 200, custom
    sale_postback(click(offer_id, partner_id), "&amount=150&adv_sub=custom")

    assert payouts_by_order(offer_id) == {
        "tier": Decimal("3"),
        "rule1": Decimal("7"),
        "rule2": Decimal("5"),
        "custom": Decimal("9"),
    }
    revenue = {c["adv_subs"]["adv_sub"]: Decimal(c["revenue"]) for c in conversions(offer_id)}
    assert (
        revenue["rule1"] == Decimal("12")
        and revenue["custom"] == Decimal("12")
        and revenue["tier"] == Decimal("2")
    )


def test_custom_payout_is_not_retroactive(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "1"}}])
    offer_id, partner_id, goal_id = (
        net["offer"]["offer_id"],
        net["partner"]["partner_id"],
        net["goals"][0]["goal_id"],
    )
    sale_postback(click(offer_id, partner_id), "&adv_sub=before")
    admin(
        "PUT",
        f"/admin/offers/{offer_id}/partner-payouts/{partner_id}/{goal_id}",
        {"payout": {"flat": "4"}},
        if_match='"0"',
    )
    sale_postback(click(offer_id, partner_id), "&adv_sub=after")
    assert payouts_by_order(offer_id) == {"before": Decimal("1"), "after": Decimal("4")}


def test_private_goal_refuses_custom_payouts(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True}, goals=[{"name": "Internal", "private": True, "revenue": {"flat": "1"}}]
    )
    offer_id, partner_id, goal_id = (
        net["offer"]["offer_id"],
        net["partner"]["partner_id"],
        net["goals"][0]["goal_id"],
    )
    status, body = admin(
        "PUT",
        f"/admin/offers/{offer_id}/partner-payouts/{partner_id}/{goal_id}",
        {"payout": {"flat": "4"}},
        if_match='"0"',
    )
    assert status == 409 and body["error"]["code"] == "private_goal"
    assert admin("GET", f"/admin/offers/{offer_id}/partner-payouts")[1]["items"] == []


def test_payout_structure_validation(aws) -> None:
    bad_rules = [
        [{"field": "amount", "operator": "like", "values": ["1%"]}],
        [{"field": "adv_sub", "operator": ">", "values": ["5"]}],
        [{"field": "amount", "operator": "between", "values": ["5"]}],
        [{"field": "amount", "operator": "between", "values": ["9", "5"]}],
        [{"field": "amount", "operator": ">", "values": ["abc"]}],
        [{"field": "amount", "operator": ">", "values": ["NaN"]}],
        [{"field": "bogus", "operator": "equals", "values": ["x"]}],
        [],
    ]
    for conditions in bad_rules:
        status, body = admin(
            "POST", "/admin/payout-structures", {"name": "x", "rules": [{"conditions": conditions}]}
        )
        assert status == 422, (conditions, body)
        assert body["error"]["code"] == "validation_error" and body["error"]["details"]
    assert admin("GET", "/admin/payout-structures")[1]["items"] == []


def test_goal_cannot_apply_a_missing_structure(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    status, body = admin(
        "POST",
        f"/admin/offers/{net['offer']['offer_id']}/goals",
        {"name": "S", "payout_structure_ids": ["77"]},
    )
    assert status == 422 and body["error"]["code"] == "unknown_payout_structure"


def test_a_payout_structure_is_edited_and_reordered_with_its_version(aws) -> None:
    """Structures could be created but never changed: a wrong rule, or rules in the wrong order
    (the first that holds wins), meant a new structure and editing every goal using it."""
    big = {"conditions": [{"field": "amount", "operator": ">=", "values": ["100"]}], "payout": {"flat": "7"}}
    vip = {
        "conditions": [{"field": "adv_sub2", "operator": "equals", "values": ["vip"]}],
        "payout": {"flat": "4"},
    }
    status, structure = admin("POST", "/admin/payout-structures", {"name": "Baskets", "rules": [big, vip]})
    assert status == 201, structure
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[
            {"name": "Sale", "payout": {"flat": "1"}, "payout_structure_ids": [structure["structure_id"]]}
        ],
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    sale_postback(click(offer_id, partner_id), "&amount=150&adv_sub=before&adv_sub2=vip")

    path = f"/admin/payout-structures/{structure['structure_id']}"
    status, saved = admin(
        "PUT", path, {"name": "VIP first", "rules": [vip, big]}, if_match=f'"{structure["version"]}"'
    )
    assert status == 200, saved
    assert saved["name"] == "VIP first" and [r["payout"]["flat"] for r in saved["rules"]] == ["4", "7"]
    status, stale = admin("PUT", path, {"name": "Lost", "rules": [big]}, if_match=f'"{structure["version"]}"')
    assert status == 412, stale
    status, bad = admin("PUT", path, {"name": "Empty", "rules": []}, if_match=f'"{saved["version"]}"')
    assert status == 422, bad
    assert admin("GET", path)[1]["name"] == "VIP first"  # neither the stale nor the bad one stored

    from goalpost.store import config_cache

    config_cache.clear()  # a Lambda's configuration cache lives minutes; a new one reads the new rules
    sale_postback(click(offer_id, partner_id), "&amount=150&adv_sub=after&adv_sub2=vip")
    assert payouts_by_order(offer_id) == {"before": Decimal("7"), "after": Decimal("4")}
    status, trail = admin("GET", f"/admin/audit/structure/{structure['structure_id']}")
    assert status == 200 and trail["items"][0]["action"] == "update", trail
