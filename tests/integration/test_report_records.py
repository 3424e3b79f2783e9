"""Every record the reports list opens by its id: conversions, stored refusals (``-R``) and
clawbacks (``-C``); a clawback has its own status and is history, not adjusted."""

from decimal import Decimal
from urllib.parse import quote

from tests.helpers import admin, click, conversions, postback, setup_network, the_stats_consumer


def _report(offer_id: str) -> list[dict]:  # type: ignore[type-arg]
    the_stats_consumer().drain()  # the offer's report reads the stream's projection
    status, report = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}&limit=100")
    assert status == 200, report
    return list(report["items"])


def test_a_refusal_listed_in_the_report_opens(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    refused = postback(f"a=lsr&goal_name=no-such-goal&transaction_id={tid}", path="/aff_goal")
    assert refused["statusCode"] >= 400, refused
    [row] = _report(offer_id)
    assert "-R" in row["conversion_id"] and row["status"] == "rejected"
    status, record = admin("GET", f"/admin/conversions/{row['conversion_id']}")
    assert status == 200, record
    assert record["conversion_id"] == row["conversion_id"] and record["status_code"] == row["status_code"]
    assert record["note"] and "pk" not in record and "sk" not in record
    status, answer = admin(
        "PATCH", f"/admin/conversions/{row['conversion_id']}", {"status": "approved", "note": "x"}
    )
    assert (status, answer["error"]["code"]) == (409, "not_adjustable")
    assert admin("GET", f"/admin/conversions/{tid}-Rdeadbeef")[0] == 404


def test_a_clawback_opens_with_its_own_status(aws) -> None:
    net = setup_network(offer={"default_goal": {"payout": {"flat": "4"}, "revenue": {"flat": "6"}}})
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    conversion_id = f"{tid}-0"
    status, _ = admin("PATCH", f"/admin/conversions/{conversion_id}", {"status": "rejected", "note": "fraud"})
    assert status == 200
    [clawback] = [c for c in conversions(offer_id) if c["kind"] == "clawback"]
    assert clawback["status"] == "reversed" and clawback["reverses"] == conversion_id
    for path_id in (clawback["conversion_id"], quote(clawback["conversion_id"], safe="")):
        status, record = admin("GET", f"/admin/conversions/{path_id}")
        assert status == 200, record
        assert record["kind"] == "clawback" and record["status"] == "reversed"
        assert Decimal(str(record["payout"])) == Decimal("-4") and record["reverses"] == conversion_id
    status, answer = admin(
        "PATCH", f"/admin/conversions/{clawback['conversion_id']}", {"status": "approved", "note": "x"}
    )
    assert (status, answer["error"]["code"]) == (409, "not_adjustable") and conversion_id in answer["error"][
        "message"
    ]
    # the report of conversions stays conversions: the clawback is not an approved conversion there
    assert [r["status"] for r in _report(offer_id)] == ["rejected"]
    the_stats_consumer().drain()
    status, approved = admin("GET", "/admin/conversions", query=f"offer_id={offer_id}&status=approved")
    assert approved["items"] == []
