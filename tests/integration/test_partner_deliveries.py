"""Issue 13: each partner postback is its own unit of work - one partner's failure is its own."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from goalpost.streams import partner_postbacks
from tests.helpers import admin, click, postback, setup_network


def verify(secret: str, url: str, headers: dict[str, str], tolerance: int = 300) -> bool:
    """The README's verification, as a partner would write it."""
    fields = dict(part.split("=", 1) for part in headers["X-Goalpost-Signature"].split(","))
    content = f"{fields['t']}.GET.{url}.{headers['X-Goalpost-Event']}.{headers['X-Goalpost-Delivery']}"
    expected = hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v2"])


def test_one_partners_failure_is_that_partners_alone(aws, deliveries, partners, monkeypatch) -> None:
    monkeypatch.setenv("GOALPOST_DELIVERY_DEADLINE_SECONDS", "1")
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")  # no waiting between tries in a test
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    members = {"ok": net["partner"]}
    for mode in ("down", "slow"):
        status, members[mode] = admin("POST", "/admin/partners", {"name": f"Partner {mode}"})
        assert status == 201
    for mode, partner in members.items():
        pixel = {
            "partner_id": partner["partner_id"],
            "kind": "postback",
            "code": partners[mode].base + "/pb?tid={transaction_id}&p={payout}",
            "reversal_code": partners[mode].base + "/rev?tid={transaction_id}&p={payout}",
        }
        assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201
    sessions = {mode: click(offer_id, p["partner_id"]) for mode, p in members.items()}
    healthy_sessions = [sessions["ok"]]
    for tid in sessions.values():
        assert postback(f"transaction_id={tid}")["statusCode"] == 200
    healthy_sessions.append(click(offer_id, members["ok"]["partner_id"]))  # queued after the others
    assert postback(f"transaction_id={healthy_sessions[1]}")["statusCode"] == 200
    deliveries.drain()

    healthy = partners["ok"].hits
    assert sorted(h["path"] for h in healthy) == sorted(f"/pb?tid={t}&p=2.50" for t in healthy_sessions)
    secret = members["ok"]["postback_secret"]
    for hit in healthy:
        assert verify(secret, partners["ok"].base + hit["path"], hit["headers"])
        forged = {**hit["headers"], "X-Goalpost-Event": "reversal"}
        assert not verify(secret, partners["ok"].base + hit["path"], forged)
        replayed = {**hit["headers"], "X-Goalpost-Delivery": hit["headers"]["X-Goalpost-Delivery"] + "9"}
        assert not verify(secret, partners["ok"].base + hit["path"], replayed)

    # the failing partner: six tries each, then its whole delivery in the dead letters
    assert len(partners["down"].hits) == 6
    dead = [json.loads(d["body"]) for d in deliveries.dead_letters()]
    down_id = members["down"]["partner_id"]
    slow_id = members["slow"]["partner_id"]
    assert {d["partner_id"] for d in dead} == {down_id, slow_id}
    whole = next(d for d in dead if d["partner_id"] == down_id)
    assert whole["event"] == "approved" and whole["url"].startswith(partners["down"].base + "/pb?tid=")
    # the trickling partner: each try ended by the deadline (not its 30 seconds), six of them
    assert len(partners["slow"].hits) == 6
    records = {d["delivery_id"]: d for d in admin("GET", f"/admin/offers/{offer_id}/deliveries")[1]["items"]}
    failed = next(d for d in records.values() if d["partner_id"] == down_id)
    assert (failed["status"], failed["attempts"], failed["response_code"]) == ("failed", 6, 500)
    slow = next(d for d in records.values() if d["partner_id"] == slow_id)
    assert "DeadlineExceeded" in slow["last_error"]

    # the partner is back: the admin's retry delivers it, once
    partners["down"].mode = "ok"
    retry = f"/admin/offers/{offer_id}/deliveries/{failed['delivery_id']}/retry"
    status, retried = admin("POST", retry)
    assert (status, retried["status"]) == (200, "delivered")
    assert admin("POST", retry)[0] == 409


def test_every_approval_transition_is_delivered(aws, deliveries, partners, monkeypatch) -> None:
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")
    net = setup_network(offer={"default_goal": {"payout": {"flat": "3"}}})
    offer_id, partner = net["offer"]["offer_id"], net["partner"]
    pixel = {
        "partner_id": partner["partner_id"],
        "kind": "postback",
        "code": partners["ok"].base + "/pb?p={payout}",
        "reversal_code": partners["ok"].base + "/rev?p={payout}",
    }
    admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)
    tid = click(offer_id, partner["partner_id"])
    conversion_id = json.loads(postback(f"transaction_id={tid}&format=json")["body"])["conversion_id"]
    deliveries.drain()  # each transition delivered before the next happens: the order is then certain
    for status in ("rejected", "approved", "rejected", "approved"):
        decision = {"conversion_ids": [conversion_id], "status": status, "note": "checked"}
        assert admin("POST", "/admin/conversions/decisions", decision)[1]["items"][0]["outcome"] == "updated"
        deliveries.drain()
    sent = [(h["headers"]["X-Goalpost-Event"], h["path"]) for h in partners["ok"].hits]
    assert sent == [
        ("approved", "/pb?p=3.00"),
        ("reversal", "/rev?p=-3.00"),
        ("approved", "/pb?p=3.00"),
        ("reversal", "/rev?p=-3.00"),
        ("approved", "/pb?p=3.00"),
    ]
    ids = [h["headers"]["X-Goalpost-Delivery"] for h in partners["ok"].hits]
    assert len(set(ids)) == 5 and ids[2].startswith(f"{conversion_id}.approved-2.")
    deliveries.drain()
    assert len(partners["ok"].hits) == 5  # a redelivered stream or message sends nothing twice


def test_an_attempt_never_outlasts_its_deadline(partners, monkeypatch) -> None:
    """DeadlineExceeded is raised only when the deadline's timer cut the attempt short."""
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "1")
    with pytest.raises(partner_postbacks.DeadlineExceeded):
        partner_postbacks.send(partners["slow"].base + "/x", {}, deadline=1.0)


def test_a_host_that_does_not_resolve_is_retried_on_the_back_off(
    aws, deliveries, partners, monkeypatch
) -> None:
    """DNS failures are transient: a partner whose name does not resolve (its zone being moved,
    a resolver's outage) gets the back-off of a 5xx, not a refusal after one try. Two pixels: one
    whose name resolves again after two failed tries (delivered on the third), one that never
    does (six tries, then the dead letters, its record ``failed``, never ``refused``)."""
    import socket

    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")
    real_getaddrinfo = socket.getaddrinfo
    port = partners["ok"].server_address[1]
    lookups = {"back.partner.test": 0, "gone.partner.test": 0}

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in lookups:
            lookups[host] += 1
            if host == "gone.partner.test" or lookups[host] <= 2:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for host in lookups:
        pixel = {"partner_id": partner_id, "kind": "postback", "code": f"http://{host}:{port}/pb/{host}"}
        assert admin("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)[0] == 201
    assert postback(f"transaction_id={click(offer_id, partner_id)}")["statusCode"] == 200
    deliveries.drain(rounds=8)

    assert [h["path"] for h in partners["ok"].hits] == ["/pb/back.partner.test"]
    assert lookups == {"back.partner.test": 3, "gone.partner.test": 6}
    records = admin("GET", f"/admin/offers/{offer_id}/deliveries")[1]["items"]
    by_host = {r["url"].split("/")[2].split(":")[0]: r for r in records}
    assert (by_host["back.partner.test"]["status"], by_host["back.partner.test"]["attempts"]) == (
        "delivered",
        3,
    )
    gone = by_host["gone.partner.test"]
    assert (gone["status"], gone["attempts"]) == ("failed", 6)
    assert "cannot resolve gone.partner.test" in gone["last_error"]
    dead = [json.loads(d["body"]) for d in deliveries.dead_letters()]
    assert [d["url"] for d in dead] == [gone["url"]]


def test_the_network_lists_its_failing_deliveries_without_a_scan_until_a_retry_delivers_them(
    aws, deliveries, partners, monkeypatch
) -> None:
    """Deliveries were listed per offer only: the console had no network-wide list of what
    fails. Failing ones are listed from their own partition (one query), across offers, and a
    delivered retry takes one off the list."""
    from tests.helpers import dynamodb_calls

    monkeypatch.setenv("GOALPOST_DELIVERY_DEADLINE_SECONDS", "1")
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "0")
    first = setup_network()
    second = setup_network()
    down = first["partner"]["partner_id"]
    healthy = second["partner"]["partner_id"]
    for net, partner_id, mode in ((first, down, "down"), (second, healthy, "ok"), (second, down, "down")):
        pixel = {
            "partner_id": partner_id,
            "kind": "postback",
            "code": partners[mode].base + "/pb?t={transaction_id}",
        }
        assert admin("POST", f"/admin/offers/{net['offer']['offer_id']}/partner-pixels", pixel)[0] == 201
    for net, partner_id in ((first, down), (second, healthy), (second, down)):
        tid = click(net["offer"]["offer_id"], partner_id)
        assert postback(f"transaction_id={tid}")["statusCode"] == 200
    deliveries.drain()

    from goalpost.store.conversion_store import REPORT_SHARDS

    with dynamodb_calls() as calls:
        status, listed = admin("GET", "/admin/deliveries", query="limit=10")
    assert status == 200, listed
    assert calls == ["Query"] * (REPORT_SHARDS + 1)  # each shard, and the key of before the shards
    items = listed["items"]
    assert sorted((d["offer_id"], d["partner_id"]) for d in items) == sorted(
        [(first["offer"]["offer_id"], down), (second["offer"]["offer_id"], down)]
    )
    assert {(d["state"], d["attempts"], d["response_code"]) for d in items} == {("failed", 6, 500)}
    status, page_one = admin("GET", "/admin/deliveries", query="limit=1")
    assert len(page_one["items"]) == 1 and page_one["next_cursor"]

    partners["down"].mode = "ok"
    retried = items[0]
    status, answer = admin(
        "POST", f"/admin/offers/{retried['offer_id']}/deliveries/{retried['delivery_id']}/retry"
    )
    assert (status, answer["status"]) == (200, "delivered")
    assert "failing_sharded" not in answer  # how the record was written, not a fact of it
    left = admin("GET", "/admin/deliveries")[1]["items"]
    assert [d["delivery_id"] for d in left] == [items[1]["delivery_id"]]


def test_a_failing_delivery_is_retrying_while_the_queue_has_a_try_due() -> None:
    from goalpost.admin.deliveries import failing_state

    at = "2026-12-05T08:00:00.000Z"
    assert failing_state({"status": "failed", "next_retry_at": "2026-12-05T08:00:30.000Z"}, at) == "retrying"
    assert failing_state({"status": "failed", "next_retry_at": "2026-12-05T07:59:30.000Z"}, at) == "failed"
    assert failing_state({"status": "failed", "next_retry_at": ""}, at) == "failed"
    assert failing_state({"status": "refused", "next_retry_at": ""}, at) == "refused"


def _failing_items(aws: Any) -> list[dict[str, Any]]:
    """Every item of the failing list, as stored (a scan: the test's view, not the code's)."""
    from goalpost.store.dynamo import conversions_table, from_item

    pages = aws.get_paginator("scan").paginate(
        TableName=conversions_table(),
        FilterExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "failing_delivery"}},
    )
    return [from_item(item) for page in pages for item in page["Items"]]


def _all_failing_pages(limit: int) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor = ""
    while True:
        status, listed = admin(
            "GET", "/admin/deliveries", query=f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        )
        assert status == 200, listed
        pages.append(listed["items"])
        if not listed["next_cursor"]:
            return pages
        cursor = listed["next_cursor"]
        assert len(pages) < 100


def _delivery(offer_id: str, url: str = "http://127.0.0.1:9/pb") -> dict[str, Any]:
    import secrets

    return {
        "delivery_id": f"{secrets.token_hex(16)}-0.approved.1",
        "offer_id": offer_id,
        "partner_id": "p1",
        "url": url,
        "event": "approved",
    }


def test_the_failing_list_is_spread_over_shards_and_pages_through_each_delivery_once_in_order(
    aws,
) -> None:
    """The failing list was one partition key (FAILING_DELIVERIES): a network-wide outage of
    every partner would put every failed try on one partition, past its 1,000 writes a second.
    Each delivery is now listed in the shard of its id; the list merges the shards and still
    pages by offer, then delivery, each one exactly once, and a delivered one leaves it."""
    import secrets

    from goalpost.store import delivery_store

    at = "2026-12-05T08:00:00.000Z"
    offers = sorted(secrets.token_hex(8) for _ in range(3))
    planned = [_delivery(offers[n % 3]) for n in range(45)]
    for delivery in planned:
        assert delivery_store.record_delivery(delivery, at)
        delivery_store.finish_delivery(
            delivery["offer_id"], delivery["delivery_id"], "failed", 500, "", at,
            partner_id="p1", attempts=1,
        )  # fmt: skip

    stored = _failing_items(aws)
    assert len(stored) == 45
    partitions = {item["pk"] for item in stored}
    assert len(partitions) > 1, partitions
    assert partitions <= set(delivery_store.failing_partitions())

    expected = sorted((d["offer_id"], d["delivery_id"]) for d in planned)
    pages = _all_failing_pages(limit=7)
    assert [len(p) for p in pages] == [7] * 6 + [3]
    assert [(d["offer_id"], d["delivery_id"]) for p in pages for d in p] == expected
    assert {d["state"] for p in pages for d in p} == {"failed"}

    # a second failed try of one rewrites its item (same key), a delivered try takes one off
    again, gone = planned[0], planned[1]
    delivery_store.finish_delivery(
        again["offer_id"], again["delivery_id"], "failed", 502, "", at, partner_id="p1", attempts=2,
        was_failing=True,
    )  # fmt: skip
    delivery_store.finish_delivery(
        gone["offer_id"], gone["delivery_id"], "delivered", 200, "", at, was_failing=True
    )
    listed = [d for p in _all_failing_pages(limit=10) for d in p]
    assert [(d["offer_id"], d["delivery_id"]) for d in listed] == [
        pair for pair in expected if pair != (gone["offer_id"], gone["delivery_id"])
    ]
    [rewritten] = [d for d in listed if d["delivery_id"] == again["delivery_id"]]
    assert (rewritten["attempts"], rewritten["response_code"]) == (2, 502)
    assert len(_failing_items(aws)) == 44


def test_deliveries_listed_before_the_sharding_are_still_listed_and_leave_with_their_next_try(
    aws, partners
) -> None:
    """Items of the old single key (FAILING_DELIVERIES, written before the list was sharded)
    are read and merged in order; the next try of such a delivery, delivered or failed, takes
    it off the old key (a failed one is listed again, in its shard, once)."""
    import secrets

    from goalpost.store import delivery_store
    from goalpost.store.dynamo import client, conversions_table, to_item

    at = "2026-12-05T08:00:00.000Z"
    offer_id = secrets.token_hex(8)
    fixed = _delivery(offer_id, partners["ok"].base + "/pb")
    broken = _delivery(offer_id, partners["down"].base + "/pb")
    for old in (fixed, broken):  # as the code of before the sharding wrote them
        record = {
            **old, "pk": f"DELIVERY#{offer_id}", "sk": old["delivery_id"], "kind": "delivery",
            "status": "failed", "attempts": 6, "created_at": at, "finished_at": at,
        }  # fmt: skip
        listed = {
            "pk": "FAILING_DELIVERIES", "sk": f"{offer_id}#{old['delivery_id']}", "kind": "failing_delivery",
            "offer_id": offer_id, "delivery_id": old["delivery_id"], "partner_id": "p1", "status": "failed",
            "attempts": 6, "response_code": 500, "last_error": "", "last_attempt_at": at, "next_retry_at": "",
        }  # fmt: skip
        for item in (record, listed):
            client().put_item(TableName=conversions_table(), Item=to_item(item))
    new = [_delivery(offer_id) for _ in range(12)]
    for delivery in new:
        delivery_store.record_delivery(delivery, at)
        delivery_store.finish_delivery(offer_id, delivery["delivery_id"], "failed", 500, "", at, attempts=1)

    everyone = sorted(d["delivery_id"] for d in (fixed, broken, *new))
    assert [d["delivery_id"] for p in _all_failing_pages(limit=5) for d in p] == everyone

    now, stamp = partner_postbacks.now_and_stamp()
    partner_postbacks.attempt(offer_id, fixed["delivery_id"], now, stamp)
    partner_postbacks.attempt(offer_id, broken["delivery_id"], now, stamp)
    assert partners["ok"].hits and partners["down"].hits

    stored = _failing_items(aws)
    assert not [item for item in stored if item["pk"] == "FAILING_DELIVERIES"]
    [moved] = [item for item in stored if item["delivery_id"] == broken["delivery_id"]]
    assert moved["pk"] in delivery_store.failing_partitions() and moved["attempts"] == 7
    listed_now = [d for p in _all_failing_pages(limit=5) for d in p]
    assert [d["delivery_id"] for d in listed_now] == [i for i in everyone if i != fixed["delivery_id"]]


def test_a_cursor_of_the_single_key_list_resumes_the_sharded_one(aws) -> None:
    """A console page opened before the sharding holds a cursor of the old list (its last
    item's key): it resumes after that item, and a made-up cursor is a 400."""
    from goalpost.admin.paging import encode_cursor
    from goalpost.store import delivery_store

    at = "2026-12-05T08:00:00.000Z"
    planned = [_delivery("offer1") for _ in range(6)]
    for delivery in planned:
        delivery_store.record_delivery(delivery, at)
        delivery_store.finish_delivery("offer1", delivery["delivery_id"], "failed", 500, "", at, attempts=1)
    ids = sorted(d["delivery_id"] for d in planned)
    old_cursor = encode_cursor({"pk": "FAILING_DELIVERIES", "sk": f"offer1#{ids[2]}"})
    status, listed = admin("GET", "/admin/deliveries", query=f"cursor={old_cursor}")
    assert status == 200, listed
    assert [d["delivery_id"] for d in listed["items"]] == ids[3:]
    made_up = encode_cursor({"pk": "DELIVERY#offer1", "sk": ids[0]})
    status, answer = admin("GET", "/admin/deliveries", query=f"cursor={made_up}")
    assert status == 400, answer
