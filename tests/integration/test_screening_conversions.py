"""Screened conversions after the verdict, through the handlers on moto: who may change a held
conversion's status, what the conversion rate counts once, what a change leaves of a hold's
reason, and test conversions kept out of screening."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers import admin, call, partner_call, postback, setup_network, the_stats_consumer
from tests.integration.test_screening import click_as, code_of, set_network, tid_of


def held_network() -> tuple[dict[str, Any], str]:
    """A network that holds conversions sooner than 10 minutes after the click, and a click."""
    net = setup_network(offer={"min_session_seconds": 600}, advertiser={"postback_ips": ["192.0.2.0/24"]})
    set_network(screening={"too_soon": {"action": "hold"}})
    return net, tid_of(click_as(net))


def lsr(query: str, ip: str) -> dict[str, Any]:
    return call("PostbackFunction", "GET", "/aff_lsr", f"{query}&format=json", ip=ip)


def test_a_status_postback_from_outside_the_allow_list_is_refused_code_14(aws: Any) -> None:
    """The allow-list guards status updates as it guards conversions: from elsewhere, a status
    postback could otherwise approve what its conversion postback could not record."""
    _net, tid = held_network()
    held = lsr(f"transaction_id={tid}&conversion_unique_id=U1", ip="192.0.2.10")
    assert json.loads(held["body"])["status"] == "pending", held
    approve = f"transaction_id={tid}&conversion_unique_id=U1&status=approved"
    refused = lsr(approve, ip="198.51.100.66")
    assert refused["statusCode"] == 403 and code_of(refused) == "ip_not_allowed", refused
    conversions = admin("GET", "/admin/conversions", query="status=approved,pending")[1]["items"]
    assert [c["status"] for c in conversions] == ["pending"]  # nothing changed
    reject = f"transaction_id={tid}&conversion_unique_id=U1&status=rejected"
    assert code_of(lsr(reject, ip="198.51.100.66")) == "ip_not_allowed"
    assert code_of(lsr(reject, ip="192.0.2.10")) == "status_updated"  # from the list: heard


def test_a_pixel_cannot_change_a_conversion_s_status(aws: Any) -> None:
    """The visitor's browser fires the pixel, and the partner may control it: were status heard
    there, a partner could approve its own held conversions."""
    _net, tid = held_network()
    lsr(f"transaction_id={tid}&adv_sub=ORDER-9", ip="192.0.2.10")
    pixel = call(
        "PixelFunction",
        "GET",
        "/aff_l",
        f"transaction_id={tid}&adv_sub=ORDER-9&status=approved",
        ip="198.51.100.66",
    )
    assert pixel["headers"]["x-goalpost-code"] == "status_by_pixel", pixel["headers"]  # a GIF, as any pixel
    conversions = admin("GET", "/admin/conversions", query="status=approved,pending")[1]["items"]
    assert [c["status"] for c in conversions] == ["pending"]


def test_one_sale_reported_by_pixel_and_postback_takes_one_place_in_the_ip_s_hour(
    aws: Any, clock: Any
) -> None:
    """The conversion rate counts conversions, not requests: the pixel of a sale its postback
    already recorded (answered duplicate) takes no second place."""
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    set_network(screening={"conversion_rate": {"action": "refuse", "limit": 2}})
    ip = "198.51.100.1"
    first, second, third = (tid_of(click_as(net, ip=ip)) for _ in range(3))
    assert lsr(f"transaction_id={first}", ip="192.0.2.50")["statusCode"] == 200
    again = call("PixelFunction", "GET", "/aff_l", "", cookies=[f"gp_o{offer_id}={first}"], ip=ip)
    assert again["headers"]["x-goalpost-code"] == "duplicate"
    retried = lsr(f"transaction_id={first}&adv_sub=A1", ip="192.0.2.50")  # other parameters, same sale
    assert code_of(retried) == "duplicate"
    assert lsr(f"transaction_id={second}", ip="192.0.2.50")["statusCode"] == 200  # the hour's 2nd
    over = lsr(f"transaction_id={third}", ip="192.0.2.50")
    assert over["statusCode"] == 429 and code_of(over) == "conversion_rate"  # the 3rd is over


def test_a_held_conversion_rejected_in_the_review_queue_keeps_its_reason_for_the_partner(aws: Any) -> None:
    net, tid = held_network()
    held = json.loads(lsr(f"transaction_id={tid}", ip="192.0.2.10")["body"])
    the_stats_consumer().drain()
    key = net["partner"]["api_key"]
    before = json.loads(partner_call("/partner/conversions", key)["body"])["items"]
    assert [(r["status"], r["reason"]) for r in before] == [("pending", "lookback_too_soon")]
    decision = {"conversion_ids": [held["conversion_id"]], "status": "rejected", "note": "bot"}
    assert admin("POST", "/admin/conversions/decisions", decision)[0] == 200
    the_stats_consumer().drain()
    after = json.loads(partner_call("/partner/conversions", key)["body"])["items"]
    assert [(r["status"], r["reason"]) for r in after] == [("rejected", "lookback_too_soon")], after


def test_editing_a_held_conversion_s_payout_keeps_it_held_in_the_queue(aws: Any) -> None:
    _net, tid = held_network()
    held = json.loads(lsr(f"transaction_id={tid}", ip="192.0.2.10")["body"])
    status, _ = admin(
        "PATCH", f"/admin/conversions/{held['conversion_id']}", {"payout": "1.00", "note": "fix"}
    )
    assert status == 200
    queue = admin("GET", "/admin/review-queue", query="reason=lookback_too_soon")[1]["items"]
    assert [(c["transaction_id"], c["status_code"]) for c in queue] == [(tid, "lookback_too_soon")], queue
    approved = {"conversion_ids": [held["conversion_id"]], "status": "approved", "note": "fine"}
    assert admin("POST", "/admin/conversions/decisions", approved)[0] == 200
    assert admin("GET", "/admin/review-queue", query="reason=lookback_too_soon")[1]["items"] == []


def test_a_test_conversion_takes_no_place_in_the_conversion_rate(aws: Any, clock: Any) -> None:
    net = setup_network()
    set_network(screening={"conversion_rate": {"action": "refuse", "limit": 1}})
    ip = "198.51.100.1"
    qa, real = (tid_of(click_as(net, ip=ip)) for _ in range(2))
    assert code_of(postback(f"transaction_id={qa}&test=1&format=json")) == "debug_test"
    answer = postback(f"transaction_id={real}&format=json")
    assert answer["statusCode"] == 200, answer["body"]


def test_a_test_pixel_from_another_ip_is_a_test_never_a_rejection_the_partner_sees(aws: Any) -> None:
    """An advertiser's QA fires its test pixel from its office, not the click's IP."""
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    set_network(screening={"ip_mismatch": {"action": "refuse"}})
    tid = tid_of(click_as(net, ip="198.51.100.1"))
    answer = call(
        "PixelFunction", "GET", "/aff_l", "test=1", cookies=[f"gp_o{offer_id}={tid}"], ip="192.0.2.9"
    )
    assert answer["headers"]["x-goalpost-code"] == "debug_test", answer["headers"]
    the_stats_consumer().drain()
    seen = json.loads(partner_call("/partner/conversions", net["partner"]["api_key"])["body"])["items"]
    assert seen == []


def test_the_advertiser_may_reject_a_held_conversion_never_approve_it_past_the_review(aws: Any) -> None:
    """The network held it (too soon after its click): the advertiser's approval postback does
    not release it, an admin does; the advertiser's rejection stands."""
    _net, tid = held_network()
    lsr(f"transaction_id={tid}&conversion_unique_id=H1", ip="192.0.2.10")
    approve = lsr(f"transaction_id={tid}&conversion_unique_id=H1&status=approved", ip="192.0.2.10")
    assert approve["statusCode"] == 409 and code_of(approve) == "held_for_review", approve
    queue = admin("GET", "/admin/review-queue", query="reason=lookback_too_soon")[1]["items"]
    assert [c["transaction_id"] for c in queue] == [tid]  # still the admin's to decide
    reject = lsr(f"transaction_id={tid}&conversion_unique_id=H1&status=rejected", ip="192.0.2.10")
    assert code_of(reject) == "status_updated"
    rejected = admin("GET", "/admin/conversions", query="status=rejected")[1]["items"]
    assert [(c["status"], c["status_code"]) for c in rejected] == [("rejected", "lookback_too_soon")]
    again = lsr(f"transaction_id={tid}&conversion_unique_id=H1&status=approved", ip="192.0.2.10")
    assert code_of(again) == "held_for_review"  # rejected, then approved: still the network's
