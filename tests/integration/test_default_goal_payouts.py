"""Tiers and payout structures on the default goal (offer-goals.txt: "Tiered payouts/revenues can
also be used on the default goal by selecting Edit on the default goal"), through the offer's
PATCH and the goal's own, and paid by them on real postbacks."""

from decimal import Decimal
from typing import Any

from tests.helpers import admin, click, conversions, postback, setup_network


def _structure() -> str:
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
                }
            ],
        },
    )
    assert status == 201, structure
    return str(structure["structure_id"])


def _paid(offer_id: str) -> dict[str, tuple[Decimal, Decimal, str]]:
    return {
        c["adv_subs"]["adv_sub"]: (Decimal(c["payout"]), Decimal(c["revenue"]), c["payout_source"])
        for c in conversions(offer_id)
    }


def _convert(offer_id: str, partner_id: str, order: str, amount: str) -> None:
    tid = click(offer_id, partner_id)
    answer = postback(f"transaction_id={tid}&amount={amount}&adv_sub={order}")
    assert answer["statusCode"] == 200, answer


def _tiered_network() -> tuple[dict[str, Any], str, str]:
    status, gold = admin("POST", "/admin/tiers", {"name": "Gold", "level": 2})
    assert status == 201, gold
    net = setup_network(partner={"tier_id": gold["tier_id"]})
    return net, str(gold["tier_id"]), _structure()


def test_offer_patch_gives_the_default_goal_tiers_and_structures_and_postbacks_pay_by_them(aws) -> None:
    net, gold, structure = _tiered_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    _convert(offer_id, partner_id, "before", "150")  # the goal's own 2.50 / 4

    change = {
        "tiers_enabled": True,
        "tier_payouts": {gold: {"flat": "3"}},
        "tier_revenues": {gold: {"flat": "5"}},
        "payout_structure_ids": [structure],
    }
    status, offer = admin("PATCH", f"/admin/offers/{offer_id}", {"default_goal": change}, if_match='"1"')
    assert status == 200, offer
    goal = offer["default_goal"]
    assert goal["tiers_enabled"] is True and goal["payout_structure_ids"] == [structure]
    assert Decimal(goal["tier_payouts"][gold]["flat"]) == 3 and goal["name"] == "Conversion"
    assert Decimal(goal["payout"]["flat"]) == Decimal("2.50")  # the rest stays as it was

    _convert(offer_id, partner_id, "tier", "10")
    _convert(offer_id, partner_id, "rule", "150")
    assert _paid(offer_id) == {
        "before": (Decimal("2.50"), Decimal("4"), "default"),
        "tier": (Decimal("3"), Decimal("5"), "tier"),
        "rule": (Decimal("7"), Decimal("12"), "structure"),
    }


def test_an_offer_created_with_a_tiered_default_goal_pays_the_tier(aws) -> None:
    status, gold = admin("POST", "/admin/tiers", {"name": "Gold", "level": 2})
    assert status == 201, gold
    net = setup_network(
        partner={"tier_id": gold["tier_id"]},
        offer={
            "default_goal": {
                "payout": {"flat": "1"},
                "tiers_enabled": True,
                "tier_payouts": {gold["tier_id"]: {"flat": "4"}},
            }
        },
    )
    _convert(net["offer"]["offer_id"], net["partner"]["partner_id"], "o1", "10")
    assert _paid(net["offer"]["offer_id"])["o1"][0] == Decimal("4")


def test_the_default_goal_is_edited_through_its_goal_route(aws) -> None:
    net, gold, structure = _tiered_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    status, goal = admin("GET", f"/admin/offers/{offer_id}/goals/0")
    assert status == 200 and goal["version"] == net["offer"]["version"]  # it lives on the offer

    change = {
        "tiers_enabled": True,
        "tier_payouts": {gold: {"flat": "6"}},
        "payout_structure_ids": [structure],
    }
    status, goal = admin(
        "PATCH", f"/admin/offers/{offer_id}/goals/0", change, if_match=f'"{goal["version"]}"'
    )
    assert status == 200, goal
    assert goal["goal_id"] == "0" and goal["tiers_enabled"] is True and goal["version"] == 2
    assert goal["payout_structure_ids"] == [structure] and goal["links"]["postback_by_id"]
    _, offer = admin("GET", f"/admin/offers/{offer_id}")
    assert offer["version"] == 2 and offer["default_goal"]["tier_payouts"][gold]["flat"] in ("6", 6)

    stale = admin("PATCH", f"/admin/offers/{offer_id}/goals/0", {"ref_id": "x"}, if_match='"1"')
    assert stale[0] == 412, stale
    _convert(offer_id, partner_id, "tier", "10")
    _convert(offer_id, partner_id, "rule", "100")
    assert {k: v[0] for k, v in _paid(offer_id).items()} == {"tier": Decimal("6"), "rule": Decimal("7")}


def test_end_point_and_private_stay_additional_goal_settings(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    for change in ({"end_point": True}, {"private": True}, {"status": "paused"}):
        status, body = admin("PATCH", f"/admin/offers/{offer_id}/goals/0", change, if_match='"1"')
        assert status == 422 and body["error"]["code"] == "default_goal", body
        assert body["error"]["details"][0]["loc"] == ["body", next(iter(change))]
    # an edit form sending the default goal's own values back changes nothing it may not
    status, goal = admin(
        "PATCH",
        f"/admin/offers/{offer_id}/goals/0",
        {"end_point": False, "private": False, "ref_id": "r"},
        if_match='"1"',
    )
    assert status == 200 and goal["ref_id"] == "r" and goal["end_point"] is False
    status, body = admin(
        "PATCH", f"/admin/offers/{offer_id}", {"default_goal": {"end_point": True}}, if_match='"2"'
    )
    assert status == 422 and "end_point" in str(body)


def test_unknown_structures_and_tiers_on_the_default_goal_are_refused(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    for change, code in (
        ({"payout_structure_ids": ["999"]}, "unknown_payout_structure"),
        ({"tiers_enabled": True, "tier_payouts": {"998": {"flat": "1"}}}, "unknown_tier"),
    ):
        status, body = admin("PATCH", f"/admin/offers/{offer_id}", {"default_goal": change}, if_match='"1"')
        assert (status, body["error"]["code"]) == (422, code), body
    _, offer = admin("GET", f"/admin/offers/{offer_id}")
    assert offer["version"] == 1 and offer["default_goal"]["payout_structure_ids"] == []
