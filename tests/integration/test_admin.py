"""The goals admin API: every configuration rule of the seed, through the admin handler."""

import csv
import io
import json
from decimal import Decimal
from typing import Any

from tests.helpers import ADMIN, admin, call, click, conversions, load_rates, postback, setup_network


def admin_full(method: str, path: str, body: Any = None, if_match: str | None = None) -> dict[str, Any]:
    """The raw response (status, headers, body) for checks on ETag and If-Match."""
    from goalpost_local.gateway import LambdaContext
    from tests.helpers import event, handler

    request = event(method, path, body=body)
    if if_match is not None:
        request["headers"]["if-match"] = if_match
    response = handler(ADMIN)(request, LambdaContext(ADMIN))
    response["json"] = (
        json.loads(response["body"])
        if response.get("body")
        and "json" in response["headers"].get("Content-Type", response["headers"].get("content-type", ""))
        else None
    )
    return response


def status_of(response: dict[str, Any]) -> int:
    return int(response["statusCode"])


def test_network_settings_need_if_match_and_are_audited(aws) -> None:
    current = admin_full("GET", "/admin/network")
    assert status_of(current) == 200 and current["json"]["goals_enabled"] is True
    body = {
        "goals_enabled": False,
        "currency": "EUR",
        "session_hours": 48,
        "tracking_domain": "track.example.net",
    }
    assert status_of(admin_full("PUT", "/admin/network", body)) == 428
    assert status_of(admin_full("PUT", "/admin/network", body, if_match='"5"')) == 412
    saved = admin_full("PUT", "/admin/network", body, if_match='"0"')
    assert status_of(saved) == 200 and saved["json"]["version"] == 1
    assert status_of(admin_full("PUT", "/admin/network", body, if_match='"0"')) == 412  # stale: someone saved
    status, trail = admin("GET", "/admin/audit/network/settings")
    assert status == 200
    [entry] = trail["items"]
    assert entry["actor"] == "arn:aws:iam::000000000000:user/local-admin"
    assert entry["before"] is None and entry["after"]["currency"] == "EUR"
    assert "goals_enabled" in entry["changed"]


def test_network_defaults_apply_to_new_offers_and_goals_switch_off_everywhere(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "2"}}])
    offer_id = net["offer"]["offer_id"]
    goal_id = net["goals"][0]["goal_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    admin_full(
        "PUT",
        "/admin/network",
        {"goals_enabled": False, "currency": "EUR", "session_hours": 6},
        if_match='"0"',
    )

    assert [g["goal_id"] for g in admin("GET", f"/admin/offers/{offer_id}/goals")[1]["items"]] == ["0"]
    assert admin("GET", f"/admin/offers/{offer_id}/goals/{goal_id}")[0] == 404
    assert [r["ID"] for r in admin("GET", f"/admin/offers/{offer_id}/goals/manage")[1]["items"]] == ["0"]
    assert admin("POST", f"/admin/offers/{offer_id}/goals", {"name": "Other"})[0] == 409
    refused = postback(f"a=lsr&goal_id={goal_id}&transaction_id={tid}&format=json", path="/aff_goal")
    assert json.loads(refused["body"])["code"] == "goals_disabled"
    load_rates(USD="1.05")  # the USD offer's money is now also reported in the new base, EUR
    assert postback(f"transaction_id={tid}")["statusCode"] == 200  # default goals keep working

    status, offer = admin(
        "POST",
        "/admin/offers",
        {
            "name": "New",
            "advertiser_id": net["advertiser"]["advertiser_id"],
            "offer_url": "https://x.example/",
        },
    )
    assert status == 201 and (offer["currency"], offer["session_hours"]) == ("EUR", 6)


def test_network_can_disable_approval_and_encrypted_tracking(aws) -> None:
    admin_full(
        "PUT", "/admin/network", {"approval_enabled": False, "encrypted_enabled": False}, if_match='"0"'
    )
    net = setup_network(offer={"goals_enabled": True})
    offer_id = net["offer"]["offer_id"]
    status, body = admin("POST", f"/admin/offers/{offer_id}/goals", {"name": "Trial", "approve": True})
    assert (status, body["error"]["code"]) == (409, "approval_disabled")
    status, body = admin("POST", f"/admin/offers/{offer_id}/goals", {"name": "Sale", "encrypted": True})
    assert (status, body["error"]["code"]) == (409, "encrypted_disabled")


def test_advertiser_token_is_set_then_applied_as_in_tune(aws) -> None:
    net = setup_network()
    adv_id = net["advertiser"]["advertiser_id"]
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert (
        status_of(admin_full("PATCH", f"/admin/advertisers/{adv_id}", {"security_token": "s3cret-123"}))
        == 428
    )
    updated = admin_full(
        "PATCH", f"/admin/advertisers/{adv_id}", {"security_token": "s3cret-123"}, if_match='"1"'
    )
    assert status_of(updated) == 200 and updated["json"]["security_token_applied"] is False
    assert (
        updated["json"]["security_token"] == "s3cret-123" and "security_token_sha256" not in updated["json"]
    )
    # set, not applied: the links carry its placeholder (only its hash is kept), postbacks
    # without it still count
    _, goal = admin("GET", f"/admin/offers/{net['offer']['offer_id']}/goals/0")
    assert goal["links"]["postback_by_name"].endswith("&security_token=HIDDEN")
    assert "security_token" not in goal["links"]["image_pixel"]
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    applied = admin_full(
        "PATCH", f"/admin/advertisers/{adv_id}", {"security_token_applied": True}, if_match='"2"'
    )
    assert status_of(applied) == 200 and applied["json"]["security_token_applied"] is True
    assert postback(f"transaction_id={tid}")["statusCode"] == 403
    assert postback(f"transaction_id={tid}&security_token=s3cret-123")["statusCode"] == 200
    removed = admin_full(
        "PATCH", f"/admin/advertisers/{adv_id}", {"remove_security_token": True}, if_match='"3"'
    )
    assert removed["json"]["security_token_applied"] is False and removed["json"]["security_token"] == ""
    nothing = admin_full(
        "PATCH", f"/admin/advertisers/{adv_id}", {"security_token_applied": True}, if_match='"4"'
    )
    assert (status_of(nothing), nothing["json"]["error"]["code"]) == (409, "no_security_token")


def test_partner_api_key_is_shown_once_and_stored_hashed(aws) -> None:
    status, partner = admin("POST", "/admin/partners", {"name": "P"})
    assert status == 201 and partner["api_key"].startswith("gpk_")
    status, again = admin("GET", f"/admin/partners/{partner['partner_id']}")
    assert "api_key" not in again and "api_key_sha256" not in again and "postback_secret" not in again
    status, rotated = admin("POST", f"/admin/partners/{partner['partner_id']}/api-key")
    assert status == 200 and rotated["api_key"] != partner["api_key"]


def test_tiers_exactly_one_default(aws) -> None:
    _, silver = admin("POST", "/admin/tiers", {"name": "Silver", "level": 1})
    _, gold = admin("POST", "/admin/tiers", {"name": "Gold", "level": 2})
    tiers = admin("GET", "/admin/tiers")[1]["items"]
    assert [(t["name"], t["default"]) for t in tiers] == [("Silver", True), ("Gold", False)]
    assert admin("PUT", f"/admin/tiers/{gold['tier_id']}/default")[0] == 428
    version = admin("GET", "/admin/network")[1]["version"]
    stale = admin("PUT", f"/admin/tiers/{gold['tier_id']}/default", if_match=f'"{version - 1}"')
    assert stale[0] == 412
    status, network = admin("PUT", f"/admin/tiers/{gold['tier_id']}/default", if_match=f'"{version}"')
    assert (
        status == 200 and network["default_tier_id"] == gold["tier_id"] and network["version"] == version + 1
    )
    tiers = admin("GET", "/admin/tiers")[1]["items"]
    assert [t["name"] for t in tiers if t["default"]] == ["Gold"]
    assert admin("POST", "/admin/partners", {"name": "P", "tier_id": "999"})[0] == 422
    assert silver["tier_id"] != gold["tier_id"]


def test_partner_without_tier_gets_the_default_tier_payout(aws) -> None:
    _, gold = admin("POST", "/admin/tiers", {"name": "Gold", "default": True})
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[
            {
                "name": "Sale",
                "payout": {"flat": "1"},
                "tiers_enabled": True,
                "tier_payouts": {gold["tier_id"]: {"flat": "6"}},
            }
        ],
    )
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    postback(f"a=lsr&goal_name=sale&transaction_id={tid}", path="/aff_goal")
    assert Decimal(conversions(net["offer"]["offer_id"])[0]["payout"]) == Decimal("6")


def test_offer_update_is_optimistic_and_delete_is_a_status(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    got = admin_full("GET", f"/admin/offers/{offer_id}")
    assert got["headers"]["etag"] == '"1"'
    first = admin_full("PATCH", f"/admin/offers/{offer_id}", {"name": "Renamed"}, if_match='"1"')
    assert status_of(first) == 200 and first["json"]["version"] == 2
    lost = admin_full("PATCH", f"/admin/offers/{offer_id}", {"name": "Other admin"}, if_match='"1"')
    assert status_of(lost) == 412 and lost["json"]["error"]["code"] == "version_conflict"
    deleted = admin_full("PATCH", f"/admin/offers/{offer_id}", {"status": "deleted"}, if_match='"2"')
    assert deleted["json"]["status"] == "deleted" and deleted["json"]["name"] == "Renamed"
    assert admin("GET", f"/admin/offers/{offer_id}")[1]["status"] == "deleted"  # still readable
    response = call(
        "ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id={net['partner']['partner_id']}"
    )
    assert response["statusCode"] == 403
    trail = admin("GET", f"/admin/audit/offer/{offer_id}")[1]["items"]
    assert [e["action"] for e in trail] == ["update", "update", "create"]
    assert trail[0]["before"]["status"] == "active" and trail[0]["after"]["status"] == "deleted"


def test_an_offer_s_fallback_offer_is_another_offer_that_exists(aws) -> None:
    """An offer that is its own fallback would send the clicks it refuses (a bot, a full cap)
    straight back to itself; an unknown one is a typo. Both 422 with their code, nothing stored."""
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    body = {"name": "New", "advertiser_id": net["advertiser"]["advertiser_id"],
            "offer_url": "https://new.example.com/", "fallback_offer_id": "999"}  # fmt: skip
    status, answer = admin("POST", "/admin/offers", body)
    assert (status, answer["error"]["code"]) == (422, "unknown_offer") and "999" in answer["error"]["message"]
    assert [o["offer_id"] for o in admin("GET", "/admin/offers")[1]["items"]] == [offer_id]
    for fallback, code in ((offer_id, "own_fallback"), ("999", "unknown_offer")):
        status, answer = admin(
            "PATCH", f"/admin/offers/{offer_id}", {"fallback_offer_id": fallback}, if_match='"1"'
        )
        assert (status, answer["error"]["code"]) == (422, code), answer
    stored = admin("GET", f"/admin/offers/{offer_id}")[1]
    assert (stored["version"], stored["fallback_offer_id"]) == (1, "")
    status, other = admin("POST", "/admin/offers", {**body, "fallback_offer_id": offer_id})
    assert status == 201 and other["fallback_offer_id"] == offer_id
    status, saved = admin(
        "PATCH", f"/admin/offers/{offer_id}", {"fallback_offer_id": other["offer_id"]}, if_match='"1"'
    )
    assert status == 200 and saved["fallback_offer_id"] == other["offer_id"]
    status, saved = admin("PATCH", f"/admin/offers/{offer_id}", {"fallback_offer_id": ""}, if_match='"2"')
    assert status == 200 and saved["fallback_offer_id"] == ""


def test_goal_slug_is_stable_on_rename_unless_regenerated(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True}, goals=[{"name": "Paid Subscription"}, {"name": "Trial"}]
    )
    offer_id = net["offer"]["offer_id"]
    goal_id = net["goals"][0]["goal_id"]
    assert net["goals"][0]["slug"] == "paid-subscription"
    renamed = admin_full(
        "PATCH", f"/admin/offers/{offer_id}/goals/{goal_id}", {"name": "Premium Plan"}, if_match='"1"'
    )
    assert renamed["json"]["slug"] == "paid-subscription" and renamed["json"]["name"] == "Premium Plan"
    regen = admin_full(
        "PATCH", f"/admin/offers/{offer_id}/goals/{goal_id}", {"regenerate_slug": True}, if_match='"2"'
    )
    assert regen["json"]["slug"] == "premium-plan"
    clash = admin_full(
        "PATCH",
        f"/admin/offers/{offer_id}/goals/{goal_id}",
        {"name": "Trial", "regenerate_slug": True},
        if_match='"3"',
    )
    assert status_of(clash) == 409
    assert admin("POST", f"/admin/offers/{offer_id}/goals", {"name": "TRIAL"})[0] == 409


def test_making_a_goal_private_requires_removing_payouts_and_pixels(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Signup", "payout": {"flat": "1"}}])
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    goal_id = net["goals"][0]["goal_id"]
    path = f"/admin/offers/{offer_id}/goals/{goal_id}"
    with_payout = admin_full("PATCH", path, {"private": True}, if_match='"1"')
    assert status_of(with_payout) == 422 and "remove payout" in with_payout["body"]
    admin(
        "PUT",
        f"/admin/offers/{offer_id}/partner-payouts/{partner_id}/{goal_id}",
        {"payout": {"flat": "2"}},
        if_match='"0"',
    )
    pixel = admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {
            "partner_id": partner_id,
            "goal_id": goal_id,
            "kind": "postback",
            "code": "https://p.example/pb?t={transaction_id}",
        },
    )[1]
    blocked = admin_full("PATCH", path, {"private": True, "payout": {"flat": "0"}}, if_match='"1"')
    assert status_of(blocked) == 409
    assert (
        "custom partner payouts" in blocked["body"]
        and f"partner pixels {pixel['pixel_id']}" in blocked["body"]
    )
    admin("DELETE", f"/admin/offers/{offer_id}/partner-pixels/{pixel['pixel_id']}")


def test_partner_pixels_are_validated_and_refused_on_private_goals(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Internal", "private": True}])
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    base = {"partner_id": partner_id, "kind": "postback"}
    assert (
        admin("POST", f"/admin/offers/{offer_id}/partner-pixels", {**base, "code": "javascript:alert(1)"})[0]
        == 422
    )
    assert (
        admin("POST", f"/admin/offers/{offer_id}/partner-pixels", {**base, "code": "ftp://x.example/"})[0]
        == 422
    )
    private = admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {**base, "goal_id": net["goals"][0]["goal_id"], "code": "https://p.example/"},
    )
    assert private[0] == 409 and private[1]["error"]["code"] == "private_goal"
    ok = admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {**base, "code": "https://p.example/?t={transaction_id}"},
    )
    assert ok[0] == 201 and ok[1]["goal_id"] == "0"
    html = admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {**base, "kind": "html", "code": "<img src='https://p.example/i'>"},
    )
    assert html[0] == 201
    assert len(admin("GET", f"/admin/offers/{offer_id}/partner-pixels")[1]["items"]) == 2


def test_goal_detail_shows_slug_and_every_tracking_link(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Newsletter Signup", "ref_id": "NL"}])
    offer_id, goal = net["offer"]["offer_id"], net["goals"][0]
    status, detail = admin("GET", f"/admin/offers/{offer_id}/goals/{goal['goal_id']}")
    assert status == 200 and detail["slug"] == "newsletter-signup"
    links = detail["links"]
    assert links["postback_by_name"] == (
        "https://track.example.net/aff_goal?a=lsr&goal_name=newsletter-signup&transaction_id={transaction_id}"
    )
    assert f"goal_id={goal['goal_id']}" in links["postback_by_id"]
    assert links["image_pixel"].startswith("<img ") and links["iframe_pixel"].startswith("<iframe ")
    assert "encrypted" not in links
    tracking = admin("GET", f"/admin/offers/{offer_id}/tracking-links")[1]["items"]
    assert tracking[0]["tracking_link"] == (
        f"https://track.example.net/aff_c?offer_id={offer_id}&aff_id={net['partner']['partner_id']}"
    )


def test_manage_view_json_and_csv(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[
            {
                "name": "Sale",
                "payout": {"percent": "20"},
                "revenue": {"flat": "1", "percent": "30"},
                "end_point": True,
                "allow_multiple": True,
            }
        ],
    )
    offer_id = net["offer"]["offer_id"]
    rows = admin("GET", f"/admin/offers/{offer_id}/goals/manage")[1]["items"]
    assert list(rows[0]) == [
        "ID", "Name", "Status", "Advertiser", "Tracking Pixel Type", "Endpoint", "Private", "Allow Multiples", "Payout", "Revenue",
    ]  # fmt: skip
    sale = rows[1]
    assert (sale["Endpoint"], sale["Allow Multiples"], sale["Payout"], sale["Revenue"]) == (
        True,
        True,
        "20%",
        "1.00 + 30%",
    )
    response = call(ADMIN, "GET", f"/admin/offers/{offer_id}/goals/manage", "format=csv")
    assert response["headers"]["Content-Type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(response["body"])))
    assert [r["Name"] for r in parsed] == ["Conversion", "Sale"]


def test_pagination_with_cursor_on_lists(aws) -> None:
    for n in range(5):
        admin("POST", "/admin/advertisers", {"name": f"A{n}"})
    seen, cursor = [], ""
    while True:
        _, body = admin("GET", "/admin/advertisers", query=f"limit=2{cursor}")
        seen.extend(a["name"] for a in body["items"])
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert sorted(seen) == [f"A{n}" for n in range(5)]
    assert admin("GET", "/admin/advertisers", query="cursor=garbage!")[0] == 400
    assert admin("GET", "/admin/advertisers", query="limit=0")[0] == 422


def test_bad_input_is_a_clear_4xx_and_stores_nothing(aws) -> None:
    cases = [
        ("POST", "/admin/offers", {"name": "x"}),
        ("POST", "/admin/offers", {"name": "x", "advertiser_id": "1", "offer_url": "javascript:alert(1)"}),
        ("POST", "/admin/offers", {"name": "x", "advertiser_id": "99", "offer_url": "https://ok.example/"}),
        ("POST", "/admin/advertisers", {"name": ""}),
        ("POST", "/admin/advertisers", {"name": "x", "unknown": 1}),
        ("POST", "/admin/partners", {"name": "x" * 500}),
        ("POST", "/admin/payout-structures", {"name": "x", "rules": "nope"}),
        ("GET", "/admin/offers/abc", None),
        ("GET", "/admin/offers/999", None),
    ]
    for method, path, body in cases:
        status, answer = admin(method, path, body)
        assert 400 <= status < 500, (path, body, answer)
        assert answer["error"]["code"] and answer["error"]["message"]
    assert admin("GET", "/admin/offers")[1]["items"] == []
    assert admin("GET", "/admin/advertisers")[1]["items"] == []


def test_offer_scoped_lists_are_cursor_paginated(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": f"Goal {n}"} for n in range(3)])
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for goal in net["goals"]:
        admin(
            "POST",
            f"/admin/offers/{offer_id}/partner-pixels",
            {
                "partner_id": partner_id,
                "goal_id": goal["goal_id"],
                "kind": "postback",
                "code": "https://p.example/",
            },
        )
    for path, expected in (
        (f"/admin/offers/{offer_id}/goals", 4),
        (f"/admin/offers/{offer_id}/partner-pixels", 3),
    ):
        seen, cursor = [], ""
        while True:
            status, body = admin("GET", path, query=f"limit=1{cursor}")
            assert status == 200
            seen.extend(body["items"])
            if not body["next_cursor"]:
                break
            cursor = f"&cursor={body['next_cursor']}"
        assert len(seen) == expected, path
