"""Encrypted links, status updates by postback, and faults with safe retries."""

import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from goalpost.store import dynamo, signing_keys
from tests.helpers import admin, click, conversions, postback, setup_network


def goal_postback(tid: str, extra: str, path: str = "/aff_goal") -> dict[str, Any]:
    prefix = "a=lsr&" if path == "/aff_goal" else ""
    response = postback(f"{prefix}transaction_id={tid}&format=json&{extra}", path=path)
    return {"http": response["statusCode"], **json.loads(response["body"])}


def encrypted_network() -> dict[str, Any]:
    return setup_network(
        offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "3"}, "encrypted": True}]
    )


def enc_token(link: str) -> str:
    return link.split("enc=", 1)[1].split("&", 1)[0]


def test_encrypted_goal_accepts_only_the_handed_out_link(aws) -> None:
    net = encrypted_network()
    goal = net["goals"][0]
    links = goal["links"]
    assert links["postback"].endswith("transaction_id={transaction_id}")
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    token = enc_token(links["postback"])

    plain = goal_postback(click(offer_id, partner_id), f"goal_id={goal['goal_id']}")
    assert (plain["http"], plain["code"]) == (403, "encrypted_required")
    assert goal_postback(click(offer_id, partner_id), f"enc={token}")["success"]

    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = goal_postback(click(offer_id, partner_id), f"enc={altered}")
    assert (forged["http"], forged["code"]) == (403, "invalid_encrypted_link")
    other_goal = token.replace(f".{goal['goal_id']}.", ".999.", 1)
    assert goal_postback(click(offer_id, partner_id), f"enc={other_goal}")["code"] == "invalid_encrypted_link"


def _fire(link: str, tid: str, offer_id: str) -> str:
    """Use a handed-out link as the advertiser would: a postback URL with the session's id, or
    the pixel code's URL on a page whose visitor carries the tracking cookie. Its outcome code."""
    import html
    from urllib.parse import urlsplit

    from tests.helpers import call

    url = html.unescape(link.split('src="', 1)[1].split('"', 1)[0]) if link.startswith("<") else link
    parts = urlsplit(url.replace("{transaction_id}", tid))
    function = "PixelFunction" if parts.path == "/aff_l" else "PostbackFunction"
    response = call(function, "GET", parts.path, parts.query, cookies=[f"gp_o{offer_id}={tid}"])
    if response["headers"]["content-type"].startswith("text/plain"):  # TUNE's postback answer
        return str(response["body"])  # success=true; ... code=<code>; or success=false; err_msg=...;
    return str(response["headers"]["x-goalpost-code"])


@pytest.mark.parametrize("encrypted", [True, False])
def test_every_link_a_goal_hands_out_is_accepted(aws, encrypted: bool) -> None:
    """An encrypted goal refuses its plain forms (encrypted_required): it is given only the
    enc= forms. Each link of the default goal and of an additional goal, used as handed out,
    records (or, the goal click pixel, counts) its conversion."""
    net = setup_network(
        offer={"goals_enabled": True, "default_goal": {"payout": {"flat": "1"}, "encrypted": encrypted}},
        goals=[{"name": "Sale", "payout": {"flat": "3"}, "encrypted": encrypted}],
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for goal_id in ("0", net["goals"][0]["goal_id"]):
        status, detail = admin("GET", f"/admin/offers/{offer_id}/goals/{goal_id}")
        assert status == 200, detail
        links = detail["links"]
        expected = {"image_pixel", "iframe_pixel"} | ({"click_pixel"} if goal_id != "0" else set())
        expected |= {"postback"} if encrypted else {"postback_by_name", "postback_by_id"}
        assert set(links) == expected
        assert all(("enc=" in link) == encrypted for link in links.values())
        for kind, link in links.items():
            wanted = {"click_pixel": "goal_click", "postback": "approved_server_postback"}.get(
                kind.removesuffix("_by_name").removesuffix("_by_id"), "approved_client_cookie"
            )
            outcome = _fire(link, click(offer_id, partner_id), offer_id)
            assert outcome == wanted or f"code={wanted};" in outcome, (goal_id, kind, link, outcome)


def test_signing_keys_rotate_without_breaking_handed_out_links(aws, monkeypatch) -> None:
    """Rotation as documented: a new key in front of the SSM parameter; containers read it
    again within KEYS_MAX_AGE (here: at once)."""
    import boto3

    from goalpost_local.template import store_signing_keys

    monkeypatch.setattr(signing_keys, "KEYS_MAX_AGE", 0.0)
    ssm = boto3.client("ssm", region_name="us-east-1")
    net = encrypted_network()
    old_token = enc_token(net["goals"][0]["links"]["postback"])
    assert old_token.split(".")[2] == "k2"
    store_signing_keys(
        ssm, "k3:brand-new-secret-0123456789abcdefghijkl,k2:test-secret-two-0123456789abcdefghijkl"
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    assert goal_postback(click(offer_id, partner_id), f"enc={old_token}")["success"]
    status, detail = admin("GET", f"/admin/offers/{offer_id}/goals/{net['goals'][0]['goal_id']}")
    new_token = enc_token(detail["links"]["postback"])
    assert status == 200 and new_token.split(".")[2] == "k3"
    assert goal_postback(click(offer_id, partner_id), f"enc={new_token}")["success"]
    store_signing_keys(ssm, "k3:brand-new-secret-0123456789abcdefghijkl")  # k2 retired
    assert goal_postback(click(offer_id, partner_id), f"enc={old_token}")["code"] == "invalid_encrypted_link"


def test_status_by_postback_is_an_adjustment_and_a_rejection_claws_back(aws) -> None:
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[{"name": "Sale", "payout": {"percent": "10"}, "revenue": {"percent": "20"}}],
    )
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    created = goal_postback(tid, "goal_name=sale&amount=100&conversion_unique_id=INV-7")
    assert created["success"]

    same = goal_postback(tid, "status=approved&conversion_unique_id=INV-7")
    assert same["code"] == "status_unchanged"
    rejected = goal_postback(tid, "status=rejected&conversion_unique_id=INV-7&reason=refunded")
    assert (rejected["http"], rejected["code"], rejected["status"]) == (200, "status_updated", "rejected")

    items = {c["status_code"]: c for c in conversions(offer_id)}
    conversion = items["adjusted_server_postback"]
    assert conversion["status"] == "rejected"
    assert conversion["adjustments"] == [
        {
            "at": conversion["adjustments"][0]["at"],
            "from": "approved",
            "to": "rejected",
            "reason": "refunded",
            "via": "server_postback",
            "by": "advertiser",
            "before": {"status": "approved"},
            "after": {"status": "rejected"},
        }
    ]
    assert Decimal(conversion["payout"]) == Decimal("10")  # history kept, not erased
    clawback = items["clawback"]
    assert (Decimal(clawback["payout"]), Decimal(clawback["revenue"])) == (Decimal("-10"), Decimal("-20"))
    assert clawback["reverses"] == conversion["conversion_id"]
    assert sum(Decimal(c["payout"]) for c in conversions(offer_id)) == 0

    reapproved = goal_postback(tid, "status=approved&conversion_unique_id=INV-7")
    assert reapproved["status"] == "approved"
    assert len(conversions(offer_id)) == 2  # no second clawback for rejected -> approved


def test_status_by_adv_sub_order_id_on_the_default_goal(aws) -> None:
    net = setup_network(offer={"default_goal": {"payout": {"flat": "2"}, "approve": True}})
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert goal_postback(tid, "adv_sub=ORDER-55", path="/aff_lsr")["status"] == "pending"
    approved = goal_postback(tid, "status=approved&adv_sub=ORDER-55", path="/aff_lsr")
    assert approved["status"] == "approved"
    [conv] = conversions(net["offer"]["offer_id"])
    assert conv["status"] == "approved" and conv["adjustments"][0]["from"] == "pending"
    missing = goal_postback(tid, "status=approved&adv_sub=NOPE", path="/aff_lsr")
    assert (missing["http"], missing["code"]) == (404, "unknown_conversion")
    assert goal_postback(tid, "status=maybe&adv_sub=ORDER-55", path="/aff_lsr")["http"] == 400


def test_status_update_needs_the_advertiser_token(aws) -> None:
    net = setup_network(advertiser={"security_token": "tok-123456", "security_token_applied": True})
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert goal_postback(tid, "security_token=tok-123456&adv_sub=O1", path="/aff_lsr")["success"]
    forged = goal_postback(tid, "status=rejected&adv_sub=O1", path="/aff_lsr")
    assert forged["http"] == 403
    assert conversions(net["offer"]["offer_id"])[0]["status"] == "approved"


def _fail(operation: str, error: Exception, times: int, after: bool) -> Any:
    """Make the goalpost client fail `times` calls of `operation`, before or after it applies."""
    state = {"left": times}

    def hook(model: Any, **_: Any) -> None:
        if model.name == operation and state["left"] > 0:
            state["left"] -= 1
            raise error

    event = "after-call.dynamodb" if after else "before-call.dynamodb"
    dynamo.client().meta.events.register(event, hook)
    return lambda: dynamo.client().meta.events.unregister(event, hook)


THROTTLED = ClientError(
    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "TransactWriteItems"
)


def test_a_write_retried_by_botocore_after_its_answer_was_lost_is_not_a_duplicate(aws) -> None:
    """botocore re-sends a PutItem whose answer timed out; the re-sent write meets the item the
    first attempt stored. That is this request's own conversion, not a repeat of it."""
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    resent = {"left": 1}

    def lose_the_answer(response: Any, operation: Any, **_: Any) -> int | None:
        if operation.name == "PutItem" and resent["left"] and response and response[0].status_code == 200:
            resent["left"] -= 1
            return 0  # applied, but answered as if timed out: retry at once
        return None

    events = dynamo.client().meta.events
    events.register("needs-retry.dynamodb.PutItem", lose_the_answer)
    try:
        first = json.loads(postback(f"transaction_id={tid}&amount=9&format=json")["body"])
    finally:
        events.unregister("needs-retry.dynamodb.PutItem", lose_the_answer)
    assert resent["left"] == 0  # the write was sent twice
    assert first["success"] is True and first["code"] == "approved_server_postback"
    [conv] = conversions(offer_id)
    assert "duplicate_count" not in conv
    again = json.loads(postback(f"transaction_id={tid}&amount=9&format=json")["body"])
    assert again["code"] == "duplicate"  # a real repeat still is one


@pytest.mark.parametrize("after", [False, True], ids=["throttled before write", "timeout after write"])
def test_plain_conversion_storage_fault_is_a_503_and_the_retry_counts_once(aws, after: bool) -> None:
    """The default goal is one conditional PutItem: a retry after a write that did apply finds it."""
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    error = ReadTimeoutError(endpoint_url="https://dynamodb") if after else THROTTLED
    undo = _fail("PutItem", error, times=1, after=after)
    try:
        first = postback(f"transaction_id={tid}&amount=9")
    finally:
        undo()
    assert first["statusCode"] == 503 and "retry" in first["body"]
    retry = json.loads(postback(f"transaction_id={tid}&amount=9&format=json")["body"])
    assert retry["code"] == ("duplicate" if after else "approved_server_postback")
    assert retry["conversion_id"] == f"{tid}-0"
    [conv] = conversions(offer_id)
    assert Decimal(conv["sale_amount"]) == 9


@pytest.mark.parametrize("after", [False, True], ids=["throttled before write", "timeout after write"])
def test_storage_fault_is_a_503_and_the_retry_counts_once(aws, after: bool) -> None:
    net = setup_network(
        offer={"goals_enabled": True},
        goals=[{"name": "Sale", "payout": {"flat": "1"}, "allow_multiple": True}],
    )
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    error = ReadTimeoutError(endpoint_url="https://dynamodb") if after else THROTTLED
    undo = _fail("TransactWriteItems", error, times=1, after=after)
    try:
        first = postback(f"a=lsr&goal_name=sale&amount=9&transaction_id={tid}", path="/aff_goal")
    finally:
        undo()
    assert first["statusCode"] == 503 and "retry" in first["body"]
    retry = goal_postback(tid, "goal_name=sale&amount=9")
    assert retry["http"] == 200
    assert retry["code"] == ("duplicate_retry" if after else "approved_server_postback")
    [conv] = conversions(offer_id)
    assert Decimal(conv["sale_amount"]) == 9
