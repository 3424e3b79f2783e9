"""Traffic screening through the handlers, on moto: each click and conversion rule under its
actions, the fallback of clicks that cannot reach their offer, and the corners (IPv6 /64,
X-Forwarded-For not trusted, missing and non-ASCII user agents)."""

from __future__ import annotations

import json
from typing import Any

from goalpost.store import config_cache, session_store
from goalpost.store.dynamo import from_item, sessions_table
from tests.helpers import (
    admin,
    another_offer,
    call,
    dynamodb_calls,
    postback,
    setup_network,
    the_stats_consumer,
)

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def set_network(**changes: Any) -> None:
    status, current = admin("GET", "/admin/network")
    assert status == 200
    body = {k: v for k, v in current.items() if k not in ("version", "default_tier_id", "bot_list_version")}
    body.update(changes)
    status, saved = admin("PUT", "/admin/network", body, if_match=str(current["version"]))
    assert status == 200, saved


def patch_offer(offer_id: str, patch: dict[str, Any]) -> None:
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    status, saved = admin("PATCH", f"/admin/offers/{offer_id}", patch, if_match=str(version))
    assert status == 200, saved


def click_as(
    net: dict[str, Any], *, ip: str = "203.0.113.7", ua: str = BROWSER, **kwargs: Any
) -> dict[str, Any]:
    query = f"offer_id={net['offer']['offer_id']}&aff_id={net['partner']['partner_id']}&aff_sub=s1"
    return call("ClickFunction", "GET", "/aff_c", query, ip=ip, user_agent=ua, **kwargs)


def tid_of(response: dict[str, Any]) -> str:
    assert response["statusCode"] == 302 and response.get("cookies"), response
    return str(response["cookies"][0].split("=", 1)[1].split(";", 1)[0])


def code_of(answer: dict[str, Any]) -> str:
    return str(json.loads(answer["body"])["code"])


def redirected_records(dynamodb: Any) -> list[dict[str, Any]]:
    items = dynamodb.scan(TableName=sessions_table())["Items"]
    return [from_item(i) for i in items if "redirected" in i]


# ---------------------------------------------------------------- clicks


def test_screening_off_leaves_the_click_one_write(aws: Any) -> None:
    net = setup_network()
    click_as(net)  # warms the config cache
    with dynamodb_calls() as seen:
        for ua in (BOT, "", BROWSER):
            assert click_as(net, ua=ua)["statusCode"] == 302
    assert seen == ["PutItem"] * 3


def test_a_bot_is_refused_with_its_reason_and_recorded_without_a_session(aws: Any) -> None:
    net = setup_network()
    set_network(screening={"bots": {"action": "refuse"}})
    answer = click_as(net, ua=BOT)
    assert answer["statusCode"] == 403
    assert answer["headers"]["x-goalpost-reason"] == "bot_user_agent" and "Googlebot" in answer["body"]
    assert "cookies" not in answer
    [record] = redirected_records(aws)
    assert record["redirected"] == "bot_user_agent" and record["expires_at"] <= record["created_at"]
    assert postback(f"transaction_id={record['transaction_id']}")["statusCode"] == 404  # nothing converts
    assert tid_of(click_as(net))  # a browser passes


def test_a_screened_out_click_goes_to_the_offer_s_fallback_url_without_a_cookie(aws: Any) -> None:
    net = setup_network()
    set_network(screening={"bots": {"action": "refuse"}})
    patch_offer(
        net["offer"]["offer_id"],
        {"fallback_url": "https://elsewhere.example.com/?s={aff_sub}&t={transaction_id}"},
    )
    answer = click_as(net, ua=BOT)
    assert answer["statusCode"] == 302 and "cookies" not in answer
    assert answer["headers"]["location"] == "https://elsewhere.example.com/?s=s1&t="
    assert answer["headers"]["x-goalpost-reason"] == "bot_user_agent"
    assert [r["redirected"] for r in redirected_records(aws)] == ["bot_user_agent"]


def test_flagged_bots_and_empty_user_agents_keep_their_session_with_the_flag(aws: Any) -> None:
    net = setup_network()
    set_network(screening={"bots": {"action": "flag"}, "empty_user_agent": {"action": "flag"}})
    bot = session_store.get_session(tid_of(click_as(net, ua=BOT)))
    empty = session_store.get_session(tid_of(click_as(net, ua="")))
    assert bot is not None and bot.flags == ("bot_user_agent",)
    assert empty is not None and empty.flags == ("empty_user_agent",)
    assert postback(f"transaction_id={bot.transaction_id}")["statusCode"] == 200  # flagged: still paid


def test_a_non_ascii_user_agent_is_screened_as_text(aws: Any) -> None:
    net = setup_network()
    set_network(screening={"bots": {"action": "refuse"}, "empty_user_agent": {"action": "refuse"}})
    session = session_store.get_session(
        tid_of(click_as(net, ua="Mozilla/5.0 (Linux) Navigateur \u00e9t\u00e9 \u4e2d\u6587"))
    )
    assert session is not None and session.flags == ()
    assert click_as(net, ua="python-requests/2.32 \u00fc")["headers"]["x-goalpost-reason"] == "bot_user_agent"


def test_a_duplicate_click_is_flagged_not_unique_and_refused_when_the_offer_says(
    aws: Any, clock: Any
) -> None:
    net = setup_network()
    set_network(screening={"duplicate_clicks": {"action": "flag", "limit": 3600}})
    first = session_store.get_session(tid_of(click_as(net)))
    clock.advance(60)
    second = session_store.get_session(tid_of(click_as(net)))
    other = session_store.get_session(tid_of(click_as(net, ua=BROWSER + " other")))
    assert first is not None and first.is_unique
    assert second is not None and not second.is_unique and second.flags == ("duplicate_click",)
    assert other is not None and other.is_unique  # another user agent: another visitor
    clock.advance(3600)
    again = session_store.get_session(tid_of(click_as(net)))
    assert again is not None and again.is_unique  # the window has passed
    patch_offer(net["offer"]["offer_id"], {"screening": {"duplicate_clicks": {"action": "refuse"}}})
    answer = click_as(net)
    assert answer["statusCode"] == 409 and answer["headers"]["x-goalpost-reason"] == "duplicate_click"


def test_a_browser_s_second_click_with_its_cookies_is_a_duplicate(aws: Any, clock: Any) -> None:
    """A browser sends back what the first click set: the second click is its duplicate."""
    net = setup_network()
    set_network(screening={"duplicate_clicks": {"action": "flag", "limit": 3600}})
    first = click_as(net)
    sent_back = [c.split(";", 1)[0] for c in first["cookies"]]
    clock.advance(60)
    second = session_store.get_session(tid_of(click_as(net, cookies=sent_back)))
    assert second is not None and second.flags == ("duplicate_click",)


def test_the_visit_cookie_keeps_a_browser_s_window_from_another_ip_and_no_longer(
    aws: Any, clock: Any
) -> None:
    """The browser carries its window: a click from another network (a phone leaving wifi) is
    still its duplicate, judged without a write, and the cookie lasts only what is left."""
    net = setup_network()
    set_network(screening={"duplicate_clicks": {"action": "flag", "limit": 3600}})
    first = click_as(net)
    name = f"gp_v{net['offer']['offer_id']}"
    (visit,) = [c for c in first["cookies"] if c.startswith(name + "=")]
    assert "Max-Age=3600;" in visit and "HttpOnly" in visit
    clock.advance(600)
    with dynamodb_calls() as seen:
        elsewhere = click_as(net, ip="198.51.100.20", cookies=[visit.split(";", 1)[0]])
    assert seen == ["PutItem"]  # the session only: the cookie judged it
    session = session_store.get_session(tid_of(elsewhere))
    assert session is not None and session.flags == ("duplicate_click",)
    (again,) = [c for c in elsewhere["cookies"] if c.startswith(name + "=")]
    assert again.split(";", 1)[0] == visit.split(";", 1)[0] and "Max-Age=3000;" in again
    clock.advance(3001)  # the window ran out: the cookie names no window any more
    later = session_store.get_session(
        tid_of(click_as(net, ip="198.51.100.20", cookies=[visit.split(";", 1)[0]]))
    )
    assert later is not None and later.is_unique


def test_clicks_without_a_visit_cookie_from_one_ip_and_user_agent_are_one_visitor(aws: Any) -> None:
    """A browser that drops cookies (or a bot) is told by its IP and user agent; an old tracking
    cookie says nothing about the window."""
    net = setup_network()
    set_network(screening={"duplicate_clicks": {"action": "flag", "limit": 3600}})
    assert session_store.get_session(tid_of(click_as(net))).is_unique  # type: ignore[union-attr]
    stale = f"gp_o{net['offer']['offer_id']}=aaaa"
    again = session_store.get_session(tid_of(click_as(net, cookies=[stale])))
    assert again is not None and again.flags == ("duplicate_click",)


def test_click_rate_counts_an_ipv6_64_as_one_ip_and_never_trusts_x_forwarded_for(aws: Any) -> None:
    net = setup_network()
    set_network(screening={"click_rate": {"action": "refuse", "limit": 2}})
    for n in (1, 2):  # two addresses of one /64, each claiming another client
        answer = click_as(net, ip=f"2001:db8:5:6::{n}", headers={"x-forwarded-for": f"198.51.100.{n}"})
        assert answer["statusCode"] == 302
    refused = click_as(net, ip="2001:db8:5:6::99", headers={"x-forwarded-for": "198.51.100.200"})
    assert refused["statusCode"] == 429 and refused["headers"]["x-goalpost-reason"] == "click_rate"
    assert "2001:db8:5:6::/64" in refused["body"]
    assert click_as(net, ip="2001:db8:5:7::1")["statusCode"] == 302  # another /64


def test_screening_a_click_costs_one_write_more_with_every_click_rule_on(aws: Any) -> None:
    """The issue's bound: one write beyond the session's, whatever rules are on (the user agent
    rules write nothing; the click rate and the duplicate window share the IP's ledger)."""
    net = setup_network()
    set_network(screening={"bots": {"action": "flag"}})
    click_as(net)
    with dynamodb_calls() as seen:
        click_as(net)
    assert seen == ["PutItem"]  # the user agent rules write nothing
    set_network(screening={"click_rate": {"action": "flag", "limit": 100}, "bots": {"action": "flag"}})
    click_as(net)
    with dynamodb_calls() as seen:
        click_as(net)
    assert seen == ["GetItem", "UpdateItem", "PutItem"]
    every = {"action": "flag", "limit": 100}
    set_network(
        screening={
            "click_rate": every,
            "duplicate_clicks": {"action": "flag", "limit": 3600},
            "bots": {"action": "flag"},
            "empty_user_agent": {"action": "flag"},
        }
    )
    click_as(net, ip="203.0.113.49")  # warms the config cache again
    for ip in ("203.0.113.50", "203.0.113.50"):  # a first click, then its duplicate
        with dynamodb_calls() as seen:
            click_as(net, ip=ip)
        assert seen == ["GetItem", "UpdateItem", "PutItem"], seen


def test_an_offer_that_only_tightens_a_limit_keeps_the_network_s_action(aws: Any, clock: Any) -> None:
    """A rule's action left out is inherited: an offer that sets only a stricter click-rate
    limit still refuses (it used to switch the rule off); ``off`` given switches it off."""
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    set_network(screening={"click_rate": {"action": "refuse", "limit": 100}})
    patch_offer(offer_id, {"screening": {"click_rate": {"limit": 2}}})
    assert admin("GET", f"/admin/offers/{offer_id}")[1]["screening"]["click_rate"] == {
        "action": None,
        "limit": 2,
    }
    answers = [click_as(net, ip="198.51.100.1")["statusCode"] for _ in range(4)]
    assert answers == [302, 302, 429, 429], answers
    patch_offer(offer_id, {"screening": {"click_rate": {"action": "off"}}})
    assert click_as(net, ip="198.51.100.1")["statusCode"] == 302
    patch_offer(offer_id, {"screening": {"click_rate": None}})  # the network's rule whole again
    assert admin("GET", f"/admin/offers/{offer_id}")[1]["screening"]["click_rate"] is None


# ---------------------------------------------------------------- fallback


def test_a_paused_offer_sends_its_clicks_to_its_fallback_offer_then_url_then_the_network_s(aws: Any) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    other = another_offer(net, "https://other.example.com/x")
    patch_offer(offer_id, {"status": "paused"})
    assert click_as(net)["statusCode"] == 403  # no fallback anywhere: answered as before
    assert redirected_records(aws) == []
    set_network(fallback_url="https://network.example.com/default")
    assert click_as(net)["headers"]["location"] == "https://network.example.com/default"
    patch_offer(offer_id, {"fallback_url": "https://offer.example.com/fb"})
    assert click_as(net)["headers"]["location"] == "https://offer.example.com/fb"
    patch_offer(offer_id, {"fallback_offer_id": other["offer_id"]})
    answer = click_as(net)
    assert answer["headers"]["location"] == "https://other.example.com/x"
    assert answer["headers"]["x-goalpost-reason"] == "offer_inactive" and "cookies" not in answer
    assert {r["redirected"] for r in redirected_records(aws)} == {"offer_inactive"}
    assert (
        call("ClickFunction", "GET", "/aff_c", "offer_id=999&aff_id=1")["statusCode"] == 404
    )  # unknown: 404


def test_a_fallback_offer_gets_its_own_offer_id_and_ref_in_its_url_a_fallback_url_the_refusing_offer_s(
    aws: Any,
) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    url = "https://other.example.com/x?o={offer_id}&r={offer_ref}&s={aff_sub}&t={transaction_id}"
    other = another_offer(net, url, ref_id="ADV2-77")
    patch_offer(
        offer_id,
        {
            "status": "paused",
            "ref_id": "ADV1-5",
            "fallback_offer_id": other["offer_id"],
            "fallback_url": "https://offer.example.com/fb?from={offer_id}&r={offer_ref}",
        },
    )
    location = click_as(net)["headers"]["location"]
    assert location == f"https://other.example.com/x?o={other['offer_id']}&r=ADV2-77&s=s1&t=", location
    patch_offer(other["offer_id"], {"status": "paused"})  # the fallback offer paused: the URL
    location = click_as(net)["headers"]["location"]
    assert location == f"https://offer.example.com/fb?from={offer_id}&r=ADV1-5", location


def test_a_fallback_offer_that_no_longer_exists_is_skipped(aws: Any) -> None:
    """An offer saved before fallback offers were checked may name one that does not exist:
    the click goes on to the fallback URL, as past a paused one."""
    from goalpost.store.config_store import entity_key
    from goalpost.store.dynamo import config_table

    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    patch_offer(offer_id, {"status": "paused", "fallback_url": "https://offer.example.com/fb"})
    pk, sk = entity_key("offer", offer_id)
    aws.update_item(
        TableName=config_table(),
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression="SET doc.fallback_offer_id = :gone",
        ExpressionAttributeValues={":gone": {"S": "999"}},
    )
    config_cache.clear()
    answer = click_as(net)
    assert answer["statusCode"] == 302 and answer["headers"]["location"] == "https://offer.example.com/fb"


def test_a_blocked_partner_s_clicks_go_to_the_fallback(aws: Any) -> None:
    net = setup_network()
    patch_offer(net["offer"]["offer_id"], {"fallback_url": "https://offer.example.com/fb"})
    partner_id = net["partner"]["partner_id"]
    version = admin("GET", f"/admin/partners/{partner_id}")[1]["version"]
    assert (
        admin("PATCH", f"/admin/partners/{partner_id}", {"status": "blocked"}, if_match=str(version))[0]
        == 200
    )
    answer = click_as(net)
    assert answer["statusCode"] == 302 and answer["headers"]["location"] == "https://offer.example.com/fb"
    assert answer["headers"]["x-goalpost-reason"] == "partner_inactive"


# ---------------------------------------------------------------- conversions


def conversion_of(net: dict[str, Any]) -> dict[str, Any]:
    the_stats_consumer().drain()  # an offer's records: the report projection, kept from the stream
    status, page = admin("GET", f"/admin/offers/{net['offer']['offer_id']}/conversions", query="limit=100")
    assert status == 200
    [item] = [i for i in page["items"] if i["status"] != "rejected"]
    return dict(item)


def test_too_soon_holds_or_flags_as_its_rule_says(aws: Any) -> None:
    net = setup_network(offer={"min_session_seconds": 600})
    tid = tid_of(click_as(net))
    assert code_of(postback(f"transaction_id={tid}&format=json")) == "lookback_too_soon"  # refused
    set_network(screening={"too_soon": {"action": "hold"}})
    held = postback(f"transaction_id={tid}&format=json")
    assert held["statusCode"] == 200 and '"status": "pending"' in held["body"]
    conversion = conversion_of(net)
    assert (conversion["status"], conversion["status_code"]) == ("pending", "lookback_too_soon")
    assert conversion["flags"] == ["lookback_too_soon"]


def test_too_soon_flagged_is_approved_with_its_flag(aws: Any) -> None:
    net = setup_network(offer={"min_session_seconds": 600})
    patch_offer(net["offer"]["offer_id"], {"screening": {"too_soon": {"action": "flag"}}})
    tid = tid_of(click_as(net))
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    conversion = conversion_of(net)
    assert conversion["status"] == "approved" and conversion["flags"] == ["lookback_too_soon"]


def test_a_pixel_from_another_ip_is_held_with_ip_mismatch(aws: Any) -> None:
    net = setup_network()
    set_network(screening={"ip_mismatch": {"action": "hold"}})
    tid = tid_of(click_as(net, ip="2001:db8:1:2::1"))
    cookie = f"gp_o{net['offer']['offer_id']}={tid}"
    assert (
        call("PixelFunction", "GET", "/aff_l", "", cookies=[cookie], ip="2001:db8:1:2::77")["statusCode"]
        == 200
    )
    assert conversion_of(net)["status"] == "approved"  # same /64: the same visitor
    tid2 = tid_of(click_as(net, ip="2001:db8:1:2::1"))
    cookie2 = f"gp_o{net['offer']['offer_id']}={tid2}"
    call("PixelFunction", "GET", "/aff_l", "", cookies=[cookie2], ip="198.51.100.4")
    the_stats_consumer().drain()
    _status, page = admin("GET", f"/admin/offers/{net['offer']['offer_id']}/conversions", query="limit=100")
    held = [i for i in page["items"] if i["transaction_id"] == tid2]
    assert [(i["status"], i["status_code"]) for i in held] == [("pending", "ip_mismatch")]


def test_conversions_per_visitor_ip_per_hour_are_refused_over_the_limit(aws: Any) -> None:
    """A server postback's IP is the advertiser's server: the visitor's is its click's."""
    net = setup_network()
    set_network(screening={"conversion_rate": {"action": "refuse", "limit": 2}})
    tids = [tid_of(click_as(net, ip="198.51.100.1" if n < 3 else "198.51.100.2")) for n in range(4)]
    answers = [
        call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={t}&format=json", ip="192.0.2.50")
        for t in tids[:3]
    ]
    assert [a["statusCode"] for a in answers] == [200, 200, 429]
    assert code_of(answers[2]) == "conversion_rate"
    # a retry of a counted conversion is a duplicate, never counted again
    retry = call(
        "PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tids[0]}&format=json", ip="192.0.2.50"
    )
    assert code_of(retry) == "duplicate"
    assert (
        call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tids[3]}", ip="192.0.2.51")[
            "statusCode"
        ]
        == 200
    )


def test_postbacks_from_outside_the_advertiser_s_allow_list_are_refused_code_14(aws: Any) -> None:
    net = setup_network(advertiser={"postback_ips": ["192.0.2.0/24", "2001:db8:ff::/48"]})
    tid = tid_of(click_as(net))
    refused = call(
        "PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}&format=json", ip="198.51.100.1"
    )
    assert refused["statusCode"] == 403 and code_of(refused) == "ip_not_allowed"
    forged = call(
        "PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}", ip="198.51.100.1",
        headers={"x-forwarded-for": "192.0.2.10"},
    )  # fmt: skip
    assert forged["statusCode"] == 403  # X-Forwarded-For is the client's word: not trusted
    assert (
        call("PostbackFunction", "GET", "/aff_lsr", f"transaction_id={tid}", ip="2001:db8:ff:1::9")[
            "statusCode"
        ]
        == 200
    )
    status, _ = admin("POST", "/admin/advertisers", {"name": "Bad", "postback_ips": ["not-an-ip"]})
    assert status == 422


def test_a_repeated_order_id_across_sessions_is_a_duplicate_where_the_offer_says_they_are_unique(
    aws: Any,
) -> None:
    net = setup_network()
    first, second, third = (tid_of(click_as(net)) for _ in range(3))
    assert postback(f"transaction_id={first}&adv_sub=ORDER-1")["statusCode"] == 200
    assert postback(f"transaction_id={second}&adv_sub=ORDER-1&format=json")["statusCode"] == 200
    patch_offer(net["offer"]["offer_id"], {"screening": {"unique_order_ids": True}})
    the_stats_consumer().drain()
    _status, page = admin("GET", f"/admin/offers/{net['offer']['offer_id']}/conversions", query="limit=100")
    assert len(page["items"]) == 2  # before the setting: two conversions with one order id
    assert postback(f"transaction_id={third}&adv_sub=ORDER-2")["statusCode"] == 200
    fourth = tid_of(click_as(net))
    repeat = postback(f"transaction_id={fourth}&adv_sub=ORDER-2&format=json")
    assert '"code": "duplicate_unique_id"' in repeat["body"]


def test_a_click_rule_cannot_be_held_and_the_bot_list_version_is_shown(aws: Any) -> None:
    status, current = admin("GET", "/admin/network")
    assert current["bot_list_version"] == "1.67.0"
    body = {k: v for k, v in current.items() if k not in ("version", "default_tier_id", "bot_list_version")}
    body["screening"] = {"bots": {"action": "hold"}}
    status, answer = admin("PUT", "/admin/network", body, if_match=str(current["version"]))
    assert status == 422 and "cannot be held" in str(answer)


# ---------------------------------------------------------------- stats


def test_stats_count_gross_unique_and_invalid_clicks_and_held_conversions(aws: Any, clock: Any) -> None:
    from tests.helpers import stats_pump

    pump = stats_pump(aws)
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    set_network(
        screening={
            "duplicate_clicks": {"action": "flag", "limit": 3600},
            "bots": {"action": "refuse"},
            "ip_mismatch": {"action": "hold"},
        }
    )
    first = tid_of(click_as(net))
    tid_of(click_as(net))  # the same visitor again: gross, not unique
    assert click_as(net, ua=BOT)["statusCode"] == 403  # invalid
    cookie = f"gp_o{offer_id}={first}"
    call("PixelFunction", "GET", "/aff_l", "", cookies=[cookie], ip="198.51.100.99")  # held: ip_mismatch
    pump.drain()
    status, stats = admin("GET", "/admin/stats", query=f"interval=total&offer_id={offer_id}")
    assert status == 200, stats
    totals = stats["totals"]
    assert (totals["clicks"], totals["unique_clicks"], totals["invalid_clicks"]) == (2, 1, 1)
    assert (totals["held"], totals["pending"], totals["conversions"]) == (1, 0, 0)
    # the dashboard counts them too (it had no place for them: null until screening counted)
    status, board = admin("GET", "/admin/dashboard")
    week = board["periods"]["last_7_days"]
    assert (week["clicks"], week["unique_clicks"], week["invalid_clicks"], week["held"]) == (2, 1, 1, 1)
    assert (board["invalid_clicks"], board["held_by_screening"], board["held_for_review"]) == (1, 1, 1)


# ---------------------------------------------------------------- reports


def test_the_partner_sees_its_own_held_and_refused_conversions_with_the_reason_never_another_s(
    aws: Any,
) -> None:
    from tests.helpers import partner_call

    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    status, other = admin("POST", "/admin/partners", {"name": "Partner Two"})
    assert status == 201
    set_network(
        screening={"ip_mismatch": {"action": "hold"}, "conversion_rate": {"action": "refuse", "limit": 1}}
    )
    tids = [tid_of(click_as(net, ip="198.51.100.1")) for _ in range(2)]
    other_net = {**net, "partner": other}
    other_tid = tid_of(click_as(other_net, ip="198.51.100.7"))
    assert postback(f"transaction_id={tids[0]}")["statusCode"] == 200  # approved (counted: 1 of 1)
    assert postback(f"transaction_id={tids[1]}")["statusCode"] == 429  # refused: conversion_rate
    call(
        "PixelFunction", "GET", "/aff_l", "", cookies=[f"gp_o{offer_id}={other_tid}"], ip="192.0.2.1"
    )  # held
    the_stats_consumer().drain()  # the partner's own report reads the stream's projection
    mine = json.loads(partner_call("/partner/conversions", net["partner"]["api_key"])["body"])
    assert "reason" in mine["columns"] and "status_code" not in mine["columns"]
    rows = sorted((r["status"], r["reason"]) for r in mine["items"])
    assert rows == [("approved", ""), ("rejected", "conversion_rate")]
    theirs = json.loads(partner_call("/partner/conversions", other["api_key"])["body"])
    assert [(r["status"], r["reason"]) for r in theirs["items"]] == [("pending", "ip_mismatch")]


def test_the_conversion_report_shows_the_reason_and_the_flags(aws: Any) -> None:
    net = setup_network(offer={"min_session_seconds": 600})
    set_network(screening={"too_soon": {"action": "flag"}})
    postback(f"transaction_id={tid_of(click_as(net))}")
    the_stats_consumer().drain()
    status, report = admin("GET", "/admin/conversions", query=f"offer_id={net['offer']['offer_id']}")
    assert status == 200, report
    [row] = report["items"]
    assert (row["status"], row["status_code"], row["flags"]) == (
        "approved",
        "approved_server_postback",
        "lookback_too_soon",
    )
