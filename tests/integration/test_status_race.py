"""Issue 24, point 2: racing status changes never lose a partner's reversal postback.

A status change is written on condition the conversion is still as it was read: its count of
adjustments (its version), not only its status. A condition on the status alone let a change
read before approved -> pending -> approved commit after them (ABA): two clawbacks then
carried one transition number, both mapped to one delivery id, and the second reversal was
never sent (the conversion unpaid while the partner's last message said approved).

What must hold, whatever the interleaving: the adjustments are one chain (each change made
from the state the one before left), the clawbacks are numbered 1, 2, 3... without a gap or a
repeat, the partner gets exactly one delivery per transition, and the partner's last message
(by its transition number) says what is stored.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from goalpost.admin import conversions as admin_conversions
from goalpost.admin.documents import Caller
from goalpost.admin.errors import ApiError
from goalpost.admin.schemas import ConversionPatch, DecisionIn
from goalpost.model import clock
from goalpost.model.ids import iso_timestamp
from goalpost.rules.status import approval_transitions
from goalpost.store import conversion_store, dynamo
from goalpost.tracking.postbacks import STATUS_ATTEMPTS
from tests.helpers import admin, click, delivery_pumps, postback, setup_network

STATUSES = ("approved", "pending", "rejected")
CHANGES_PER_RACER = 3


def approved_conversion(partner_base: str) -> dict[str, str]:
    """An offer whose partner has a postback and a reversal pixel, and one conversion approved
    at once that an advertiser can name by conversion_unique_id and by adv_sub."""
    net = setup_network(offer={"default_goal": {"payout": {"flat": "2"}, "revenue": {"flat": "5"}}})
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    pixel = {
        "partner_id": partner_id,
        "kind": "postback",
        "code": partner_base + "/pb?tid={transaction_id}",
        "reversal_code": partner_base + "/rev?tid={transaction_id}",
    }
    assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201
    tid = click(offer_id, partner_id)
    answer = json.loads(
        postback(f"transaction_id={tid}&adv_sub=ORDER-1&conversion_unique_id=INV-1&format=json")["body"]
    )
    assert answer["status"] == "approved", answer
    return {"offer_id": offer_id, "tid": tid, "conversion_id": answer["conversion_id"]}


def status_postback(tid: str, status: str, by: str) -> dict[str, Any]:
    reference = "conversion_unique_id=INV-1" if by == "unique" else "adv_sub=ORDER-1"
    response = postback(f"transaction_id={tid}&status={status}&{reference}&format=json")
    return {"http": response["statusCode"], **json.loads(response["body"])}


def decide(conversion_id: str, status: str) -> str:
    caller = Caller("race-admin", iso_timestamp(clock.now()))
    body = DecisionIn(conversion_ids=[conversion_id], status=status, note="race")  # type: ignore[arg-type]
    return str(admin_conversions.decide(body, caller)["items"][0]["outcome"])


def patch(conversion_id: str, status: str) -> str:
    caller = Caller("race-admin", iso_timestamp(clock.now()))
    body = ConversionPatch(status=status, note="race")  # type: ignore[arg-type]
    try:
        return str(admin_conversions.adjust(conversion_id, body, caller)["outcome"])
    except ApiError as error:
        assert error.code == "conversion_changed", error
        return "conflict"


def transition_of(delivery_id: str, conversion_id: str) -> tuple[int, int]:
    """A delivery id's place in the conversion's story: approved-k (k, 0), reversal-k (k, 1)."""
    assert delivery_id.startswith(conversion_id + ".")
    event = delivery_id.split(".")[1]
    kind, _, number = event.partition("-")
    return int(number or 1), 0 if kind == "approved" else 1


def assert_one_story(setup: Mapping[str, str], hits: Sequence[Mapping[str, Any]]) -> str:
    """The stored conversion, its clawbacks and what the partner got tell one story."""
    conversion_id = setup["conversion_id"]
    conversion = conversion_store.get_conversion(conversion_id)
    assert conversion is not None
    state = conversion.adjustments[0]["from"] if conversion.adjustments else conversion.status
    for change in conversion.adjustments:
        assert change["from"] == state, conversion.adjustments  # each made from what the one before left
        state = change["to"]
    assert state == conversion.status

    became, left = approval_transitions(conversion)
    clawbacks = [
        item
        for item in conversion_store.session_conversions(setup["tid"])
        if item.get("kind") == "clawback" and item.get("reverses") == conversion_id
    ]
    assert sorted(int(c["transition"]) for c in clawbacks) == list(range(1, left + 1))

    delivered = [str(h["headers"]["X-Goalpost-Delivery"]) for h in hits]
    assert len(delivered) == len(set(delivered)), delivered  # nothing sent twice
    told = sorted(transition_of(d, conversion_id) for d in delivered)
    expected = sorted([(k, 0) for k in range(1, became + 1)] + [(k, 1) for k in range(1, left + 1)])
    assert told == expected  # every transition told, none lost
    last_kind = told[-1][1]
    assert ("approved" if last_kind == 0 else "not approved") == (
        "approved" if conversion.status == "approved" else "not approved"
    ), (conversion.status, told)
    return conversion.status


@pytest.mark.parametrize("races_lost", [1, STATUS_ATTEMPTS])
def test_a_change_read_before_approved_pending_approved_is_made_again_from_a_fresh_read(
    aws, deliveries, partners, monkeypatch, races_lost: int
) -> None:
    """The ABA, made to happen: an advertiser's status=rejected postback reads the approved
    conversion; before it writes, an admin sets it pending and approved again. The stale write
    must be refused (though the status is approved again); the postback then reads the
    conversion again and rejects it from there: the second reversal, told to the partner as
    such. Losing every one of its attempts, it answers 409 and changes nothing; sent again, it
    applies."""
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")
    setup = approved_conversion(partners["ok"].base)
    deliveries.drain()
    interleave = {"left": races_lost, "inside": False}

    def admin_in_between(model: Any, **_: Any) -> None:
        """Before the postback's write (not the admin's own writes): pending, then approved."""
        if model.name != "TransactWriteItems" or not interleave["left"] or interleave["inside"]:
            return
        interleave["left"] -= 1
        interleave["inside"] = True
        try:
            for status in ("pending", "approved"):
                decision = {"conversion_ids": [setup["conversion_id"]], "status": status, "note": "recheck"}
                status_code, answer = admin("POST", "/admin/conversions/decisions", decision)
                assert (status_code, answer["items"][0]["outcome"]) == (200, "updated")
        finally:
            interleave["inside"] = False

    events = dynamo.client().meta.events
    events.register("before-call.dynamodb", admin_in_between)
    try:
        answer = status_postback(setup["tid"], "rejected", by="unique")
    finally:
        events.unregister("before-call.dynamodb", admin_in_between)
    assert interleave["left"] == 0
    deliveries.drain()
    if races_lost == STATUS_ATTEMPTS:
        assert (answer["http"], answer["code"]) == (409, "status_conflict")
        assert assert_one_story(setup, partners["ok"].hits) == "approved"
        answer = status_postback(setup["tid"], "rejected", by="unique")
        deliveries.drain()
    assert (answer["http"], answer["code"]) == (200, "status_updated")
    assert assert_one_story(setup, partners["ok"].hits) == "rejected"
    # deliveries are not ordered (sent side by side): their number orders them
    told = [str(h["headers"]["X-Goalpost-Delivery"]) for h in partners["ok"].hits]
    last = max(told, key=lambda delivery: transition_of(delivery, setup["conversion_id"]))
    assert last.startswith(f"{setup['conversion_id']}.reversal-{races_lost + 1}.")


def test_sixty_racing_status_changes_tell_the_partner_one_story(embedded, partners, monkeypatch) -> None:
    """60 racers on one approved conversion, three status changes each, three times over: status
    postbacks by conversion_unique_id and by adv_sub, admin decisions and PATCHes, on the
    embedded DynamoDB (each request atomic, as in DynamoDB). Whatever commits, the story holds."""
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "1")  # the partner's server is on 127.0.0.1
    setup = approved_conversion(partners["ok"].base)
    conversion_id, tid = setup["conversion_id"], setup["tid"]
    pumps = delivery_pumps(embedded)
    outcomes: list[str] = []

    def changes(kind: str, seed: int, start: threading.Barrier) -> list[str]:
        """One racer: three changes in a row, each to a status of its own drawing."""
        chooser = random.Random(seed)
        start.wait()
        done = []
        for status in (chooser.choice(STATUSES) for _ in range(CHANGES_PER_RACER)):
            if kind in ("unique", "order"):
                done.append(str(status_postback(tid, status, by=kind)["code"]))
            else:
                done.append(
                    decide(conversion_id, status) if kind == "decision" else patch(conversion_id, status)
                )
        return done

    for round_ in range(3):
        kinds = ("unique", "order", "decision", "patch") * 15
        start = threading.Barrier(len(kinds))
        racers = [(kind, 100 * round_ + n, start) for n, kind in enumerate(kinds)]
        with ThreadPoolExecutor(max_workers=len(racers)) as pool:
            for done in pool.map(lambda racer: changes(*racer), racers):
                outcomes.extend(done)
        pumps.drain()
        assert_one_story(setup, partners["ok"].hits)
    changed = sum(o in ("status_updated", "updated") for o in outcomes)
    assert changed >= 3, outcomes  # the race did change the status, more than once
    assert set(outcomes) <= {
        "status_updated",
        "status_unchanged",
        "status_conflict",
        "updated",
        "unchanged",
        "conflict",
    }
