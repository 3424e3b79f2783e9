"""Items written before later settings existed keep working: the admin shows them with each
setting's default, the hot paths track and pay on them, and a change saves them again.

The documents below are as the first releases wrote them (no caps, time zone, lookback, shards,
tiers, payout structures or security token), with a cap as a PATCH stored it (only the fields it
sent): the stored documents are read from the nouns' declared fields (``model.fields``).
"""

from decimal import Decimal

from goalpost.model.audit import Audit
from goalpost.store import config_store
from tests.helpers import admin, click, conversions, postback

_AUDIT = Audit("test", "2026-01-01T00:00:00.000Z", "create", None, None)

OLD_GOAL_FIELDS = {
    "status": "active", "description": "", "protocol": "server", "ref_id": "",
    "revenue": {"flat": Decimal(3), "percent": Decimal(0)},
    "allow_multiple": False, "end_point": False, "approve": False, "encrypted": False, "private": False,
}  # fmt: skip


def _old_items() -> None:
    config_store.save_entity(
        "advertiser", "71", {"advertiser_id": "71", "name": "Old Advertiser"}, audit=_AUDIT
    )
    config_store.save_entity("partner", "72", {"partner_id": "72", "name": "Old Partner"}, audit=_AUDIT)
    offer = {
        "offer_id": "73", "name": "Old Offer", "advertiser_id": "71",
        "offer_url": "https://shop.example/?t={transaction_id}",
        "default_goal": {
            "goal_id": "0", "offer_id": "73", "name": "Conversion", "slug": "conversion",
            "advertiser_id": "71", "payout": {"flat": Decimal(2), "percent": Decimal(0)}, **OLD_GOAL_FIELDS,
        },
        "status": "active", "session_hours": 24, "currency": "USD", "goals_enabled": True, "ref_id": "",
        "caps": [{"period": "lifetime", "limit": Decimal(5)}],
    }  # fmt: skip
    config_store.save_entity("offer", "73", offer, audit=_AUDIT)
    goal = {
        "goal_id": "74", "offer_id": "73", "name": "Sale", "slug": "sale", "advertiser_id": "71",
        "payout": {"flat": Decimal(7)}, **OLD_GOAL_FIELDS,
    }  # fmt: skip
    index = config_store.index_item("GOAL#74", "OFFER", "goal_index", {"offer_id": "73"})
    config_store.save_entity("goal", "74", goal, audit=_AUDIT, parent_offer_id="73", extra_items=(index,))


def test_old_items_are_shown_with_each_later_settings_default(aws) -> None:
    _old_items()
    status, offer = admin("GET", "/admin/offers/73")
    assert status == 200, offer
    assert (offer["timezone"], offer["cap_action"], offer["cap_shards"]) == ("UTC", "refuse", 1)
    assert (offer["min_session_seconds"], offer["max_session_seconds"]) == (0, 0)
    assert offer["caps"] == [{"period": "lifetime", "measure": "conversions", "limit": "5", "partner_id": ""}]
    assert offer["default_goal"]["tier_payouts"] == {} and offer["default_goal"]["payout_structure_ids"] == []
    status, goal = admin("GET", "/admin/offers/73/goals/74")
    assert status == 200, goal
    assert goal["payout"] == {"flat": "7", "percent": "0"} and goal["min_session_seconds"] is None
    status, advertiser = admin("GET", "/admin/advertisers/71")
    assert status == 200 and advertiser["status"] == "active" and advertiser["security_token_set"] is False
    status, caps = admin("GET", "/admin/offers/73/caps")
    assert status == 200 and caps["caps"][0]["measure"] == "conversions", caps


def test_old_items_track_and_pay(aws) -> None:
    _old_items()
    tid = click("73", "72")
    assert postback(f"transaction_id={tid}")["body"].startswith("success=true;")
    assert postback(f"a=lsr&transaction_id={tid}&goal_id=74", path="/aff_goal")["body"].startswith(
        "success=true;"
    )
    paid = sorted((c["goal_id"], Decimal(c["payout"])) for c in conversions("73"))
    assert paid == [("0", Decimal(2)), ("74", Decimal(7))]


def test_a_change_saves_an_old_item_and_it_still_loads(aws) -> None:
    _old_items()
    status, changed = admin("PATCH", "/admin/offers/73", {"name": "Renamed", "cap_shards": 2}, if_match='"1"')
    assert status == 200, changed
    status, goal = admin("PATCH", "/admin/offers/73/goals/74", {"approve": True}, if_match='"1"')
    assert status == 200, goal
    tid = click("73", "72")
    assert postback(f"a=lsr&transaction_id={tid}&goal_id=74", path="/aff_goal")["body"].startswith(
        "success=true;"
    )
    [conversion] = conversions("73")
    assert conversion["status"] == "pending" and Decimal(conversion["payout"]) == 7


def test_a_null_in_a_change_is_refused_never_stored(aws) -> None:
    """Stored, a null name or session lifespan broke the offer: its answers and its clicks."""
    _old_items()
    for body in ({"name": None}, {"session_hours": None}, {"min_session_seconds": None}, {"status": None}):
        status, refused = admin("PATCH", "/admin/offers/73", body, if_match='"1"')
        assert (status, refused["error"]["code"]) == (422, "validation_error"), (body, refused)
    status, refused = admin("PATCH", "/admin/partners/72", {"name": None}, if_match='"1"')
    assert (status, refused["error"]["code"]) == (422, "validation_error"), refused
    status, offer = admin("GET", "/admin/offers/73")
    assert status == 200 and offer["version"] == 1 and offer["name"] == "Old Offer"
    assert postback(f"transaction_id={click('73', '72')}")["body"].startswith("success=true;")
