"""Every create route, found in the API's own OpenAPI document (never a list of them), POSTed
twice with one Idempotency-Key: the retry answers what the first request made (200,
``Idempotent-Replayed``), makes no second record, and is never a 5xx. A new create route that
forgets its replay fails here, not on a client's retry in production."""

from __future__ import annotations

import json
import re
from typing import Any

from goalpost_local.gateway import LambdaContext
from goalpost_local.openapi import generate
from goalpost_local.template import routes, select_route
from tests.helpers import admin, event, handler, setup_network

SHOWN_ONCE = frozenset({"api_key", "postback_secret", "security_token"})
"""Secrets a create shows once: a replay leaves them out (rotate the key if the answer was lost)."""


def create_routes() -> list[str]:
    """The path of every POST route documented as answering 201 Created."""
    paths = json.loads(generate())["paths"]
    return sorted(p for p, ops in paths.items() if "201" in ops.get("post", {}).get("responses", {}))


def bodies(net: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A valid body for each create route (a new one fails the test until it has one here)."""
    goal_id = net["goals"][0]["goal_id"]
    return {
        "/admin/advertisers": {"name": "Replayed advertiser", "security_token": "s3cret-token"},
        "/admin/partners": {"name": "Replayed partner"},
        "/admin/tiers": {"name": "Gold", "level": 2},
        "/admin/payout-structures": {
            "name": "By source",
            "rules": [
                {
                    "conditions": [{"field": "source", "operator": "equals", "values": ["a"]}],
                    "payout": {"flat": "3"},
                }
            ],
        },
        "/admin/offers": {
            "name": "Replayed offer",
            "advertiser_id": net["advertiser"]["advertiser_id"],
            "offer_url": "https://shop.example.com/?tid={transaction_id}",
        },
        "/admin/offers/{offer_id}/goals": {"name": "Replayed goal"},
        "/admin/offers/{offer_id}/partner-pixels": {
            "partner_id": net["partner"]["partner_id"],
            "goal_id": goal_id,
            "kind": "postback",
            "code": "https://partner.example/pb?t={transaction_id}",
        },
        "/partner/offers/{offer_id}/application": {"note": "replayed application"},
        "/partner/offers/{offer_id}/postbacks": {
            "goal_id": goal_id,
            "kind": "image",
            "code": "https://partner.example/i?t={transaction_id}",
        },
    }


COLLECTIONS = {"/partner/offers/{offer_id}/application": "/admin/offers/{offer_id}/access"}
"""Where a create without a list of its own is listed (a partner's one application per offer)."""


def _gate(net: dict[str, Any], access: str) -> None:
    offer_id = net["offer"]["offer_id"]
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"access": access}, if_match=f'"{version}"')[0] == 200


def _approve(net: dict[str, Any]) -> None:
    path = f"/admin/offers/{net['offer']['offer_id']}/access/{net['partner']['partner_id']}"
    assert admin("PUT", path, {"state": "approved"})[0] == 200


BEFORE = {"/partner/offers/{offer_id}/application": lambda net: _gate(net, "requires_approval")}
AFTER = {"/partner/offers/{offer_id}/application": _approve}
"""What a create needs around it: an application is made for an offer that requires approval
(approved after, so the partner's own postbacks that follow are on an offer it runs)."""


def send(
    method: str, path: str, net: dict[str, Any], body: Any = None, key: str = ""
) -> tuple[int, dict, Any]:
    """The request as API Gateway routes it (admin IAM, or the partner's key on /partner)."""
    found = select_route(routes(), method, path)
    assert found is not None, path
    partner = net["partner"] if path.startswith("/partner/") else None
    headers = {"idempotency-key": key} if key else {}
    if partner:
        headers["x-api-key"] = partner["api_key"]
    request = event(method, path, body=body, headers=headers, partner_id=partner and partner["partner_id"])
    response = handler(found[0].function)(request, LambdaContext(found[0].function))
    answer = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], response.get("headers", {}), answer


def without_secrets(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in SHOWN_ONCE}


def listed(path: str, net: dict[str, Any]) -> int:
    """How many records the create route's own collection lists."""
    status, _, page = send("GET", path, net)
    assert status == 200, page
    items = page["items"]
    assert page["next_cursor"] is None and isinstance(items, list), page
    return len(items)


def test_every_create_route_replays_a_retry_with_its_idempotency_key(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Lead"}])
    version = admin("GET", "/admin/network")[1]["version"]
    assert (
        admin("PUT", "/admin/network", {"partners_manage_postbacks": True}, if_match=f'"{version}"')[0] == 200
    )
    examples = bodies(net)
    creates = create_routes()
    assert len(creates) >= 8, creates  # the document really lists the creates
    missing = [p for p in creates if p not in examples]
    assert not missing, f"create routes without a body in this test: {missing}"
    for template in creates:
        path = re.sub(r"\{offer_id\}", net["offer"]["offer_id"], template)
        assert "{" not in path, f"{template}: fill its path parameters here"
        collection = re.sub(r"\{offer_id\}", net["offer"]["offer_id"], COLLECTIONS.get(template, template))
        BEFORE.get(template, lambda _: None)(net)
        before = listed(collection, net)
        key = f"replay-{template}"
        status, headers, first = send("POST", path, net, examples[template], key)
        assert status == 201, (template, first)
        status, again_headers, again = send("POST", path, net, examples[template], key)
        assert status == 200, (template, again)  # a replay, never a 5xx, never a second 201
        assert again_headers.get("idempotent-replayed") == "true", template
        assert again_headers.get("etag") == headers.get("etag"), template
        assert without_secrets(again) == without_secrets(first), template
        assert all(again.get(secret) is None for secret in SHOWN_ONCE), (template, again)
        assert listed(collection, net) == before + 1, template  # one record, not two
        AFTER.get(template, lambda _: None)(net)


def test_every_admin_resource_router_is_served_by_the_admin_function(aws) -> None:
    """The one list a new resource still joins (functions/goals_admin/app.py): a module of
    ``goalpost.admin`` with routes that the admin app does not serve fails here."""
    import importlib
    import pkgutil

    import goalpost.admin
    from goalpost_local.gateway import function_module

    route = next(r for r in routes() if r.function == "GoalsAdminFunction")
    app = function_module(route.code_uri, route.handler, route.function).app
    served = {r.func.__module__ for r in (*app._static_routes, *app._dynamic_routes)}
    resources = set()
    for found in pkgutil.iter_modules(goalpost.admin.__path__, "goalpost.admin."):
        router = getattr(importlib.import_module(found.name), "router", None)
        if router is not None and router._routes:
            resources.add(found.name)
    assert len(resources) >= 12, resources
    assert resources <= served, f"not included in the admin app: {sorted(resources - served)}"
