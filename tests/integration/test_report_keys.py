"""The report keys: a conversion sits in one report index (2 WCU with its item), approvals in a sparse one."""

from goalpost.store import conversion_store, dynamo
from tests.helpers import admin, click, conversions, postback, setup_network


def _indexes_of(item: dict[str, object]) -> set[str]:
    table = dynamo.client().describe_table(TableName=dynamo.conversions_table())["Table"]
    return {
        index["IndexName"]
        for index in table["GlobalSecondaryIndexes"]
        if all(k["AttributeName"] in item for k in index["KeySchema"])
    }


def test_a_new_conversion_is_written_to_one_report_index(aws) -> None:
    net = setup_network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    [item] = [i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("CONV#")]
    # the conversion's own PutItem (1 WCU) and this one index write (1 WCU)
    assert _indexes_of(item) == {"by_day_time"}


def test_pending_conversions_are_listed_for_approval_until_decided(aws) -> None:
    net = setup_network(offer={"default_goal": {"approve": True, "payout": {"flat": "2"}}})
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    [item] = [i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("CONV#")]
    assert _indexes_of(item) == {"by_day_time", "by_offer_pending"}
    status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    assert status == 200 and [c["transaction_id"] for c in pending["items"]] == [tid]

    conversion_id = pending["items"][0]["conversion_id"]
    status, _ = admin(
        "POST", "/admin/conversions/decisions", {"conversion_ids": [conversion_id], "status": "approved"}
    )
    assert status == 200
    status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    assert status == 200 and pending["items"] == []
    [item] = [i for i in conversion_store.session_conversions(tid) if str(i["sk"]).startswith("CONV#")]
    assert _indexes_of(item) == {"by_day_time"}  # out of the approvals index

    status, _ = admin(
        "PATCH", f"/admin/conversions/{conversion_id}", {"status": "pending", "note": "recheck"}
    )
    assert status == 200
    status, pending = admin("GET", f"/admin/offers/{offer_id}/conversions/pending")
    assert [c["conversion_id"] for c in pending["items"]] == [conversion_id]  # back for a decision


def test_the_day_index_serves_the_offers_list_and_the_offer_and_partner_reports(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}&offer_id=999")["statusCode"] == 422  # refused, stored
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    listed = conversions(offer_id)
    assert sorted(c["status"] for c in listed) == ["approved", "rejected"]
    other = setup_network()  # another offer and partner on the same days: filtered out
    other_tid = click(other["offer"]["offer_id"], other["partner"]["partner_id"])
    assert postback(f"transaction_id={other_tid}")["statusCode"] == 200
    status, report = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}&status=approved")
    assert status == 200 and [r["transaction_id"] for r in report["items"]] == [tid]
    status, mine = admin("GET", "/admin/conversions", query=f"partner_id={net['partner']['partner_id']}")
    assert status == 200 and sorted(r["status"] for r in mine["items"]) == ["approved", "rejected"]
    status, everyone = admin("GET", "/admin/conversions", query="status=approved")
    assert {r["transaction_id"] for r in everyone["items"]} >= {tid, other_tid}
