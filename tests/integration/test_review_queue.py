"""The network's review queue: every offer's conversions awaiting approval, newest first, paged,
filtered by offer, partner or reason code, decided in bulk with a note; only pending
conversions are in its index (a conversion that is not pending writes nothing more)."""

from __future__ import annotations

from typing import Any

from goalpost.store import conversion_store
from tests.helpers import admin, click, postback, setup_network
from tests.integration.test_report_keys import REPORT_INDEXES, _indexes_of
from tests.integration.test_screening import set_network


def _queue(query: str = "") -> dict[str, Any]:
    status, page = admin("GET", "/admin/review-queue", query=query)
    assert status == 200, page
    return page


def _item(tid: str) -> dict[str, Any]:
    [item] = [i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("CONV#")]
    return item


def test_the_review_queue_lists_every_offer_s_held_conversions_newest_first_by_filter_and_page(
    aws: Any, clock: Any
) -> None:
    approving = setup_network(offer={"default_goal": {"approve": True, "payout": {"flat": "2"}}})
    screened = setup_network()
    paid = setup_network()  # approved at once: never in the queue
    set_network(screening={"too_soon": {"action": "hold"}})
    admin_offer = screened["offer"]["offer_id"]
    version = admin("GET", f"/admin/offers/{admin_offer}")[1]["version"]
    admin("PATCH", f"/admin/offers/{admin_offer}", {"min_session_seconds": 3600}, if_match=str(version))

    first = click(approving["offer"]["offer_id"], approving["partner"]["partner_id"])
    second = click(screened["offer"]["offer_id"], screened["partner"]["partner_id"])
    third = click(paid["offer"]["offer_id"], paid["partner"]["partner_id"])
    assert postback(f"transaction_id={first}")["statusCode"] == 200
    clock.advance(5)
    assert postback(f"transaction_id={second}")["statusCode"] == 200  # held: too soon
    clock.advance(5)
    assert postback(f"transaction_id={third}")["statusCode"] == 200

    assert _indexes_of(_item(third)) == REPORT_INDEXES  # not pending: no write to either queue
    assert _indexes_of(_item(second)) == REPORT_INDEXES | {"by_offer_pending", "by_review"}

    queue = _queue()
    assert [c["transaction_id"] for c in queue["items"]] == [second, first]  # newest first
    assert queue["items"][0]["status_code"] == "lookback_too_soon"
    assert "review_key" not in queue["items"][0] and "pending_key" not in queue["items"][0]

    one = _queue("limit=1")
    assert [c["transaction_id"] for c in one["items"]] == [second] and one["next_cursor"]
    rest = _queue(f"limit=1&cursor={one['next_cursor']}")
    assert [c["transaction_id"] for c in rest["items"]] == [first] and rest["next_cursor"] is None

    assert [c["transaction_id"] for c in _queue("reason=lookback_too_soon")["items"]] == [second]
    partner = approving["partner"]["partner_id"]
    assert [c["transaction_id"] for c in _queue(f"partner_id={partner}")["items"]] == [first]
    offer = approving["offer"]["offer_id"]
    assert [c["transaction_id"] for c in _queue(f"offer_id={offer}")["items"]] == [first]
    assert _queue(f"offer_id={offer}&reason=lookback_too_soon")["items"] == []
    assert admin("GET", "/admin/review-queue", query="reason=DROP TABLE")[0] == 422
    assert admin("GET", "/admin/review-queue", query="offer_id=99999")[0] == 404


def test_a_bulk_decision_with_a_note_empties_the_queue_and_a_conversion_put_back_returns(aws: Any) -> None:
    nets = [
        setup_network(offer={"default_goal": {"approve": True, "payout": {"flat": "2"}}}) for _ in range(2)
    ]
    tids = [click(n["offer"]["offer_id"], n["partner"]["partner_id"]) for n in nets]
    for tid in tids:
        assert postback(f"transaction_id={tid}")["statusCode"] == 200
    ids = [c["conversion_id"] for c in _queue()["items"]]
    assert len(ids) == 2
    body = {"conversion_ids": ids, "status": "rejected", "note": "same device, two offers"}
    status, decided = admin("POST", "/admin/conversions/decisions", body)
    assert status == 200 and [d["outcome"] for d in decided["items"]] == ["updated", "updated"]
    assert _queue()["items"] == []
    assert _indexes_of(_item(tids[0])) == REPORT_INDEXES  # out of both queues
    conversion = admin("GET", f"/admin/conversions/{ids[0]}")[1]
    assert conversion["adjustments"][-1]["reason"] == "same device, two offers"
    status, _ = admin("PATCH", f"/admin/conversions/{ids[0]}", {"status": "pending", "note": "recheck"})
    assert status == 200
    assert [c["conversion_id"] for c in _queue()["items"]] == [ids[0]]  # back for a decision
