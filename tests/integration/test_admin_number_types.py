"""Numbers in the admin API: one JSON type per field in every answer, amounts and limits by the
one rule (plain decimals, no exponent), no booleans taken as numbers, caps naming real partners."""

from typing import Any

from tests.helpers import admin, setup_network

WHOLE = ("cap_shards", "min_session_seconds", "max_session_seconds", "session_hours", "version")


def _offer_body(net: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Typed",
        "advertiser_id": net["advertiser"]["advertiser_id"],
        "offer_url": "https://shop.example/?t={transaction_id}",
        **extra,
    }


def test_whole_numbers_are_numbers_in_every_answer(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    status, created = admin(
        "POST",
        "/admin/offers",
        _offer_body(net, cap_shards=4, min_session_seconds=10, max_session_seconds=600),
    )
    assert status == 201, created
    _, read = admin("GET", f"/admin/offers/{created['offer_id']}")
    _, listed = admin("GET", "/admin/offers")
    [in_list] = [o for o in listed["items"] if o["offer_id"] == created["offer_id"]]
    status, patched = admin(
        "PATCH", f"/admin/offers/{created['offer_id']}", {"cap_shards": 2}, if_match='"1"'
    )
    assert status == 200, patched
    for answer in (created, read, in_list, patched):
        assert all(type(answer[name]) is int for name in WHOLE), {n: answer[n] for n in WHOLE}
    assert (read["cap_shards"], read["min_session_seconds"], read["max_session_seconds"]) == (4, 10, 600)
    status, goal = admin(
        "POST", f"/admin/offers/{net['offer']['offer_id']}/goals", {"name": "Sale", "max_session_seconds": 50}
    )
    assert status == 201, goal
    _, goal = admin("GET", f"/admin/offers/{net['offer']['offer_id']}/goals/{goal['goal_id']}")
    assert type(goal["max_session_seconds"]) is int and goal["min_session_seconds"] is None


def test_a_cap_limit_follows_the_amount_rule(aws) -> None:
    net = setup_network()
    for limit in ("1e3", "1E3", "-5", "1,000", "1000.123456", True):
        cap = {"period": "day", "measure": "payout", "limit": limit}
        status, body = admin("POST", "/admin/offers", _offer_body(net, caps=[cap]))
        assert (status, body["error"]["code"]) == (422, "validation_error"), (limit, body)
    status, body = admin("POST", "/admin/offers", _offer_body(net, default_goal={"payout": {"flat": "2e1"}}))
    assert status == 422, body  # payouts too: one rule for amounts
    status, offer = admin(
        "POST",
        "/admin/offers",
        _offer_body(net, caps=[{"period": "day", "measure": "payout", "limit": "1000.50"}]),
    )
    assert status == 201 and str(offer["caps"][0]["limit"]) in ("1000.50", "1000.5"), offer


def test_a_cap_for_a_partner_that_does_not_exist_is_refused(aws) -> None:
    net = setup_network()
    cap = {"period": "day", "limit": "10", "partner_id": "999"}
    status, body = admin("POST", "/admin/offers", _offer_body(net, caps=[cap]))
    assert (status, body["error"]["code"]) == (422, "unknown_partner") and "999" in body["error"]["message"]
    offer_id = net["offer"]["offer_id"]
    status, body = admin("PATCH", f"/admin/offers/{offer_id}", {"caps": [cap]}, if_match='"1"')
    assert (status, body["error"]["code"]) == (422, "unknown_partner")
    ok = {**cap, "partner_id": net["partner"]["partner_id"]}
    status, offer = admin(
        "PATCH", f"/admin/offers/{offer_id}", {"caps": [ok, {**cap, "partner_id": "*"}]}, if_match='"1"'
    )
    assert status == 200 and len(offer["caps"]) == 2, offer


def test_booleans_are_not_numbers(aws) -> None:
    net = setup_network()
    for field in ("max_session_seconds", "min_session_seconds", "cap_shards", "session_hours"):
        status, body = admin("POST", "/admin/offers", _offer_body(net, **{field: True}))
        assert (status, body["error"]["code"]) == (422, "validation_error"), (field, body)
        assert body["error"]["details"][0]["loc"][-1] == field
    offer_id = net["offer"]["offer_id"]
    status, body = admin("PATCH", f"/admin/offers/{offer_id}", {"max_session_seconds": True}, if_match='"1"')
    assert status == 422, body
    _, offer = admin("GET", f"/admin/offers/{offer_id}")
    assert offer["max_session_seconds"] == 0 and offer["version"] == 1
