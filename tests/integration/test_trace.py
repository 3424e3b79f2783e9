"""Issue 29: the conversion trace answers "my conversion didn't track" for each common reason."""

from __future__ import annotations

import json
from typing import Any

from goalpost.store import config_cache
from tests.helpers import admin, click, dynamodb_calls, money, postback, setup_network, the_stats_consumer

TOKEN = "tok-secret-77"


def answer(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])


def trace(tid: str) -> dict[str, Any]:
    status, body = admin("GET", f"/admin/trace/{tid}")
    assert status == 200, body
    return body


def test_the_trace_names_why_each_conversion_failed(aws, deliveries, partners, monkeypatch) -> None:
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")
    net = setup_network(
        advertiser={"security_token": TOKEN, "security_token_applied": True},
        offer={"goals_enabled": True},
        goals=[{"name": "Signup", "end_point": True, "payout": {"flat": "1"}, "revenue": {"flat": "2"}}],
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    pixel = {
        "partner_id": partner_id,
        "kind": "postback",
        "code": partners["down"].base + "/pb?tid={transaction_id}&api_key=partner-key-9&p={payout}",
    }
    assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201

    # wrong token: refused, stored with the request as received (the token redacted)
    tid = click(offer_id, partner_id, "&aff_sub=camp-1")
    refused = postback(f"transaction_id={tid}&security_token=wrong-one&adv_sub=order-1&format=json")
    assert answer(refused)["code"] == "invalid_security_token"
    story = trace(tid)
    assert story["click"]["partner_id"] == partner_id and story["click"]["subs"] == {"aff_sub": "camp-1"}
    assert story["click"]["ip"] and story["click"]["time"]
    [event] = story["events"]
    assert (event["decision"], event["status_code"]) == ("refused", "invalid_security_token")
    assert event["note"] == "security_token is missing or wrong"
    assert event["request_query"]["security_token"] == "[redacted]"
    assert event["request_query"]["adv_sub"] == "order-1"
    assert "wrong-one" not in json.dumps(story)

    # accepted, told to a partner answering 500: the delivery's answer, tries and time are kept
    accepted = answer(postback(f"transaction_id={tid}&security_token={TOKEN}&adv_sub=order-2&format=json"))
    assert accepted["success"] is True
    deliveries.drain()
    story = trace(tid)
    converted = story["events"][-1]
    assert converted["decision"] == "approved" and converted["rules"]["payout_source"]
    assert money(converted["rules"]["payout"]) == money("2.50")
    [delivery] = converted["deliveries"]
    assert (delivery["status"], delivery["response_code"], delivery["attempts"]) == ("failed", 500, 6)
    assert delivery["answer_head"] == "ok" and delivery["took_ms"] >= 0
    assert "api_key=%5Bredacted%5D" in delivery["url"] or "api_key=[redacted]" in delivery["url"]
    assert "partner-key-9" not in json.dumps(story)

    # session closed: an end point converted, a later conversion of another goal is refused
    tid2 = click(offer_id, partner_id)
    goal_id = net["goals"][0]["goal_id"]
    closing = postback(
        f"transaction_id={tid2}&goal_id={goal_id}&security_token={TOKEN}&format=json", "/aff_goal"
    )
    assert answer(closing)["success"] is True
    late = answer(postback(f"transaction_id={tid2}&security_token={TOKEN}&format=json"))
    assert late["code"] == "session_closed"
    story = trace(tid2)
    assert story["click"]["closed_by_goal"] == goal_id
    assert [e["status_code"] for e in story["events"]][-1] == "session_closed"

    # cap reached: the refusal names the cap
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    cap = {"period": "day", "measure": "conversions", "limit": "1"}
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"caps": [cap]}, if_match=str(version))[0] == 200
    config_cache.clear()
    filled = click(offer_id, partner_id)
    assert answer(postback(f"transaction_id={filled}&security_token={TOKEN}&format=json"))["success"]
    over = click(offer_id, partner_id)
    assert (
        answer(postback(f"transaction_id={over}&security_token={TOKEN}&format=json"))["code"]
        == "offer_cap_reached"
    )
    [capped] = trace(over)["events"]
    assert capped["rules"]["cap"] == "offer_cap_reached" and capped["decision"] == "refused"
    assert trace(over)["offer_rules_now"]["caps"][0]["limit"] == "1"

    # screened: too soon after the click (the offer's lookback minimum; the too_soon rule
    # refuses by default), then held for review when the offer's rule says hold
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    patch = {"caps": [], "min_session_seconds": 60}
    assert admin("PATCH", f"/admin/offers/{offer_id}", patch, if_match=str(version))[0] == 200
    config_cache.clear()
    hasty = click(offer_id, partner_id)
    refused = answer(postback(f"transaction_id={hasty}&security_token={TOKEN}&format=json"))
    assert refused["code"] == "lookback_too_soon"
    [screened] = trace(hasty)["events"]
    assert (screened["decision"], screened["status_code"]) == ("refused", "lookback_too_soon")
    assert screened["rules"]["screening"] == ["lookback_too_soon"]
    assert screened["rules"]["lookback"] == "lookback_too_soon"
    assert "after the click" in screened["note"]
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    hold = {"screening": {"too_soon": {"action": "hold"}}}
    assert admin("PATCH", f"/admin/offers/{offer_id}", hold, if_match=str(version))[0] == 200
    config_cache.clear()
    held_tid = click(offer_id, partner_id)
    held = answer(postback(f"transaction_id={held_tid}&security_token={TOKEN}&format=json"))
    assert (held["success"], held["status"]) == (True, "pending")
    [kept] = trace(held_tid)["events"]
    assert (kept["decision"], kept["status_code"]) == ("pending", "lookback_too_soon")
    assert kept["rules"]["screening"] == ["lookback_too_soon"]

    # the same trace by conversion id, and by the advertiser's order id on the offer
    status, by_id = admin("GET", "/admin/trace", query=f"conversion_id={converted['conversion_id']}")
    assert status == 200 and by_id["transaction_id"] == tid, by_id
    the_stats_consumer().drain()  # the search by order id reads the offer's report projection
    status, by_order = admin("GET", f"/admin/offers/{offer_id}/trace", query="adv_sub=order-2")
    assert status == 200 and [t["transaction_id"] for t in by_order["traces"]] == [tid]
    assert admin("GET", "/admin/trace/" + "0" * 32)[0] == 404


def test_a_trace_reads_by_key_and_bounded_queries(aws) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    trace(tid)  # the config cache warm
    with dynamodb_calls() as calls:
        story = trace(tid)
    assert sorted(calls) == ["GetItem", "Query", "Query"]
    assert story["reads"] == {"get_item": 1, "query": 2}


def test_refusals_that_matched_no_session_are_kept_by_offer_and_hour_bounded(aws, clock) -> None:
    from datetime import UTC, datetime

    clock.at = datetime(2026, 11, 25, 12, 30, 5, tzinfo=UTC).timestamp()
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    unknown = "ab" * 16
    refused = postback(
        f"transaction_id={unknown}&offer_id={offer_id}&security_token=s3cret&adv_sub=o-9&format=json"
    )
    assert answer(refused)["code"] == "unknown_transaction"
    status, found = admin("GET", f"/admin/unmatched/{offer_id}", query="from=2026-11-25T12&to=2026-11-25T12")
    assert status == 200, found
    [kept] = found["items"]
    assert (kept["code"], kept["transaction_id"]) == ("unknown_transaction", unknown)
    assert (
        kept["request_query"]["security_token"] == "[redacted]" and kept["request_query"]["adv_sub"] == "o-9"
    )
    assert "s3cret" not in json.dumps(found)
    # a request naming no offer is kept under "-"
    postback(f"transaction_id={'cd' * 16}")
    assert [
        i["transaction_id"]
        for i in admin("GET", "/admin/unmatched/-", query="from=2026-11-25T12")[1]["items"]
    ] == ["cd" * 16]
    # a storm within one minute keeps at most 4 (one slot a quarter of the minute's four)
    for n in range(40):
        postback(f"transaction_id={n:032x}&offer_id={offer_id}")
    items = admin("GET", f"/admin/unmatched/{offer_id}", query="from=2026-11-25T12")[1]["items"]
    assert len(items) <= 4
    # kept a week: the item carries the table's TTL attribute
    stored = aws.query(
        TableName=_conversions_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"UNMATCHED#{offer_id}#2026-11-25T12"}},
    )["Items"]
    assert all(int(i["guard_expires_at"]["N"]) == int(clock.at) + 7 * 86400 for i in stored)
    # the hour after: nothing; more than 24 hours at once: refused
    assert (
        admin("GET", f"/admin/unmatched/{offer_id}", query="from=2026-11-25T13&to=2026-11-25T13")[1]["items"]
        == []
    )
    assert admin("GET", f"/admin/unmatched/{offer_id}", query="from=2026-11-24T00&to=2026-11-25T12")[0] == 400

    # the valid path reads and writes as before (tests/integration/test_postback.py): the
    # session, the conversion's own conditional write (the config cache warm)
    assert answer(postback(f"transaction_id={click(offer_id, partner_id)}&format=json"))["success"]
    tid = click(offer_id, partner_id)
    with dynamodb_calls() as calls:
        assert answer(postback(f"transaction_id={tid}&format=json"))["success"]
    assert calls == ["GetItem", "PutItem"], calls


def _conversions_table() -> str:
    from goalpost import settings

    return settings.conversions_table()


def test_a_test_conversion_is_traced_and_never_paid_counted_capped_or_delivered(
    aws, stats_consumer, deliveries, partners
) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    pixel = {
        "partner_id": partner_id,
        "kind": "postback",
        "code": partners["ok"].base + "/pb?tid={transaction_id}",
    }
    assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    cap = {"period": "day", "measure": "conversions", "limit": "1"}
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"caps": [cap]}, if_match=str(version))[0] == 200
    config_cache.clear()

    tid = click(offer_id, partner_id)
    for _ in range(3):  # tested three times: three test records, none of them on the cap
        tested = answer(postback(f"transaction_id={tid}&amount=10&adv_sub=ord-t&test=1&format=json"))
        assert (tested["success"], tested["code"], tested["status"]) == (True, "debug_test", "test")
    test_id = tested["conversion_id"]
    deliveries.drain()
    stats_consumer.drain()

    # delivery: no partner was told
    assert partners["ok"].hits == []
    # stats: no conversion, no money
    totals = admin("GET", "/admin/stats", query="interval=total")[1]["totals"]
    assert (totals["conversions"], money(totals["payout"]), money(totals["revenue"])) == (0, 0, 0)
    # payout: the admin cannot approve it (neither one by one nor in bulk), the advertiser's
    # status postback does not find it
    assert (
        admin("PATCH", f"/admin/conversions/{test_id}", {"status": "approved", "note": "x"})[1]["error"][
            "code"
        ]
        == "not_adjustable"
    )
    decided = admin(
        "POST", "/admin/conversions/decisions", {"conversion_ids": [test_id], "status": "approved"}
    )
    assert decided[1]["items"][0]["status"] == "test"
    assert (
        answer(postback(f"transaction_id={tid}&adv_sub=ord-t&status=approved&format=json"))["success"]
        is False
    )
    # caps: the real conversion still fits in the cap of one
    real = answer(postback(f"transaction_id={tid}&format=json"))
    assert real["success"] is True and real["status"] == "approved"
    # the trace shows the tests, with what they would have been worth
    story = trace(tid)
    tests = [e for e in story["events"] if e["status"] == "test"]
    assert len(tests) == 3 and all(e["request_query"]["test"] == "1" for e in tests)
    assert money(tests[0]["rules"]["payout"]) == money("2.50")
    deliveries.drain()
    stats_consumer.drain()
    assert len(partners["ok"].hits) == 1
    totals = admin("GET", "/admin/stats", query="interval=total")[1]["totals"]
    assert (totals["conversions"], money(totals["payout"])) == (1, money("2.50"))


def test_the_postback_tester_sends_signed_sample_macros_and_refuses_private_addresses(
    aws, partners, monkeypatch
) -> None:
    net = setup_network()
    offer_id, partner = net["offer"]["offer_id"], net["partner"]
    code = partners["ok"].base + "/pb?tid={transaction_id}&s={aff_sub}&p={payout}&key=k-1"
    pixel = {"partner_id": partner["partner_id"], "kind": "postback", "code": code}
    status, made = admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)
    assert status == 201
    path = f"/admin/offers/{offer_id}/partner-pixels/{made['pixel_id']}/test"
    status, tested = admin("POST", path, {"macros": {"aff_sub": "mine"}})
    assert status == 200, tested
    assert (tested["outcome"], tested["status"], tested["body"]) == ("delivered", 200, "ok")
    assert "s=mine" in tested["url"] and "tid=" + "0" * 32 in tested["url"] and "k-1" not in tested["url"]
    assert tested["took_ms"] >= 0 and tested["headers"]["content-length"] == "2"
    [hit] = partners["ok"].hits
    assert hit["headers"]["X-Goalpost-Test"] == "1"
    from tests.integration.test_partner_deliveries import verify

    assert verify(partner["postback_secret"], partners["ok"].base + hit["path"], hit["headers"])

    # the same guard as real deliveries: a private address is refused, nothing is sent
    inside = {
        "partner_id": partner["partner_id"],
        "kind": "postback",
        "code": "http://127.0.0.1/pb?t={transaction_id}",
    }
    status, made = admin("POST", f"/admin/offers/{offer_id}/partner-pixels", inside)
    assert status == 201, made
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "")
    status, refused = admin("POST", f"/admin/offers/{offer_id}/partner-pixels/{made['pixel_id']}/test", {})
    assert status == 200 and refused["outcome"] == "refused", refused
    assert "resolves to non-public address 127.0.0.1" in refused["error"]
    assert len(partners["ok"].hits) == 1


def test_a_partner_traces_its_own_clicks_only_without_revenue_or_private_goals(
    aws, deliveries, partners
) -> None:
    from tests.helpers import partner_call

    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Secret", "private": True}])
    offer_id, partner = net["offer"]["offer_id"], net["partner"]
    pixel = {
        "partner_id": partner["partner_id"],
        "kind": "postback",
        "code": partners["ok"].base + "/pb?t={transaction_id}",
    }
    assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201
    status, other = admin("POST", "/admin/partners", {"name": "Partner Two"})
    assert status == 201
    tid = click(offer_id, partner["partner_id"], "&aff_sub=mine")
    assert answer(postback(f"transaction_id={tid}&format=json"))["success"]
    secret_goal = net["goals"][0]["goal_id"]
    assert answer(postback(f"transaction_id={tid}&goal_id={secret_goal}&format=json", "/aff_goal"))["success"]
    deliveries.drain()

    response = partner_call(f"/partner/trace/{tid}", partner["api_key"])
    assert response["statusCode"] == 200, response
    story = json.loads(response["body"])
    [event] = story["events"]  # the private goal's conversion is not shown
    assert event["goal_id"] == "0" and event["aff_sub"] == "mine" and money(event["payout"]) == money("2.50")
    assert "revenue" not in json.dumps(story) and "advertiser_id" not in event
    [delivery] = event["deliveries"]
    assert (delivery["status"], delivery["response_code"], delivery["answer_head"]) == (
        "delivered",
        200,
        "ok",
    )
    # another partner's click is not found, as an unknown one
    assert partner_call(f"/partner/trace/{tid}", other["api_key"])["statusCode"] == 404
    assert partner_call(f"/partner/trace/{'e' * 32}", partner["api_key"])["statusCode"] == 404


def test_a_refused_postback_keeps_its_request_in_the_write_it_already_made(aws) -> None:
    net = setup_network(advertiser={"security_token": TOKEN, "security_token_applied": True})
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    postback(f"transaction_id={click(offer_id, partner_id)}&security_token=x")  # the config cache warm
    tid = click(offer_id, partner_id)
    with dynamodb_calls() as calls:
        assert answer(postback(f"transaction_id={tid}&security_token=bad&format=json"))["code"] == (
            "invalid_security_token"
        )
    assert calls == ["GetItem", "TransactWriteItems"]  # the session; the refusal with its counter
    [event] = trace(tid)["events"]
    assert event["request_query"] == {"transaction_id": tid, "security_token": "[redacted]", "format": "json"}


def test_the_trace_says_how_each_goal_was_resolved_and_the_refusal_too(aws, deliveries, partners) -> None:
    """ "Goal resolved by what": stored on the record the request writes anyway (no extra write)."""
    from tests.helpers import call, partner_call

    net = setup_network(
        offer={"goals_enabled": True},
        goals=[
            {"name": "Lead", "allow_multiple": True, "ref_id": "LEAD-REF"},
            {"name": "Sale", "encrypted": True},
        ],
    )
    offer_id, partner = net["offer"]["offer_id"], net["partner"]
    partner_id = partner["partner_id"]
    lead, sale = net["goals"]
    tid = click(offer_id, partner_id)
    sent = {
        "default_goal": ("/aff_lsr", f"transaction_id={tid}"),
        "goal_id": ("/aff_goal", f"a=lsr&transaction_id={tid}&goal_id={lead['goal_id']}&adv_sub=a"),
        "goal_name": ("/aff_goal", f"a=lsr&transaction_id={tid}&goal_name={lead['slug']}&adv_sub=b"),
        "goal_ref": ("/aff_goal", f"a=lsr&transaction_id={tid}&goal_ref=LEAD-REF&adv_sub=c"),
        "encrypted_link": (
            "/aff_goal",
            f"a=lsr&transaction_id={tid}&enc={sale['links']['postback'].split('enc=', 1)[1].split('&', 1)[0]}",
        ),
    }
    for how, (path, query) in sent.items():
        assert answer(postback(query + "&format=json", path))["success"], how
    # the advertiser's pixel naming its goal by slug (a=l), found by its tracking cookie
    pixel = call(
        "PostbackFunction", "GET", "/aff_goal", f"a=l&goal_name={lead['slug']}&offer_id={offer_id}",
        cookies=[f"gp_o{offer_id}={tid}"],
    )  # fmt: skip
    assert pixel["headers"]["x-goalpost-code"] == "approved_client_cookie", pixel
    # refused: the goal looked for by name and not found
    missing = answer(postback(f"a=lsr&transaction_id={tid}&goal_name=nope&format=json", "/aff_goal"))
    assert missing["code"] == "goal_not_found"

    events = trace(tid)["events"]
    resolved = {
        (e["goal_id"] if e.get("goal_id") else e.get("requested_goal"), e.get("via"), e["rules"]["goal_by"])
        for e in events
    }
    assert resolved == {
        ("0", "server_postback", "default_goal"),
        (lead["goal_id"], "server_postback", "goal_id"),
        (lead["goal_id"], "server_postback", "goal_name"),
        (lead["goal_id"], "server_postback", "goal_ref"),
        (sale["goal_id"], "server_postback", "encrypted_link"),
        (lead["goal_id"], "client_cookie", "goal_name"),
        ("nope", "server_postback", "goal_name"),
    }
    # the partner's trace says it too (how the advertiser named the goal; nothing private)
    deliveries.drain()
    story = json.loads(partner_call(f"/partner/trace/{tid}", partner["api_key"])["body"])
    assert {e["goal_by"] for e in story["events"]} == {
        "default_goal", "goal_id", "goal_name", "goal_ref", "encrypted_link",
    }  # fmt: skip
    # an unmatched refusal keeps it as well
    postback(f"a=lsr&transaction_id={'f' * 32}&offer_id={offer_id}&goal_ref=X", "/aff_goal")
    [kept] = admin("GET", f"/admin/unmatched/{offer_id}")[1]["items"]
    assert kept["goal_by"] == "goal_ref"


def _test_network(partners: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An offer with a cap of one a day, and a partner with a postback and an image pixel."""
    net = setup_network()
    offer_id, partner = net["offer"]["offer_id"], net["partner"]
    for kind, code in (
        ("postback", partners["ok"].base + "/pb?tid={transaction_id}&test={test}&p={payout}"),
        ("image", "https://img.partner.example/px?tid={transaction_id}&test={test}"),
    ):
        pixel = {"partner_id": partner["partner_id"], "kind": kind, "code": code}
        assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    cap = {"period": "day", "measure": "conversions", "limit": "1"}
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"caps": [cap]}, if_match=str(version))[0] == 200
    config_cache.clear()
    return offer_id, partner


def _pixel_test_id(tid: str, other_than: str) -> str:
    """The told test the advertiser's pixel recorded (the one other told test of the session)."""
    [found] = [
        e["conversion_id"]
        for e in trace(tid)["events"]
        if e.get("test_delivery") and e["via"] == "client_cookie" and e["conversion_id"] != other_than
    ]
    return str(found)


def _nothing_paid_counted_or_capped(offer_id: str, partner_id: str, stats_consumer: Any) -> None:
    stats_consumer.drain()
    totals = admin("GET", "/admin/stats", query="interval=total")[1]["totals"]
    assert (totals["conversions"], money(totals["payout"]), money(totals["revenue"])) == (0, 0, 0)
    real = answer(postback(f"transaction_id={click(offer_id, partner_id)}&format=json"))
    assert (real["success"], real["status"]) == (True, "approved")  # the cap of one still has room


def test_a_test_conversion_is_told_to_the_partner_only_when_the_tester_asks(
    aws, stats_consumer, deliveries, partners
) -> None:
    from tests.helpers import call

    offer_id, partner = _test_network(partners)
    partner_id = partner["partner_id"]
    tid = click(offer_id, partner_id)
    quiet = answer(postback(f"transaction_id={tid}&test=1&format=json"))
    told = answer(postback(f"transaction_id={tid}&test=1&test_delivery=1&format=json"))
    assert (quiet["status"], told["status"]) == ("test", "test") and "told to the partner" in told["reason"]
    deliveries.drain()
    # only the test the tester asked about reached the partner, marked as a test, signed
    [hit] = partners["ok"].hits
    assert f"tid={tid}" in hit["path"] and "test=1" in hit["path"]
    assert hit["headers"]["X-Goalpost-Test"] == "1"
    assert hit["headers"]["X-Goalpost-Delivery"] == f"{told['conversion_id']}.test.1"
    from tests.integration.test_partner_deliveries import verify

    assert verify(partner["postback_secret"], partners["ok"].base + hit["path"], hit["headers"])
    # the advertiser's pixel: the partner's image pixel only when asked, with {test} = 1
    cookie = [f"gp_o{offer_id}={tid}"]
    silent = call("PixelFunction", "GET", "/aff_l", f"offer_id={offer_id}&test=1", cookies=cookie)
    assert silent["statusCode"] == 200 and silent["headers"]["x-goalpost-code"] == "debug_test"
    shown = call(
        "PixelFunction", "GET", "/aff_l", f"offer_id={offer_id}&test=1&test_delivery=1", cookies=cookie
    )
    assert shown["statusCode"] == 302, shown
    assert shown["headers"]["location"] == f"https://img.partner.example/px?tid={tid}&test=1"
    # the trace shows which test was told, and its delivery as a test
    events = {e["conversion_id"]: e for e in trace(tid)["events"]}
    assert events[told["conversion_id"]]["test_delivery"] is True
    assert "test_delivery" not in events[quiet["conversion_id"]]
    [delivery] = events[told["conversion_id"]]["deliveries"]
    assert (delivery["status"], delivery["test"]) == ("delivered", "1")
    # the partner's own trace shows the test it was told of (as a test), never the quiet one
    from tests.helpers import partner_call

    mine = json.loads(partner_call(f"/partner/trace/{tid}", partner["api_key"])["body"])
    told_ids = {told["conversion_id"], shown_id := _pixel_test_id(tid, told["conversion_id"])}
    assert {e["conversion_id"] for e in mine["events"]} == told_ids and shown_id
    assert {e["status"] for e in mine["events"]} == {"test"}
    assert "revenue" not in json.dumps(mine)
    # never paid, in stats money or on a cap; not approvable
    _status, body = admin(
        "PATCH", f"/admin/conversions/{told['conversion_id']}", {"status": "approved", "note": "x"}
    )
    assert body["error"]["code"] == "not_adjustable"
    _nothing_paid_counted_or_capped(offer_id, partner_id, stats_consumer)


def test_tunes_test_status_codes_record_tests_under_their_codes(aws, stats_consumer, partners) -> None:
    offer_id, partner = _test_network(partners)
    tid = click(offer_id, partner["partner_id"])
    codes = {}
    for sent in ("status=21", "status=22", "status=23", "test=1"):
        got = answer(postback(f"transaction_id={tid}&{sent}&format=json"))
        assert (got["success"], got["status"]) == (True, "test"), (sent, got)
        codes[sent] = got["code"]
    assert codes == {
        "status=21": "employee_test", "status=22": "affiliate_test", "status=23": "debug_test",
        "test=1": "debug_test",
    }  # fmt: skip
    assert sorted(e["status_code"] for e in trace(tid)["events"]) == sorted(codes.values())
    assert answer(postback(f"transaction_id={tid}&status=24&format=json"))["code"] == "bad_status"
    _nothing_paid_counted_or_capped(offer_id, partner["partner_id"], stats_consumer)


def test_an_admins_test_link_opens_a_session_whose_conversions_are_all_tests(
    aws, stats_consumer, deliveries, partners
) -> None:
    offer_id, partner = _test_network(partners)
    partner_id = partner["partner_id"]
    status, made = admin("GET", f"/admin/offers/{offer_id}/test-link", query=f"partner_id={partner_id}")
    assert status == 200, made
    link = made["tracking_link"]
    assert link.startswith(f"https://track.example.net/aff_c?offer_id={offer_id}&aff_id={partner_id}&test=")
    token = link.split("&test=", 1)[1]
    tid = click(offer_id, partner_id, f"&test={token}&aff_sub=qa")
    for _ in range(2):  # the default goal twice: tests have no duplicate guard
        got = answer(postback(f"transaction_id={tid}&adv_sub=o-1&format=json"))
        assert (got["success"], got["status"], got["code"]) == (True, "test", "employee_test")
    story = trace(tid)
    assert story["click"]["test_link"] == token
    assert [e["status_code"] for e in story["events"]] == ["employee_test", "employee_test"]
    deliveries.drain()
    assert partners["ok"].hits == []  # the link did not ask for delivery
    # a link asking for delivery: its tests reach the partner, marked as tests
    status, told = admin(
        "GET", f"/admin/offers/{offer_id}/test-link", query=f"partner_id={partner_id}&test_delivery=true"
    )
    assert status == 200 and told["test_delivery"] is True
    tid2 = click(offer_id, partner_id, "&test=" + told["tracking_link"].split("&test=", 1)[1])
    assert answer(postback(f"transaction_id={tid2}&format=json"))["code"] == "employee_test"
    deliveries.drain()
    [hit] = partners["ok"].hits
    assert f"tid={tid2}" in hit["path"] and hit["headers"]["X-Goalpost-Test"] == "1"
    # a token this network did not sign, or signed for another partner, makes no test session
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    status, other = admin("POST", "/admin/partners", {"name": "Partner Two"})
    elsewhere = click(offer_id, other["partner_id"], f"&test={token}")
    assert answer(postback(f"transaction_id={elsewhere}&format=json"))["status"] == "approved"
    assert admin("GET", f"/admin/offers/{offer_id}/test-link", query="partner_id=999")[0] == 404
    assert admin("GET", "/admin/offers/999/test-link", query=f"partner_id={partner_id}")[0] == 404
    stats_consumer.drain()
    totals = admin("GET", "/admin/stats", query="interval=total")[1]["totals"]
    assert totals["conversions"] == 1  # only the forged-for-another-partner one, a real conversion
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"caps": []}, if_match=str(version))[0] == 200
    config_cache.clear()
    real = answer(postback(f"transaction_id={click(offer_id, partner_id, '&test=' + forged)}&format=json"))
    assert real["status"] == "approved"


def test_a_partner_tests_its_own_postbacks_through_the_guard_and_never_anothers(
    aws, partners, monkeypatch
) -> None:
    from tests.integration.test_partner_deliveries import verify
    from tests.integration.test_security import network_settings, partner_request

    net = setup_network()
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    status, other = admin("POST", "/admin/partners", {"name": "Partner Two"})
    assert status == 201
    code = partners["ok"].base + "/pb?tid={transaction_id}&s={aff_sub}&test={test}&key=mine-9"
    mine = {"partner_id": me["partner_id"], "kind": "postback", "code": code}
    status, made = admin("POST", f"/admin/offers/{offer_id}/partner-pixels", mine)
    assert status == 201
    theirs = {**mine, "partner_id": other["partner_id"], "code": partners["ok"].base + "/theirs"}
    status, their_pixel = admin("POST", f"/admin/offers/{offer_id}/partner-pixels", theirs)
    assert status == 201
    path = f"/partner/offers/{offer_id}/postbacks/{made['pixel_id']}/test"

    # only where the network lets partners manage their postbacks
    status, refused = partner_request("POST", path, me, {})
    assert status == 403 and refused["error"]["code"] == "postbacks_managed_by_network", refused
    network_settings(partners_manage_postbacks=True)

    status, tested = partner_request("POST", path, me, {"macros": {"aff_sub": "camp"}})
    assert status == 200, tested
    assert (tested["outcome"], tested["status"], tested["body"]) == ("delivered", 200, "ok")
    assert "s=camp" in tested["url"] and "mine-9" not in tested["url"] and "test=0" in tested["url"]
    [hit] = partners["ok"].hits
    assert hit["headers"]["X-Goalpost-Test"] == "1"
    assert verify(me["postback_secret"], partners["ok"].base + hit["path"], hit["headers"])

    # another partner's pixel: not found, as an unknown one; nothing sent
    foreign = f"/partner/offers/{offer_id}/postbacks/{their_pixel['pixel_id']}/test"
    assert partner_request("POST", foreign, me, {})[0] == 404
    assert partner_request("POST", f"/partner/offers/{offer_id}/postbacks/999/test", me, {})[0] == 404
    assert len(partners["ok"].hits) == 1

    # the same SSRF guard as real deliveries: a private address is refused, nothing sent
    inside = {
        "partner_id": me["partner_id"],
        "kind": "postback",
        "code": "http://10.0.0.7/pb?t={transaction_id}",
    }
    status, made = admin("POST", f"/admin/offers/{offer_id}/partner-pixels", inside)
    assert status == 201, made
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "")
    status, blocked = partner_request(
        "POST", f"/partner/offers/{offer_id}/postbacks/{made['pixel_id']}/test", me, {}
    )
    assert status == 200 and blocked["outcome"] == "refused", blocked
    assert "resolves to non-public address 10.0.0.7" in blocked["error"]
    assert len(partners["ok"].hits) == 1
