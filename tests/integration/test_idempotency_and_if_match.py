"""Retries and preconditions of the admin API: an Idempotency-Key is checked before any rule and
compares the parsed body; the key rotation honours it; deletes honour If-Match, compared strongly."""

import json
from typing import Any

from goalpost_local.gateway import LambdaContext
from tests.helpers import ADMIN, admin, event, handler, setup_network


def raw_call(method: str, path: str, text: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    """A request whose body is exactly ``text`` (spacing and key order as a client wrote them)."""
    request = event(method, path, body={}, headers=headers)
    request["body"] = text
    response = handler(ADMIN)(request, LambdaContext(ADMIN))
    body = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], response.get("headers", {}), body


def _goals_of(offer_id: str) -> list[str]:
    _, page = admin("GET", f"/admin/offers/{offer_id}/goals")
    return [g["goal_id"] for g in page["items"]]


def test_a_retried_goal_create_replays_before_the_slug_rule(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    offer_id = net["offer"]["offer_id"]
    path = f"/admin/offers/{offer_id}/goals"
    first = admin("POST", path, {"name": "Sale"}, headers={"idempotency-key": "goal-1"})
    again = admin("POST", path, {"name": "Sale"}, headers={"idempotency-key": "goal-1"})
    assert first[0] == 201, first
    assert again[0] == 200 and again[1]["goal_id"] == first[1]["goal_id"], again  # not 409 slug_taken
    assert _goals_of(offer_id) == ["0", first[1]["goal_id"]]
    # without the key, the rule still speaks
    assert admin("POST", path, {"name": "Sale"})[1]["error"]["code"] == "slug_taken"


def test_the_same_json_spaced_or_ordered_otherwise_is_the_same_request(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    offer_id = net["offer"]["offer_id"]
    path = f"/admin/offers/{offer_id}/goals"
    key = {"idempotency-key": "goal-2"}
    first = raw_call("POST", path, '{"name":"Sale","payout":{"flat":"2","percent":"0"}}', key)
    assert first[0] == 201, first
    spaced = raw_call("POST", path, '{\n  "payout": {"percent": "0", "flat": "2"},\n  "name": "Sale"\n}', key)
    assert spaced[0] == 200 and spaced[1]["idempotent-replayed"] == "true", spaced
    assert spaced[2]["goal_id"] == first[2]["goal_id"]
    other = raw_call("POST", path, '{"name": "Sale", "payout": {"flat": "3"}}', key)
    assert (other[0], other[2]["error"]["code"]) == (422, "idempotency_key_reused")
    assert _goals_of(offer_id) == ["0", first[2]["goal_id"]]


def test_a_retried_key_rotation_makes_one_key(aws) -> None:
    net = setup_network()
    partner_id = net["partner"]["partner_id"]
    path = f"/admin/partners/{partner_id}/api-key"
    first = admin("POST", path, headers={"idempotency-key": "rotate-1"})
    again = admin("POST", path, headers={"idempotency-key": "rotate-1"})
    assert first[0] == 200 and first[1]["api_key"].startswith("gpk_"), first
    assert again[0] == 200 and "api_key" not in again[1], again  # shown once: a replay does not show it
    _, partner = admin("GET", f"/admin/partners/{partner_id}")
    assert partner["version"] == 2  # one rotation, not two
    from goalpost.store import config_store

    assert config_store.partner_for_api_key(first[1]["api_key"]) == partner_id


def test_a_key_rotation_without_if_match_is_never_a_version_conflict(aws) -> None:
    net = setup_network()
    partner_id = net["partner"]["partner_id"]
    path = f"/admin/partners/{partner_id}/api-key"
    assert admin("PATCH", f"/admin/partners/{partner_id}", {"name": "Renamed"}, if_match='"1"')[0] == 200
    rotated = admin("POST", path)  # read at version 2 now; no If-Match: rotates what is there
    assert rotated[0] == 200 and rotated[1]["version"] == 3, rotated
    stale = admin("POST", path, if_match='"2"')
    assert (stale[0], stale[1]["error"]["code"]) == (412, "version_conflict")
    assert admin("POST", path, if_match='"3"')[0] == 200


def test_deleting_a_partner_pixel_needs_its_version(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    body = {"partner_id": net["partner"]["partner_id"], "kind": "postback", "code": "https://p.example/pb"}
    status, pixel = admin("POST", f"/admin/offers/{offer_id}/partner-pixels", body)
    assert status == 201
    path = f"/admin/offers/{offer_id}/partner-pixels/{pixel['pixel_id']}"
    missing = admin("DELETE", path)
    assert (missing[0], missing[1]["error"]["code"]) == (428, "if_match_required")
    stale = admin("DELETE", path, if_match='"7"')
    assert (stale[0], stale[1]["error"]["code"]) == (412, "version_conflict")
    weak = admin("DELETE", path, if_match='W/"1"')
    assert (weak[0], weak[1]["error"]["code"]) == (412, "version_conflict")
    assert len(admin("GET", f"/admin/offers/{offer_id}/partner-pixels")[1]["items"]) == 1
    assert admin("DELETE", path, if_match='"1"')[0] == 204
    assert admin("GET", f"/admin/offers/{offer_id}/partner-pixels")[1]["items"] == []


def test_a_weak_tag_never_matches(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    status, body = admin("PATCH", f"/admin/offers/{offer_id}", {"name": "New"}, if_match='W/"1"')
    assert (status, body["error"]["code"]) == (412, "version_conflict"), body
    _, offer = admin("GET", f"/admin/offers/{offer_id}")
    assert offer["name"] == "Widgets" and offer["version"] == 1
    assert admin("PATCH", f"/admin/offers/{offer_id}", {"name": "New"}, if_match='"1"')[0] == 200


def test_a_delete_answers_204_without_a_body(aws) -> None:
    from tests.helpers import call

    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    body = {"partner_id": partner_id, "kind": "postback", "code": "https://p.example/pb"}
    _, pixel = admin("POST", f"/admin/offers/{offer_id}/partner-pixels", body)
    payout_path = f"/admin/offers/{offer_id}/partner-payouts/{partner_id}/0"
    assert admin("PUT", payout_path, {"payout": {"flat": "1"}}, if_match='"0"')[0] == 200
    for path in (f"/admin/offers/{offer_id}/partner-pixels/{pixel['pixel_id']}", payout_path):
        answer = call(ADMIN, "DELETE", path, if_match='"1"')
        assert answer["statusCode"] == 204 and answer["body"] == "", answer
        assert not any(k.lower() == "content-type" for k in answer["headers"]), answer
