"""Pixels on the same engine: cookie sessions, the goal click pixel, never a broken page."""

import base64
import html
import re

from goalpost.store import conversion_store, counter_store
from tests.helpers import admin, call, click, conversions, setup_network


def pixel(path: str, query: str, cookies: list[str] | None = None) -> dict:  # type: ignore[type-arg]
    return call(
        "PixelFunction" if path == "/aff_l" else "PostbackFunction", "GET", path, query, cookies=cookies
    )


def assert_gif(response: dict) -> None:  # type: ignore[type-arg]
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "image/gif"
    assert "no-store" in response["headers"]["cache-control"]
    assert base64.b64decode(response["body"]).startswith(b"GIF89a")


def test_image_pixel_converts_the_cookie_session(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"percent": "10"}}])
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    response = pixel("/aff_l", f"offer_id={offer_id}&amount=30", cookies=[f"gp_o{offer_id}={tid}"])
    assert_gif(response)
    assert response["headers"]["x-goalpost-code"] == "approved_client_cookie"
    goal = pixel("/aff_goal", "a=l&goal_name=sale&amount=50", cookies=[f"gp_o{offer_id}={tid}"])
    assert goal["headers"]["x-goalpost-code"] == "approved_client_cookie"
    assert sorted(c["goal_name"] for c in conversions(offer_id)) == ["conversion", "sale"]


def test_pixel_failures_still_answer_a_gif_with_the_reason(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    for query, cookies, code in (
        (f"offer_id={offer_id}", None, "no_session"),
        (f"offer_id={offer_id}", [f"gp_o{offer_id}={'0' * 32}"], "unknown_transaction"),
        (f"offer_id={offer_id}&amount=-1", [f"gp_o{offer_id}=abc"], "invalid_amount"),
        ("adv_sub=%FF", None, "bad_request"),
    ):
        response = pixel("/aff_l", query, cookies)
        assert_gif(response)
        assert response["headers"]["x-goalpost-code"] == code
        assert response["headers"]["x-goalpost-reason"]
    assert conversions(offer_id) == []


def test_goal_click_pixel_counts_visits_and_is_not_a_conversion(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Checkout"}])
    offer_id = net["offer"]["offer_id"]
    status, detail = admin("GET", f"/admin/offers/{offer_id}/goals/{net['goals'][0]['goal_id']}")
    assert status == 200
    assert "a=lc&goal_id=" in detail["links"]["click_pixel"]
    tid = click(offer_id, net["partner"]["partner_id"])
    for _ in range(2):
        response = pixel("/aff_goal", "a=lc&goal_name=checkout", cookies=[f"gp_o{offer_id}={tid}"])
        assert_gif(response)
        assert response["headers"]["x-goalpost-code"] == "goal_click"
    assert conversions(offer_id) == []
    items = [i for i in conversion_store.session_conversions(tid) if i["kind"] == "goal_click"]
    assert len(items) == 1 and items[0]["clicks"] == 2


def add_pixel(net: dict, goal_id: str, kind: str, code: str) -> None:  # type: ignore[type-arg]
    status, body = admin(
        "POST",
        f"/admin/offers/{net['offer']['offer_id']}/partner-pixels",
        {"partner_id": net["partner"]["partner_id"], "goal_id": goal_id, "kind": kind, "code": code},
    )
    assert status == 201, body


def test_iframe_goal_answers_html_with_escaped_partner_pixels(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True}, goals=[{"name": "Lead", "protocol": "iframe", "payout": {"flat": "3"}}]
    )
    offer_id, goal_id = net["offer"]["offer_id"], net["goals"][0]["goal_id"]
    add_pixel(net, goal_id, "html", '<span data-sub="{aff_sub}">{payout}</span>')
    add_pixel(net, goal_id, "image", "https://p.example/i.gif?s={aff_sub}&g={goal_name}")
    tid = click(offer_id, net["partner"]["partner_id"], "&aff_sub=a%26b%2Bc")
    response = pixel("/aff_goal", "a=l&goal_name=lead", cookies=[f"gp_o{offer_id}={tid}"])
    assert response["statusCode"] == 200 and response["headers"]["content-type"].startswith("text/html")
    framed = re.search(r'<iframe sandbox="allow-scripts" srcdoc="([^"]*)"', response["body"])
    assert framed is not None  # the partner's HTML runs in a sandboxed frame of its own
    assert '<span data-sub="a&amp;b+c">3.00</span>' in html.unescape(framed.group(1))
    body = response["body"]
    assert '<img src="https://p.example/i.gif?s=a%26b%2Bc&amp;g=lead"' in body
    assert "no-store" in response["headers"]["cache-control"]


def test_image_goal_redirects_to_the_partner_image_pixel(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    add_pixel(net, "0", "image", "https://p.example/px?tid={transaction_id}&p={payout}")
    tid = click(offer_id, net["partner"]["partner_id"])
    response = pixel("/aff_l", f"offer_id={offer_id}", cookies=[f"gp_o{offer_id}={tid}"])
    assert response["statusCode"] == 302
    assert response["headers"]["location"] == f"https://p.example/px?tid={tid}&p=2.50"
    again = pixel("/aff_l", f"offer_id={offer_id}", cookies=[f"gp_o{offer_id}={tid}"])
    assert_gif(again)  # a duplicate shows no partner pixel again
    assert again["headers"]["x-goalpost-code"] == "duplicate"


def test_impression_pixel_counts_per_offer_and_partner(aws) -> None:
    import time

    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for _ in range(5):
        assert_gif(call("PixelFunction", "GET", "/aff_i", f"offer_id={offer_id}&aff_id={partner_id}"))
    refused = call("PixelFunction", "GET", "/aff_i", f"offer_id=999&aff_id={partner_id}")
    assert_gif(refused)
    assert refused["headers"]["x-goalpost-code"] == "offer_inactive"
    hour = time.strftime("%Y-%m-%dT%H", time.gmtime())
    assert counter_store.impressions(offer_id, partner_id, hour, 10) == 5


def test_last_click_wins_the_offer_cookie(aws) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    first = call("ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id={partner_id}")["cookies"][0]
    second = call("ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id={partner_id}")["cookies"][0]
    name = f"gp_o{offer_id}"
    assert first.split("=", 1)[0] == second.split("=", 1)[0] == name  # same cookie: the browser replaces it
    latest = second.split("=", 1)[1].split(";", 1)[0]
    response = pixel("/aff_l", f"offer_id={offer_id}", cookies=[f"{name}={latest}"])
    assert response["headers"]["x-goalpost-code"] == "approved_client_cookie"
    [conversion] = conversions(offer_id)
    assert conversion["transaction_id"] == latest


def test_names_and_keyword_values_are_matched_in_any_case(aws) -> None:
    """README, Tracking contract (case rules): ``A=L`` is a pixel and answers its GIF,
    ``FORMAT=JSON`` answers JSON, ``Transaction_ID`` names the session; data values keep their case."""
    import json

    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "1"}}])
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    response = pixel("/aff_goal", "A=L&Goal_Name=sale&Adv_Sub=Order-7", cookies=[f"gp_o{offer_id}={tid}"])
    assert_gif(response)
    assert response["headers"]["x-goalpost-code"] == "approved_client_cookie"
    refused = pixel("/aff_goal", "A=LC&adv_sub=%3C", cookies=[f"gp_o{offer_id}={tid}"])  # refused params
    assert_gif(refused)
    assert refused["headers"]["x-goalpost-code"] == "bad_request"
    for query in ("Transaction_ID={}&format=JSON", "transaction_id={}&FORMAT=Json"):
        answer = pixel("/aff_lsr", query.format(click(offer_id, net["partner"]["partner_id"])))
        assert answer["headers"]["content-type"] == "application/json"
        assert json.loads(answer["body"])["code"] == "approved_server_postback"
    bad = pixel("/aff_lsr", "transaction_id=nope&Format=JSON&amount=-1")
    assert bad["headers"]["content-type"] == "application/json" and bad["statusCode"] == 400
    assert [c["adv_subs"] for c in conversions(offer_id) if c.get("adv_subs")] == [{"adv_sub": "Order-7"}]
