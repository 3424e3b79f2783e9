"""Issue 12: the money path's gates hold and its records tell the truth (each test fails on the old main)."""

from __future__ import annotations

import html
import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from goalpost.model.audit import Audit
from goalpost.model.conversion import Conversion
from goalpost.rules.status import adjustment
from goalpost.store import config_cache, config_store, conversion_store, session_store
from tests.helpers import ADMIN, admin, call, click, conversions, partner_call, postback, setup_network


def goal_postback(tid: str, extra: str, path: str = "/aff_goal") -> dict[str, Any]:
    prefix = "a=lsr&" if path == "/aff_goal" else ""
    response = postback(f"{prefix}transaction_id={tid}&format=json&{extra}", path=path)
    return {"http": response["statusCode"], **json.loads(response["body"])}


def version_of(path: str) -> str:
    status, doc = admin("GET", path)
    assert status == 200, doc
    return f'"{doc["version"]}"'


def patch(path: str, body: dict[str, Any]) -> tuple[int, Any]:
    return admin("PATCH", path, body, if_match=version_of(path))


def rows(offer_id: str) -> list[dict[str, Any]]:
    return sorted(conversions(offer_id), key=lambda c: c["created_at"])


# ------------------------------------------------------------------ 1. status updates never revive a refusal


def test_a_status_postback_cannot_approve_a_stored_refusal(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[
            {"name": "Sale", "encrypted": True, "payout": {"flat": "5"}},
            {"name": "Close", "end_point": True},
        ],
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    refused = goal_postback(tid, "goal_name=sale&adv_sub=ORDER1")
    assert (refused["http"], refused["code"]) == (403, "encrypted_required")
    revived = goal_postback(tid, "goal_name=sale&adv_sub=ORDER1&status=approved")
    assert (revived["http"], revived["code"]) == (404, "unknown_conversion")
    assert [(c["status"], c["status_code"]) for c in rows(offer_id)] == [("rejected", "encrypted_required")]

    # the same after session_closed: the refusal of a closed session stays refused
    assert goal_postback(tid, "goal_name=close")["http"] == 200
    closed = goal_postback(tid, "goal_id=0&adv_sub=ORDER2", path="/aff_lsr")
    assert (closed["http"], closed["code"]) == (409, "session_closed")
    again = goal_postback(tid, "adv_sub=ORDER2&status=approved", path="/aff_lsr")
    assert (again["http"], again["code"]) == (404, "unknown_conversion")
    assert sorted(c["status"] for c in rows(offer_id)) == ["approved", "rejected", "rejected"]


def test_a_refusal_cannot_be_approved_even_by_its_storage_key(aws) -> None:
    """The store itself refuses to move a REJECTED# item's status (defence in depth)."""
    net = setup_network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert goal_postback(tid, "offer_id=999", path="/aff_lsr")["http"] == 422  # offer_mismatch, stored
    refusal = Conversion.from_dict(
        next(i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("REJECTED#"))
    )
    key = conversion_store.stored_key(refusal)
    assert key is not None and key["sk"]["S"].startswith("REJECTED#")  # its own item, not a CONV# one
    change = adjustment(
        refusal,
        new_status="approved",
        reason="x",
        at="2026-01-01T00:00:00Z",
        via="admin",
        actor="t",
        amounts={},
    )
    changed = conversion_store.adjust_conversion_status(refusal, change)
    assert changed is False


# ------------------------------------------------------------------ 2. blocked partners, inactive offers


@pytest.mark.parametrize(
    ("what", "change", "code"),
    [
        ("partner", {"status": "blocked"}, "partner_inactive"),
        ("offer", {"status": "paused"}, "offer_inactive"),
        ("offer", {"status": "deleted"}, "offer_inactive"),
        ("advertiser", {"status": "paused"}, "advertiser_inactive"),
    ],
)
def test_sessions_opened_before_a_block_or_pause_convert_nothing(aws, what, change, code) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    entity_id = {"partner": partner_id, "offer": offer_id, "advertiser": net["advertiser"]["advertiser_id"]}
    status, _ = patch(f"/admin/{what}s/{entity_id[what]}", change)
    assert status == 200
    refused = goal_postback(tid, "adv_sub=A1", path="/aff_lsr")
    assert (refused["http"], refused["code"]) == (403, code)
    assert [(c["status"], c["status_code"], c.get("payout")) for c in rows(offer_id)] == [
        ("rejected", code, None)
    ]


# ------------------------------------------------------------------ 3. the goal's advertiser token decides


def test_the_token_of_the_goals_own_advertiser_decides(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    status, other = admin(
        "POST",
        "/admin/advertisers",
        {"name": "Upsell Inc", "security_token": "goal-tok-222", "security_token_applied": True},
    )
    assert status == 201
    status, goal = admin(
        "POST", f"/admin/offers/{offer_id}/goals", {"name": "Upsell", "advertiser_id": other["advertiser_id"]}
    )
    assert status == 201
    assert goal["links"]["postback_by_name"].endswith("&security_token=HIDDEN")
    tid = click(offer_id, partner_id)
    assert goal_postback(tid, "goal_name=upsell")["code"] == "invalid_security_token"

    # both advertisers with a token: the offer's is refused on the goal, the goal's accepted
    adv = net["advertiser"]["advertiser_id"]
    assert (
        patch(
            f"/admin/advertisers/{adv}", {"security_token": "offer-tok-111", "security_token_applied": True}
        )[0]
        == 200
    )
    assert (
        goal_postback(tid, "goal_name=upsell&security_token=offer-tok-111")["code"]
        == "invalid_security_token"
    )
    accepted = goal_postback(tid, "goal_name=upsell&security_token=goal-tok-222")
    assert accepted["http"] == 200 and accepted["success"] is True
    upsell = next(c for c in rows(offer_id) if c["status"] == "approved")
    assert upsell["advertiser_id"] == other["advertiser_id"]


def test_status_updates_are_judged_by_the_conversions_advertiser(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    offer_id = net["offer"]["offer_id"]
    _, other = admin(
        "POST",
        "/admin/advertisers",
        {"name": "B", "security_token": "goal-tok-222", "security_token_applied": True},
    )
    admin(
        "POST", f"/admin/offers/{offer_id}/goals", {"name": "Upsell", "advertiser_id": other["advertiser_id"]}
    )
    tid = click(offer_id, net["partner"]["partner_id"])
    assert goal_postback(tid, "goal_name=upsell&adv_sub=O9&security_token=goal-tok-222")["http"] == 200
    forged = goal_postback(tid, "adv_sub=O9&status=rejected", path="/aff_lsr")
    assert (forged["http"], forged["code"]) == (403, "invalid_security_token")
    assert (
        goal_postback(tid, "adv_sub=O9&status=rejected&security_token=goal-tok-222", path="/aff_lsr")["http"]
        == 200
    )


def test_pixels_found_by_cookie_need_no_token_those_naming_a_transaction_do(aws) -> None:
    net = setup_network(advertiser={"security_token": "tok-123456", "security_token_applied": True})
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    by_id = call("PixelFunction", "GET", "/aff_l", f"offer_id={offer_id}&transaction_id={tid}")
    assert by_id["headers"]["x-goalpost-code"] == "invalid_security_token"
    by_cookie = call(
        "PixelFunction", "GET", "/aff_l", f"offer_id={offer_id}", cookies=[f"gp_o{offer_id}={tid}"]
    )
    assert by_cookie["headers"]["x-goalpost-code"] == "approved_client_cookie"


# ------------------------------------------------------------------ also expected: adv_id and currency


def test_adv_id_of_another_advertiser_and_a_currency_without_a_rate_are_refused_not_ignored(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"percent": "10"}}])
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    other = goal_postback(tid, "goal_name=sale&adv_id=999&amount=10")
    assert (other["http"], other["code"]) == (422, "advertiser_mismatch")
    euros = goal_postback(tid, "goal_name=sale&currency=EUR&amount=10")  # converted, but no rate is in force
    assert (euros["http"], euros["code"]) == (422, "no_exchange_rate")
    gold = goal_postback(
        tid, "goal_name=sale&currency=XAU&amount=10"
    )  # ISO 4217, but no money a network pays
    assert (gold["http"], gold["code"]) == (400, "invalid_currency")
    bad = goal_postback(tid, "goal_name=sale&currency=E1R&amount=10")
    assert (bad["http"], bad["code"]) == (400, "invalid_currency")
    adv = net["advertiser"]["advertiser_id"]
    ok = goal_postback(tid, f"goal_name=sale&adv_id={adv}&currency=usd&amount=10")
    assert ok["http"] == 200 and ok["success"] is True
    assert sorted(c["status_code"] for c in rows(offer_id)) == [
        "advertiser_mismatch",
        "approved_server_postback",
        "no_exchange_rate",
    ]


# ------------------------------------------------------------------ 4. open redirect


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com{aff_sub}/",
        "https://{aff_sub}/",
        "https://shop.example.com:{aff_sub2}/x",
        "{aff_sub}",
    ],
)
def test_offer_urls_with_macros_in_the_origin_are_refused_on_save(aws, url) -> None:
    net = setup_network()
    status, body = admin(
        "POST",
        "/admin/offers",
        {"name": "X", "advertiser_id": net["advertiser"]["advertiser_id"], "offer_url": url},
    )
    reason = json.dumps(body)
    assert status == 422 and ("host" in reason or "absolute" in reason)
    status, _ = patch(f"/admin/offers/{net['offer']['offer_id']}", {"offer_url": url})
    assert status == 422
    status, _ = admin(
        "POST",
        f"/admin/offers/{net['offer']['offer_id']}/partner-pixels",
        {"partner_id": net["partner"]["partner_id"], "kind": "image", "code": url},
    )
    assert status == 422


def test_an_offer_url_stored_before_the_rule_never_redirects_elsewhere(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    doc = config_store.get_entity("offer", offer_id)
    assert doc is not None
    unsafe = {**doc, "offer_url": "https://shop.example.com{aff_sub}/landing"}
    assert config_store.save_entity(
        "offer", offer_id, {k: v for k, v in unsafe.items() if k != "version"},
        audit=Audit("test", "2026-01-01T00:00:00Z", "update", doc, None),
        expected_version=int(doc["version"]),
    )  # fmt: skip
    from tests.integration.test_screening import set_network

    set_network(screening={"duplicate_clicks": {"action": "flag"}})
    config_cache.clear()
    response = call("ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id=1&aff_sub=.evil.example")
    assert response["statusCode"] == 409 and "location" not in response["headers"]
    assert response["headers"]["x-goalpost-reason"] == "unsafe_offer_url"
    assert aws.scan(TableName="test-SessionsTable")["Count"] == 0
    stats = aws.scan(TableName="test-StatsTable")["Items"]
    assert [i for i in stats if i["pk"]["S"].startswith("SCREEN#")] == []  # refused first: no window opened


# ------------------------------------------------------------------ 5. script injection in iframe pixels


@pytest.mark.parametrize(
    "code",
    [
        "<script>var s = {aff_sub};</script>",
        "<a href={aff_sub}>x</a>",
        '<a href="{aff_sub}">x</a>',
        '<img src="x" onerror="{aff_sub}">',
        '<div style="background:{aff_sub}"></div>',
        "<!-- {aff_sub} -->",
    ],
)
def test_html_pixels_with_macros_where_values_could_run_are_refused(aws, code) -> None:
    net = setup_network()
    status, body = admin(
        "POST",
        f"/admin/offers/{net['offer']['offer_id']}/partner-pixels",
        {"partner_id": net["partner"]["partner_id"], "kind": "html", "code": code},
    )
    assert status == 422, body


def test_an_unsafe_html_pixel_stored_before_the_rule_is_never_served(aws) -> None:
    net = setup_network(offer={"default_goal": {"protocol": "iframe", "payout": {"flat": "1"}}})
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for pixel_id, code in (
        ("1", "<script>var s = {aff_sub};</script>"),
        ("2", '<p title="{aff_sub}">ok</p>'),
    ):
        doc = {"pixel_id": pixel_id, "offer_id": offer_id, "partner_id": partner_id, "goal_id": "0", "kind": "html",
               "code": code, "reversal_code": ""}  # fmt: skip
        config_store.save_entity("partner_pixel", pixel_id, doc, audit=Audit("t", "t", "create", None, None),
                          parent_offer_id=offer_id)  # fmt: skip
    config_cache.clear()
    tid = click(offer_id, partner_id, "&aff_sub=alert(document.domain)//")
    response = call(
        "PixelFunction", "GET", "/aff_l", f"offer_id={offer_id}", cookies=[f"gp_o{offer_id}={tid}"]
    )
    assert response["statusCode"] == 200 and response["headers"]["content-type"].startswith("text/html")
    served = html.unescape(response["body"])  # the partners' code sits in the frame's srcdoc
    assert "<script>" not in served
    assert '<p title="alert(document.domain)//">ok</p>' in served


# ------------------------------------------------------------------ 6. retried end points


def test_a_retried_end_point_postback_is_a_duplicate_not_a_refusal(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True}, goals=[{"name": "Close", "end_point": True, "payout": {"flat": "3"}}]
    )
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    first = goal_postback(tid, "goal_name=close")
    retry = goal_postback(tid, "goal_name=close")
    assert (retry["http"], retry["code"]) == (200, "duplicate")
    assert retry["conversion_id"] == first["conversion_id"]
    assert [(c["status"], c.get("duplicate_count")) for c in rows(offer_id)] == [("approved", 1)]


def test_an_end_point_retry_racing_its_own_write_is_a_duplicate(aws, monkeypatch) -> None:
    """The retry read the session before the first try's write applied (a timeout): the
    transaction's condition fails on the closed session, and that is our own conversion."""
    net = setup_network(
        offer={"goals_enabled": True}, goals=[{"name": "Close", "end_point": True, "allow_multiple": True}]
    )
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    stale = session_store.get_session(tid)
    first = goal_postback(tid, "goal_name=close&adv_sub=A")
    monkeypatch.setattr(session_store, "get_session", lambda _tid: stale)
    retry = goal_postback(tid, "goal_name=close&adv_sub=A")
    assert (retry["http"], retry["code"], retry["conversion_id"]) == (
        200,
        "duplicate",
        first["conversion_id"],
    )
    assert [c["status"] for c in rows(offer_id)] == ["approved"]


# ------------------------------------------------------------------ 7. refusals mislabelled and leaking


def test_refusals_name_no_goal_they_never_resolved_and_never_reach_partners(aws, stats_consumer) -> None:
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[{"name": "Upgrade Viewed", "private": True, "revenue": {"flat": "1"}}],
        advertiser={"security_token": "tok-123456", "security_token_applied": True},
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    private_id = net["goals"][0]["goal_id"]
    tid = click(offer_id, partner_id)
    assert goal_postback(tid, "goal_name=upgrade-viewed")["code"] == "invalid_security_token"
    assert goal_postback(tid, "goal_name=no-such-goal&security_token=tok-123456")["code"] == "goal_not_found"
    stored = {c["status_code"]: c for c in rows(offer_id)}
    token = stored["invalid_security_token"]
    assert (token["goal_id"], token["goal_name"], token["private"]) == (private_id, "upgrade-viewed", True)
    unknown = stored["goal_not_found"]
    assert (unknown["goal_id"], unknown["goal_name"], unknown["requested_goal"]) == ("", "", "no-such-goal")
    assert unknown["goal_name"] != net["offer"]["default_goal"]["slug"]

    stats_consumer.drain()
    for path in ("/partner/stats", "/partner/conversions"):
        response = partner_call(path, net["partner"]["api_key"], "group_by=offer,goal")
        assert response["statusCode"] == 200
        assert "upgrade" not in response["body"] and "no-such-goal" not in response["body"]


# ------------------------------------------------------------------ 8. goal-filtered stats


def test_stats_filtered_by_goal_leave_out_the_offers_goalless_refusals(aws, stats_consumer) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "2"}}])
    offer_id, sale = net["offer"]["offer_id"], net["goals"][0]["goal_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    for name in ("nope", "nada", "nothing"):
        assert goal_postback(tid, f"goal_name={name}")["code"] == "goal_not_found"
    for _ in range(2):  # refused before any goal is named
        assert goal_postback(tid, "offer_id=999", path="/aff_lsr")["code"] == "offer_mismatch"
    assert goal_postback(tid, "goal_name=sale")["success"] is True
    stats_consumer.drain()
    status, body = admin("GET", "/admin/stats", query=f"goal_id={sale}&interval=total")
    assert status == 200, body
    totals = body["totals"]
    assert (totals["clicks"], totals["conversions"], totals["rejected"]) == (1, 1, 0)
    status, everything = admin("GET", "/admin/stats", query="interval=total")
    assert everything["totals"]["rejected"] == 5


# ------------------------------------------------------------------ 9. making a goal private keeps what was paid


def test_making_a_paid_goal_private_keeps_its_paid_history_in_the_partners_figures(
    aws, stats_consumer
) -> None:
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[{"name": "Upgrade", "payout": {"flat": "2"}, "revenue": {"flat": "3"}}],
    )
    offer_id, partner_id, goal_id = (
        net["offer"]["offer_id"],
        net["partner"]["partner_id"],
        net["goals"][0]["goal_id"],
    )
    assert goal_postback(click(offer_id, partner_id), "goal_name=upgrade")["success"] is True
    status, _ = patch(f"/admin/offers/{offer_id}/goals/{goal_id}", {"private": True, "payout": {"flat": "0"}})
    assert status == 200
    assert (
        goal_postback(click(offer_id, partner_id), "goal_name=upgrade")["success"] is True
    )  # private now: pays 0
    stats_consumer.drain()

    def partner(path: str) -> Any:
        response = partner_call(path, net["partner"]["api_key"], "interval=total")
        assert response["statusCode"] == 200, response["body"]
        return json.loads(response["body"])

    paid = partner("/partner/conversions")["items"]
    assert [(c["goal_id"], Decimal(c["payout"])) for c in paid] == [(goal_id, Decimal("2"))]
    assert Decimal(partner("/partner/stats")["totals"]["payout"]) == Decimal("2")
    _, totals = admin("GET", "/admin/stats", query="interval=total")
    assert Decimal(totals["totals"]["payout"]) == Decimal("2")


@pytest.mark.parametrize("batches", ["a batch each", "one batch"])
def test_a_private_conversion_in_the_same_hourly_cell_hides_nothing_the_goal_paid(
    aws, stats_consumer, clock, batches: str
) -> None:
    """Issue 24, point 3: a goal paid 2.00 while public, then made private; a conversion recorded
    on it now lands in the same hour. The partner still sees the paid conversion, as paid, and
    never the private one (neither its count nor anything else); the admin sees both."""
    clock.at = (int(clock.at) // 3600) * 3600 + 60  # both conversions in one hour, whatever today is
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[{"name": "Upgrade", "payout": {"flat": "2"}, "revenue": {"flat": "3"}}],
    )
    offer_id, partner_id, goal_id = (
        net["offer"]["offer_id"],
        net["partner"]["partner_id"],
        net["goals"][0]["goal_id"],
    )
    assert goal_postback(click(offer_id, partner_id), "goal_name=upgrade")["success"] is True
    if batches == "a batch each":
        stats_consumer.drain()
    clock.advance(60)
    status, _ = patch(f"/admin/offers/{offer_id}/goals/{goal_id}", {"private": True, "payout": {"flat": "0"}})
    assert status == 200
    assert goal_postback(click(offer_id, partner_id), "goal_name=upgrade")["success"] is True
    stats_consumer.drain()

    def partner(path: str, query: str) -> Any:
        response = partner_call(path, net["partner"]["api_key"], query)
        assert response["statusCode"] == 200, response["body"]
        return json.loads(response["body"])

    paid = partner("/partner/conversions", "")["items"]
    assert [(c["goal_id"], Decimal(c["payout"])) for c in paid] == [(goal_id, Decimal("2"))]
    seen = partner("/partner/stats", "interval=total&group_by=goal")
    assert [(r["goal_id"], r["conversions"], r["payout"]) for r in seen["rows"] if r["goal_id"]] == [
        (goal_id, 1, "2.00")
    ]
    assert (seen["totals"]["conversions"], seen["totals"]["payout"]) == (1, "2.00")
    _, everything = admin("GET", "/admin/stats", query="interval=total&group_by=goal")
    row = next(r for r in everything["rows"] if r["goal_id"] == goal_id)
    assert (row["conversions"], row["payout"], row["revenue"]) == (2, "2.00", "6.00")


def test_a_goal_with_custom_payouts_can_be_made_private_once_they_are_removed_or_zero(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Upgrade"}])
    offer_id, partner_id, goal_id = (
        net["offer"]["offer_id"],
        net["partner"]["partner_id"],
        net["goals"][0]["goal_id"],
    )
    path = f"/admin/offers/{offer_id}/partner-payouts/{partner_id}/{goal_id}"
    assert admin("PUT", path, {"payout": {"flat": "2"}})[0] == 428
    assert admin("PUT", path, {"payout": {"flat": "2"}}, if_match='"0"')[0] == 200
    assert admin("PUT", path, {"payout": {"flat": "3"}}, if_match='"0"')[0] == 412
    goal_path = f"/admin/offers/{offer_id}/goals/{goal_id}"
    status, body = patch(goal_path, {"private": True})
    assert (status, body["error"]["code"]) == (409, "private_goal_conflict")
    assert admin("PUT", path, {"payout": {"flat": "0"}}, if_match='"1"')[0] == 200
    assert patch(goal_path, {"private": True})[0] == 200  # a zero custom payout pays nothing
    assert admin("DELETE", path, if_match='"2"')[0] == 204
    assert admin("GET", f"/admin/offers/{offer_id}/partner-payouts")[1]["items"] == []
    assert admin("DELETE", path, if_match='"2"')[0] == 404


# ------------------------------------------------------------------ 10. partial means partial


def test_a_partial_patch_of_the_default_goal_changes_only_what_is_sent(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True, "default_goal": {"name": "Lead", "payout": {"flat": "1", "percent": "5"},
               "revenue": {"flat": "3"}, "allow_multiple": True}},
    )  # fmt: skip
    offer_id = net["offer"]["offer_id"]
    status, offer = patch(f"/admin/offers/{offer_id}", {"default_goal": {"payout": {"flat": "2"}}})
    assert status == 200, offer
    goal = offer["default_goal"]
    assert (goal["name"], goal["slug"], goal["allow_multiple"]) == ("Lead", "lead", True)
    assert Decimal(goal["payout"]["flat"]) == 2 and Decimal(goal["payout"]["percent"]) == 5
    assert Decimal(goal["revenue"]["flat"]) == 3
    status, offer = patch(f"/admin/offers/{offer_id}", {"default_goal": {"name": "Qualified Lead"}})
    assert offer["default_goal"]["slug"] == "lead"  # advertisers' postbacks keep working
    tid = click(offer_id, net["partner"]["partner_id"])
    assert goal_postback(tid, "goal_name=lead")["success"] is True
    status, offer = patch(f"/admin/offers/{offer_id}", {"default_goal": {"regenerate_slug": True}})
    assert offer["default_goal"]["slug"] == "qualified-lead"


def test_network_settings_put_keeps_what_it_does_not_send(aws) -> None:
    status, _ = admin(
        "PUT", "/admin/network", {"tracking_domain": "t.example.net", "currency": "EUR"}, if_match='"0"'
    )
    assert status == 200
    status, net = admin("PUT", "/admin/network", {"goals_enabled": False}, if_match='"1"')
    assert (net["tracking_domain"], net["currency"], net["goals_enabled"]) == ("t.example.net", "EUR", False)


# ------------------------------------------------------------------ 12. secrets in the audit trail


def test_the_audit_trail_never_shows_secrets(aws) -> None:
    net = setup_network(advertiser={"security_token": "tok-123456"})
    partner, adv = net["partner"], net["advertiser"]
    admin("POST", f"/admin/partners/{partner['partner_id']}/api-key")
    body = json.dumps(admin("GET", f"/admin/audit/partner/{partner['partner_id']}")[1])
    assert partner["postback_secret"] not in body and 'api_key_sha256": "[redacted]' in body
    assert "postback_secret" not in body  # not in the partner's document at all: in SecretsTable
    audit = json.dumps(admin("GET", f"/admin/audit/advertiser/{adv['advertiser_id']}")[1])
    assert "tok-123456" not in audit and 'security_token_sha256": "[redacted]' in audit  # not even its hash


# ------------------------------------------------------------------ 13. format=json for every answer


@pytest.mark.parametrize(
    "query",
    [
        "transaction_id=ab&transaction_id=cd&format=json",
        f"transaction_id=ab&adv_sub={'x' * 600}&format=json",
        "transaction_id=ab&adv_sub=%3Cscript%3E&format=json",
        "transaction_id=ab&adv_sub=%FF&format=json",
        f"format=json&adv_sub={'y' * 9000}",
    ],
)
def test_format_json_answers_parameter_errors_in_json(aws, query) -> None:
    response = postback(query)
    assert 400 <= response["statusCode"] < 500
    assert response["headers"]["content-type"] == "application/json"
    body = json.loads(response["body"])
    assert body["success"] is False and body["code"] and body["reason"]


# ------------------------------------------------------------------ 14. pixels always answer the GIF


@pytest.mark.parametrize(
    "query",
    [
        "a=l&goal_id=1&goal_id=2",
        "a=lc&aff_id=%E6%97%A5&offer_id=%E6%97%A5",
        "a=l&offer_id=%E6%97%A5",
        f"a=l&adv_sub={'z' * 9000}",
        "a=l&adv_sub=%FF",
    ],
)
def test_goal_pixels_answer_the_gif_with_an_ascii_reason_whatever_the_parameters(aws, query) -> None:
    response = call("PostbackFunction", "GET", "/aff_goal", query)
    assert response["statusCode"] == 200 and response["headers"]["content-type"] == "image/gif"
    for value in response["headers"].values():
        value.encode("ascii")  # a header that is not ASCII ends the connection in some servers
    assert response["headers"]["x-goalpost-reason"]


# ------------------------------------------------------------------ 15. the click on a storage error


def storage_error(*_: Any, **__: Any) -> None:
    raise ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem"
    )


def test_a_click_whose_session_cannot_be_stored_still_reaches_the_offer(aws, monkeypatch) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    monkeypatch.setattr(session_store, "put_session", storage_error)
    response = call(
        "ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id={net['partner']['partner_id']}"
    )
    assert response["statusCode"] == 302 and response["headers"]["x-goalpost-code"] == "untracked"
    assert response["headers"]["location"].startswith("https://shop.example.com/land?tid=")
    assert "cookies" not in response


def test_a_click_whose_offer_cannot_be_read_is_a_503_not_a_500(aws, monkeypatch) -> None:
    monkeypatch.setattr(config_cache, "offer_bundle", storage_error)
    response = call("ClickFunction", "GET", "/aff_c", "offer_id=1&aff_id=1")
    assert response["statusCode"] == 503 and response["headers"]["retry-after"] == "1"


def test_a_session_put_retried_after_its_first_try_applied_is_stored_once(aws) -> None:
    net = setup_network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    session = session_store.get_session(tid)
    assert session is not None
    session_store.put_session(session)  # botocore's retry of a PutItem that had applied: no error
    assert aws.scan(TableName="test-SessionsTable")["Count"] == 1


# ------------------------------------------------------------------ 16. admin writes safe to retry


def test_a_retried_create_with_its_idempotency_key_makes_one_pixel(aws) -> None:
    net = setup_network()
    path = f"/admin/offers/{net['offer']['offer_id']}/partner-pixels"
    body = {
        "partner_id": net["partner"]["partner_id"],
        "kind": "postback",
        "code": "https://p.example/pb?t={transaction_id}",
    }
    first = admin("POST", path, body, headers={"idempotency-key": "retry-me-1"})
    again = admin("POST", path, body, headers={"idempotency-key": "retry-me-1"})
    assert first[0] == 201 and again[0] == 200 and again[1]["pixel_id"] == first[1]["pixel_id"]
    assert len(admin("GET", path)[1]["items"]) == 1
    replayed = call(ADMIN, "POST", path, body=body, headers={"idempotency-key": "retry-me-1"})
    assert replayed["headers"]["idempotent-replayed"] == "true"  # said, with the version to change it at
    assert replayed["headers"]["etag"] == f'"{first[1]["version"]}"'
    other = admin(
        "POST", path, {**body, "code": "https://p.example/other"}, headers={"idempotency-key": "retry-me-1"}
    )
    assert (other[0], other[1]["error"]["code"]) == (422, "idempotency_key_reused")
    assert admin("POST", path, body, headers={"idempotency-key": "bad key with spaces"})[0] == 400
    assert len(admin("GET", path)[1]["items"]) == 1


def test_a_retried_partner_create_makes_one_partner_and_shows_no_secret_again(aws) -> None:
    first = admin("POST", "/admin/partners", {"name": "P"}, headers={"idempotency-key": "p-1"})
    again = admin("POST", "/admin/partners", {"name": "P"}, headers={"idempotency-key": "p-1"})
    assert first[0] == 201 and "api_key" in first[1]
    assert again[0] == 200 and again[1]["partner_id"] == first[1]["partner_id"] and "api_key" not in again[1]
    assert len(admin("GET", "/admin/partners")[1]["items"]) == 1


# ------------------------------------------------------------------ 17. routes and types as documented


def test_the_goal_audit_route_answers_and_numbers_are_numbers(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale"}])
    offer_id, goal_id = net["offer"]["offer_id"], net["goals"][0]["goal_id"]
    status, trail = admin("GET", f"/admin/audit/goal/{offer_id}/{goal_id}")
    assert status == 200 and [i["action"] for i in trail["items"]] == ["create"]
    _, offer = admin("GET", f"/admin/offers/{offer_id}")
    assert offer["version"] == 1 and offer["session_hours"] == 24
    _, goal = admin("GET", f"/admin/offers/{offer_id}/goals/{goal_id}")
    assert goal["version"] == 1
    _, listed = admin("GET", "/admin/offers")
    assert listed["items"][0]["version"] == 1
