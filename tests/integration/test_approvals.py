"""Approvals: list pending, approve / reject / re-approve one or many, with a note and an actor."""

from decimal import Decimal
from typing import Any

from tests.helpers import admin, click, conversions, postback, setup_network


def three_waiting_for_approval() -> tuple[dict[str, Any], str]:
    """A network whose offer's default goal holds its conversions for approval (payout 4,
    revenue 6), and three of them recorded: the network and the offer id."""
    net = setup_network(
        offer={"default_goal": {"payout": {"flat": "4"}, "revenue": {"flat": "6"}, "approve": True}}
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    for tid in [click(offer_id, partner_id) for _ in range(3)]:
        assert postback(f"transaction_id={tid}")["statusCode"] == 200
    return net, offer_id


def test_approve_reject_and_reapprove_are_adjustments(aws) -> None:
    _net, offer_id = three_waiting_for_approval()
    status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    assert status == 200 and len(pending["items"]) == 3
    ids = [c["conversion_id"] for c in pending["items"]]

    status, decided = admin(
        "POST",
        "/admin/conversions/decisions",
        {"conversion_ids": [*ids[:2], "ab" * 16 + "-9"], "status": "approved", "note": "checked"},
    )
    assert status == 200
    assert [r["outcome"] for r in decided["items"]] == ["updated", "updated", "not_found"]
    assert len(admin("GET", f"/admin/offers/{offer_id}/conversions/pending")[1]["items"]) == 1

    admin(
        "POST",
        "/admin/conversions/decisions",
        {"conversion_ids": [ids[0]], "status": "rejected", "note": "fraud"},
    )
    admin(
        "POST",
        "/admin/conversions/decisions",
        {"conversion_ids": [ids[0]], "status": "approved", "note": "appeal won"},
    )
    conversion = next(c for c in conversions(offer_id) if c.get("conversion_id") == ids[0])
    assert [(a["from"], a["to"], a["reason"], a["by"]) for a in conversion["adjustments"]] == [
        ("pending", "approved", "checked", "arn:aws:iam::000000000000:user/local-admin"),
        ("approved", "rejected", "fraud", "arn:aws:iam::000000000000:user/local-admin"),
        ("rejected", "approved", "appeal won", "arn:aws:iam::000000000000:user/local-admin"),
    ]
    clawbacks = [c for c in conversions(offer_id) if c["status_code"] == "clawback"]
    assert len(clawbacks) == 1 and Decimal(clawbacks[0]["payout"]) == Decimal("-4")


def test_decisions_validate_their_input(aws) -> None:
    for body in (
        {"conversion_ids": [], "status": "approved"},
        {"conversion_ids": ["nope"], "status": "approved"},
        {"conversion_ids": ["ab" * 16 + "-0"], "status": "maybe"},
        {"conversion_ids": ["ab" * 16 + "-0"] * 101, "status": "approved"},
    ):
        status, answer = admin("POST", "/admin/conversions/decisions", body)
        assert status == 422 and answer["error"]["code"] == "validation_error", body


def test_the_report_and_its_csv_say_who_decided_when_and_the_note(aws) -> None:
    """A network reconciling with an advertiser exports the report: the note given with each
    approval or rejection was only on the conversion's own page."""
    import csv
    import io
    import json

    from tests.helpers import ADMIN, call, partner_call, the_stats_consumer

    net, offer_id = three_waiting_for_approval()
    ids = [
        c["conversion_id"] for c in admin("GET", f"/admin/offers/{offer_id}/conversions/pending")[1]["items"]
    ]
    for conversion_id, status, note in (
        (ids[0], "approved", "order 1001 paid"),
        (ids[1], "rejected", "refunded"),
    ):
        decision = {"conversion_ids": [conversion_id], "status": status, "note": note}
        assert admin("POST", "/admin/conversions/decisions", decision)[0] == 200
    the_stats_consumer().drain()  # the offer's report reads the stream's projection

    response = call(ADMIN, "GET", "/admin/conversions", f"offer_id={offer_id}&format=csv")
    rows = {r["conversion_id"]: r for r in csv.DictReader(io.StringIO(response["body"]))}
    assert (rows[ids[0]]["status"], rows[ids[0]]["decision_note"]) == ("approved", "order 1001 paid")
    assert (rows[ids[1]]["status"], rows[ids[1]]["decision_note"]) == ("rejected", "refunded")
    assert rows[ids[0]]["decided_by"].endswith("local-admin") and rows[ids[0]]["decided_at"].endswith("Z")
    assert (rows[ids[2]]["decision_note"], rows[ids[2]]["decided_at"]) == ("", "")  # still waiting

    # the partner's own report says what was decided, not the network's notes
    mine = json.loads(partner_call("/partner/conversions", net["partner"]["api_key"])["body"])
    assert mine["items"] and not {"decision_note", "decided_by"} & set(mine["columns"])
