"""The partner view over HTTP: the real API-key authorizer, isolation between partners."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import LocalRuntime, make_network

pytestmark = pytest.mark.e2e


def partner_get(rt: LocalRuntime, path: str, key: str | None) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = rt.get(path, {"x-api-key": key} if key else {})
    return response.status, (json.loads(response.body) if response.body else {})


def test_partner_sees_own_payouts_never_revenue_private_goals_or_other_partners(
    runtime: LocalRuntime,
) -> None:
    net = make_network(
        runtime,
        "https://shop.example/?tid={transaction_id}",
        goals=[
            {"name": "Sale", "payout": {"percent": "20"}, "revenue": {"percent": "40"}},
            {"name": "Pricing Viewed", "private": True, "revenue": {"flat": "0.1"}},
            {"name": "Old", "status": "paused"},
        ],
    )
    offer_id = net["offer"]["offer_id"]
    sale = net["goals"][0]
    key_a = net["partner"]["api_key"]
    b = runtime.admin("POST", "/admin/partners", {"name": "B"}).json()
    runtime.admin(
        "PUT", f"/admin/offers/{offer_id}/partner-payouts/{net['partner']['partner_id']}/{sale['goal_id']}",
        {"payout": {"percent": "25"}}, {"if-match": '"0"'},
    )  # fmt: skip

    status, mine = partner_get(runtime, f"/partner/offers/{offer_id}", key_a)
    assert status == 200
    assert [g["goal_name"] for g in mine["goals"]] == ["conversion", "sale"]
    assert next(g for g in mine["goals"] if g["goal_name"] == "sale")["payout"]["percent"] == "25"
    assert f"aff_id={net['partner']['partner_id']}" in mine["tracking_link"]
    text = json.dumps(mine)
    assert "revenue" not in text and "pricing" not in text.lower()

    status, theirs = partner_get(runtime, f"/partner/offers/{offer_id}", b["api_key"])
    assert status == 200
    assert next(g for g in theirs["goals"] if g["goal_name"] == "sale")["payout"]["percent"] == "20"
    assert f"aff_id={b['partner_id']}" in theirs["tracking_link"]

    status, listed = partner_get(runtime, "/partner/offers", b["api_key"])
    assert status == 200 and offer_id in [o["offer_id"] for o in listed["items"]]


def test_partner_routes_need_a_valid_key(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}")
    assert partner_get(runtime, "/partner/offers", None)[0] == 401
    assert partner_get(runtime, "/partner/offers", "gpk_forged")[0] == 403
    old_key = net["partner"]["api_key"]
    rotated = runtime.admin("POST", f"/admin/partners/{net['partner']['partner_id']}/api-key").json()
    assert partner_get(runtime, "/partner/offers", old_key)[0] == 403
    assert partner_get(runtime, "/partner/offers", rotated["api_key"])[0] == 200
    # a partner key opens no admin route
    assert runtime.get("/admin/offers", {"x-api-key": rotated["api_key"]}).status == 401
