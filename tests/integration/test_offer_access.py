"""Offer access through the handlers, on moto (README, Offer access): public, approval-required
and private offers, each with a partner that never applied, applied, was approved, rejected or revoked —
for its clicks and for its portal's offer list; applications in the partner API (held to the
partner function's IAM policy by the local IAM check), decisions in the admin API, audited."""

from __future__ import annotations

import json
from typing import Any

import pytest

from goalpost.store.dynamo import from_item, sessions_table
from goalpost_local.gateway import LambdaContext
from tests.helpers import admin, another_offer, call, dynamodb_calls, event, handler, postback, setup_network

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def partner_request(
    method: str, path: str, partner: dict[str, Any], body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    request = event(
        method,
        path,
        body=body,
        partner_id=partner["partner_id"],
        headers={"x-api-key": partner["api_key"], **(headers or {})},
    )
    response = handler("PartnerApiFunction")(request, LambdaContext("PartnerApiFunction"))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def new_partner(name: str) -> dict[str, Any]:
    status, made = admin("POST", "/admin/partners", {"name": name})
    assert status == 201, made
    return dict(made)


def click(offer_id: str, partner_id: str) -> dict[str, Any]:
    return call(
        "ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id={partner_id}", user_agent=BROWSER
    )


def apply(offer_id: str, partner: dict[str, Any], note: str = "") -> tuple[int, Any]:
    return partner_request("POST", f"/partner/offers/{offer_id}/application", partner, {"note": note})


def decide(offer_id: str, partner_id: str, state: str, note: str = "", **kwargs: Any) -> tuple[int, Any]:
    return admin(
        "PUT", f"/admin/offers/{offer_id}/access/{partner_id}", {"state": state, "note": note}, **kwargs
    )


def portal_offers(partner: dict[str, Any]) -> dict[str, dict[str, Any]]:
    status, listed = partner_request("GET", "/partner/offers", partner)
    assert status == 200, listed
    return {o["offer_id"]: o for o in listed["items"]}


def redirected(dynamodb: Any) -> list[str]:
    items = [from_item(i) for i in dynamodb.scan(TableName=sessions_table())["Items"]]
    return [str(i["redirected"]) for i in items if "redirected" in i]


def open_sessions(dynamodb: Any) -> int:
    items = [from_item(i) for i in dynamodb.scan(TableName=sessions_table())["Items"]]
    return sum(1 for i in items if "redirected" not in i)


def put_to(state: str, offer_id: str, partner: dict[str, Any]) -> None:
    """Bring a partner to ``state`` on an approval-required offer as people would."""
    if state == "none":
        return
    if state != "granted":
        assert apply(offer_id, partner, "my traffic: email")[0] == 201
    steps = {
        "applied": [],
        "approved": ["approved"],
        "rejected": ["rejected"],
        "revoked": ["approved", "revoked"],
        "granted": ["approved"],
    }[state]
    for step in steps:
        status, saved = decide(offer_id, partner["partner_id"], step, f"{step} by test")
        assert status == 200, saved


CASES = [
    # (offer access, where the partner stands, its clicks reach the offer, it sees the offer)
    ("public", "none", True, True),
    ("requires_approval", "none", False, True),
    ("requires_approval", "applied", False, True),
    ("requires_approval", "approved", True, True),
    ("requires_approval", "rejected", False, True),
    ("requires_approval", "revoked", False, True),
    ("private", "none", False, False),
    ("private", "granted", True, True),
    ("private", "revoked", False, False),
]


@pytest.mark.parametrize(("access", "state", "runs", "sees"), CASES)
def test_clicks_and_the_portal_follow_the_offer_s_access_and_the_partner_s_state(
    aws: Any, access: str, state: str, runs: bool, sees: bool
) -> None:
    net = setup_network(offer={"access": "requires_approval" if access == "private" else access})
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    put_to(state, offer_id, me)
    if access == "private":  # made private once the partner stands where the case says
        version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
        assert (
            admin("PATCH", f"/admin/offers/{offer_id}", {"access": "private"}, if_match=str(version))[0]
            == 200
        )

    answer = click(offer_id, me["partner_id"])
    if runs:
        assert answer["statusCode"] == 302 and answer.get("cookies"), answer
        assert answer["headers"]["location"].startswith("https://shop.example.com/")
        assert open_sessions(aws) == 1
    else:  # no fallback set: the documented 403, recorded as an invalid click, no session opened
        assert answer["statusCode"] == 403, answer
        assert answer["headers"]["x-goalpost-reason"] == "no_offer_access"
        assert "cookies" not in answer
        assert open_sessions(aws) == 0 and redirected(aws) == ["no_offer_access"]

    offers = portal_offers(me)
    assert (offer_id in offers) == sees
    status, one = partner_request("GET", f"/partner/offers/{offer_id}", me)
    assert status == (200 if sees else 404), one
    if sees:
        shown = offers[offer_id]
        assert shown["access"] == access and shown["may_run"] == runs
        expected_state = {"none": "", "granted": "approved"}.get(state, state)
        assert shown["access_state"] == ("" if access == "public" else expected_state)
        assert bool(shown["tracking_link"]) == runs


def test_a_click_without_access_goes_to_the_fallback_with_its_reason_and_converts_nothing(aws: Any) -> None:
    net = setup_network(
        offer={"access": "requires_approval", "fallback_url": "https://offer.example.com/fb?s={aff_sub}"}
    )
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    answer = call(
        "ClickFunction",
        "GET",
        "/aff_c",
        f"offer_id={offer_id}&aff_id={me['partner_id']}&aff_sub=x1",
        user_agent=BROWSER,
    )
    assert answer["statusCode"] == 302 and "cookies" not in answer
    assert answer["headers"]["location"] == "https://offer.example.com/fb?s=x1"
    assert answer["headers"]["x-goalpost-reason"] == "no_offer_access"
    assert open_sessions(aws) == 0
    [record] = [from_item(i) for i in aws.scan(TableName=sessions_table())["Items"]]
    answer = postback(f"transaction_id={record['transaction_id']}&format=json")
    assert json.loads(answer["body"])["code"] == "unknown_transaction"  # nothing converts on it


def test_a_public_offer_s_click_reads_nothing_more_and_a_granted_one_reads_its_grant_with_the_offer(
    aws: Any,
) -> None:
    """The partner's access comes in the offer bundle's own Query: no extra round trip at all."""
    from goalpost.store import config_cache

    calls = {}
    for access in ("public", "private"):
        net = setup_network(offer={"access": access})
        offer_id, me = net["offer"]["offer_id"], net["partner"]
        if access == "private":
            assert decide(offer_id, me["partner_id"], "approved")[0] == 200
        config_cache.clear()
        with dynamodb_calls() as seen:
            assert click(offer_id, me["partner_id"])["statusCode"] == 302
        calls[access] = seen
    assert calls["public"] == calls["private"] == ["Query", "GetItem", "GetItem", "PutItem"], calls


def test_a_partner_cannot_see_or_apply_for_a_private_offer(aws: Any) -> None:
    net = setup_network(offer={"access": "private"})
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    assert offer_id not in portal_offers(me)
    status, refused = apply(offer_id, me)
    assert (status, refused["error"]["code"]) == (404, "not_found")
    assert admin("GET", f"/admin/offers/{offer_id}/access")[1]["items"] == []


def test_a_partner_applies_once_only_for_an_offer_that_requires_approval(aws: Any) -> None:
    net = setup_network()
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    status, refused = apply(offer_id, me)
    assert (status, refused["error"]["code"]) == (409, "access_conflict")  # public: nothing to apply for
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    assert (
        admin("PATCH", f"/admin/offers/{offer_id}", {"access": "requires_approval"}, if_match=str(version))[0]
        == 200
    )
    status, made = apply(offer_id, me, "newsletter, 40k readers")
    assert status == 201, made
    assert made["state"] == "applied" and made["note"] == "newsletter, 40k readers" and made["applied_at"]
    assert apply(offer_id, me)[0] == 409
    assert decide(offer_id, me["partner_id"], "rejected", "not a fit")[0] == 200
    status, refused = apply(offer_id, me)
    assert (status, refused["error"]["code"]) == (409, "access_conflict")
    status, too_long = apply(offer_id, me, "x" * 501)
    assert status == 422, too_long


def test_a_retried_application_with_its_idempotency_key_is_answered_as_made(aws: Any) -> None:
    net = setup_network(offer={"access": "requires_approval"})
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    first = apply_with_key(offer_id, me, "apply-1")
    again = apply_with_key(offer_id, me, "apply-1")
    assert first[0] == 201 and again[0] == 200 and again[1] == first[1]


def apply_with_key(offer_id: str, partner: dict[str, Any], key: str) -> tuple[int, Any]:
    return partner_request(
        "POST", f"/partner/offers/{offer_id}/application", partner, {"note": "n"}, {"idempotency-key": key}
    )


def test_a_partner_acts_only_on_its_own_application(aws: Any) -> None:
    net = setup_network(offer={"access": "requires_approval"})
    offer_id, mine, other = net["offer"]["offer_id"], net["partner"], new_partner("Partner Two")
    assert apply(offer_id, other, "theirs")[0] == 201
    assert decide(offer_id, other["partner_id"], "approved")[0] == 200
    # my view shows my state (none), never the other partner's approval or its link
    shown = portal_offers(mine)[offer_id]
    assert shown["access_state"] == "" and not shown["may_run"] and shown["tracking_link"] == ""
    assert click(offer_id, mine["partner_id"])["statusCode"] == 403
    # my application is mine: the other partner's stays as the admin decided it
    status, made = apply(offer_id, mine, "mine")
    assert status == 201 and made["partner_id"] == mine["partner_id"]
    theirs = admin("GET", f"/admin/offers/{offer_id}/access/{other['partner_id']}")[1]
    assert theirs["state"] == "approved" and theirs["note"] == "theirs"
    # the application route takes no partner id: the body cannot name another partner
    status, refused = partner_request(
        "POST",
        f"/partner/offers/{offer_id}/application",
        mine,
        {"note": "x", "partner_id": other["partner_id"]},
    )
    assert status == 422, refused


def test_admins_see_applications_per_offer_and_network_wide_and_decide_with_a_note_audited(aws: Any) -> None:
    net = setup_network(offer={"access": "requires_approval"})
    offer_id, one, two = net["offer"]["offer_id"], net["partner"], new_partner("Partner Two")
    other_offer = another_offer(net, "https://g.example/", name="Gadgets", access="requires_approval")
    assert apply(offer_id, one, "one")[0] == 201
    assert apply(other_offer["offer_id"], two, "two")[0] == 201
    pending = admin("GET", "/admin/access-applications")[1]["items"]
    assert {(p["offer_id"], p["partner_id"], p["state"]) for p in pending} == {
        (offer_id, one["partner_id"], "applied"),
        (other_offer["offer_id"], two["partner_id"], "applied"),
    }
    status, saved = decide(offer_id, one["partner_id"], "approved", "welcome", if_match='"1"')
    assert status == 200, saved
    assert saved["state"] == "approved" and saved["decision_note"] == "welcome" and saved["decided_by"]
    assert saved["note"] == "one" and saved["version"] == 2
    assert decide(offer_id, one["partner_id"], "revoked", if_match='"1"')[0] == 412  # stale version
    pending = admin("GET", "/admin/access-applications")[1]["items"]
    assert [(p["offer_id"], p["partner_id"]) for p in pending] == [
        (other_offer["offer_id"], two["partner_id"])
    ]
    listed = admin("GET", f"/admin/offers/{offer_id}/access")[1]["items"]
    assert [(a["partner_id"], a["state"]) for a in listed] == [(one["partner_id"], "approved")]
    status, trail = admin("GET", f"/admin/audit/offer_access/{offer_id}/{one['partner_id']}")
    assert status == 200
    assert [
        (e["action"], e["actor"].startswith("partner:"), e["after"]["state"]) for e in trail["items"]
    ] == [
        ("update", False, "approved"),
        ("create", True, "applied"),
    ]
    assert trail["items"][0]["after"]["decision_note"] == "welcome"


def test_admins_grant_and_revoke_directly_and_refuse_decisions_that_do_not_apply(aws: Any) -> None:
    net = setup_network(offer={"access": "private"})
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    for state, code in (("rejected", "access_conflict"), ("revoked", "access_conflict")):
        status, refused = decide(offer_id, me["partner_id"], state)
        assert (status, refused["error"]["code"]) == (409, code)
    assert decide(offer_id, "999", "approved")[0] == 404
    assert decide("999", me["partner_id"], "approved")[0] == 404
    assert decide(offer_id, me["partner_id"], "applied")[0] == 422  # an admin does not apply
    status, granted = decide(offer_id, me["partner_id"], "approved", "private deal")
    assert status == 200 and granted["applied_at"] == "" and granted["version"] == 1
    assert click(offer_id, me["partner_id"])["statusCode"] == 302
    assert decide(offer_id, me["partner_id"], "approved")[0] == 409  # already approved
    assert decide(offer_id, me["partner_id"], "revoked", "ended")[0] == 200
    assert click(offer_id, me["partner_id"])["statusCode"] == 403
    assert admin("GET", "/admin/access-applications")[1]["items"] == []  # grants are no applications


def test_the_partner_function_s_role_allows_its_application_and_no_other_audit_trail(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The application is written with the partner function's own role (template.yaml,
    dynamodb:LeadingKeys): the access item in its offer's partition, its audit entry under
    AUDIT#offer_access#, its Idempotency-Key guard; nothing else, and no other audit trail."""
    from botocore.exceptions import ClientError

    from goalpost.model.audit import Audit
    from goalpost.store import config_store
    from goalpost_local import iam

    written: list[tuple[str, ...]] = []
    original = iam.Enforcer.check

    def check(self: Any, function: str, action: str, resource: str, keys: tuple[str, ...] = ()) -> None:
        if function == "PartnerApiFunction" and action != "dynamodb:GetItem" and action != "dynamodb:Query":
            written.append(keys)
        original(self, function, action, resource, keys)

    monkeypatch.setattr(iam.Enforcer, "check", check)
    net = setup_network(offer={"access": "requires_approval"})
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    status, made = apply_with_key(offer_id, me, "iam-1")
    assert status == 201, made
    named = sorted(
        k.rsplit("#", 1)[0] if k.startswith("AUDIT#") else k.split("#")[0] for ks in written for k in ks
    )
    assert named == ["AUDIT#offer_access", "IDEMPOTENCY", "OFFER"], written
    audit = Audit("partner:1", "2026-12-05T00:00:00.000Z", "update", None, {"name": "x"})
    with iam.acting_as("PartnerApiFunction"), pytest.raises(ClientError) as denied:
        config_store.save_entity("offer", offer_id, {"name": "x"}, audit=audit, expected_version=1)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_partner_manages_its_own_postbacks_only_on_offers_it_runs(aws: Any) -> None:
    net = setup_network(offer={"access": "requires_approval"})
    offer_id, me = net["offer"]["offer_id"], net["partner"]
    version = admin("GET", "/admin/network")[1]["version"]
    assert (
        admin("PUT", "/admin/network", {"partners_manage_postbacks": True}, if_match=f'"{version}"')[0] == 200
    )
    postback_body = {"kind": "postback", "code": "https://p.example/pb?t={transaction_id}"}
    path = f"/partner/offers/{offer_id}/postbacks"
    assert partner_request("GET", path, me)[0] == 404
    assert partner_request("POST", path, me, postback_body)[0] == 404
    assert decide(offer_id, me["partner_id"], "approved")[0] == 200
    assert partner_request("GET", path, me)[0] == 200
    assert partner_request("POST", path, me, postback_body)[0] == 201
