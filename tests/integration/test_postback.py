import json
from decimal import Decimal

from goalpost.store import conversion_store, dynamo
from tests.helpers import click, conversions, dynamodb_calls, postback, setup_network


def test_default_goal_postback_records_conversion_with_payout_and_revenue(aws) -> None:
    net = setup_network(
        offer={"default_goal": {"payout": {"flat": "1.5", "percent": "10"}, "revenue": {"percent": "25"}}}
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id, "&aff_sub=kw1&source=email")
    response = postback(f"transaction_id={tid}&amount=40&adv_sub=ORDER-1")
    assert response["statusCode"] == 200
    assert response["body"].startswith("success=true;")
    [conv] = conversions(offer_id)
    assert conv["goal_id"] == "0" and conv["status"] == "approved"
    assert conv["status_code"] == "approved_server_postback"
    assert Decimal(conv["payout"]) == Decimal("5.5")  # 1.5 + 10% of 40
    assert Decimal(conv["revenue"]) == Decimal("10")
    assert Decimal(conv["sale_amount"]) == Decimal("40")
    assert conv["subs"] == {"aff_sub": "kw1", "source": "email"}
    assert conv["adv_subs"] == {"adv_sub": "ORDER-1"}
    assert conv["partner_id"] == partner_id and conv["transaction_id"] == tid
    assert conv["currency"] == "USD"


def test_money_is_stored_as_dynamodb_numbers_not_floats(aws) -> None:
    net = setup_network(offer={"default_goal": {"payout": {"percent": "33.333"}}})
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    postback(f"transaction_id={tid}&amount=0.15")
    item = aws.get_item(TableName=dynamo.conversions_table(), Key=conversion_store.conversion_key(tid, "0"))[
        "Item"
    ]
    assert item["payout"] == {"N": "0.05000"}
    assert item["sale_amount"] == {"N": "0.15"}


def test_duplicate_pays_nothing_and_is_counted_on_the_original(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    again = postback(f"transaction_id={tid}&format=json")
    assert again["statusCode"] == 200
    body = json.loads(again["body"])
    assert body["success"] is False and body["code"] == "duplicate"
    assert body["conversion_id"] == f"{tid}-0"
    [conv] = conversions(offer_id)
    assert Decimal(conv["duplicate_count"]) == 1


def test_postback_costs_one_read_and_one_conditional_write(aws) -> None:
    net = setup_network()
    warm_up = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    postback(f"transaction_id={warm_up}")  # config now cached, as in a warm Lambda
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    with dynamodb_calls() as seen:
        postback(f"transaction_id={tid}")
    assert seen == ["GetItem", "PutItem"]  # the conversion's own conditional write, no transaction
    with dynamodb_calls() as seen:
        postback(f"transaction_id={tid}")
    assert seen == ["GetItem", "PutItem", "UpdateItem"]  # the refused write, then the repeat counted


def test_unknown_and_expired_sessions_are_rejected(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    unknown = postback("transaction_id=" + "ab" * 16 + "&format=json")
    assert unknown["statusCode"] == 404 and json.loads(unknown["body"])["code"] == "unknown_transaction"

    tid = click(offer_id, net["partner"]["partner_id"])
    # TTL has not deleted the item yet, but the session is past its lifespan.
    aws.update_item(
        TableName=dynamo.sessions_table(),
        Key={"transaction_id": {"S": tid}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1000"}},
    )
    expired = postback(f"transaction_id={tid}")
    assert expired["statusCode"] == 410
    assert expired["body"].startswith("success=false; err_msg=session has expired")
    items = conversions(offer_id)
    assert [c["status"] for c in items] == ["rejected"]
    assert items[0]["status_code"] == "session_expired" and "payout" not in items[0]


def test_bad_input_is_a_4xx_with_reason_and_stores_nothing(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    for query in (
        "",
        "transaction_id=",
        f"transaction_id={tid}&amount=-5",
        f"transaction_id={tid}&amount=abc",
        f"transaction_id={tid}&amount=NaN",
        f"transaction_id={tid}&amount=1e5",
        f"transaction_id={tid}&amount=1&amount=2",
        f"transaction_id={tid}&adv_sub=%FF",
        "transaction_id=<script>",
    ):
        response = postback(query)
        assert 400 <= response["statusCode"] < 500, (query, response)
        assert "err_msg=" in response["body"]
    assert conversions(offer_id) == []


def test_every_postback_outcome_is_one_correlated_line_with_its_metric(aws, capsys) -> None:
    """The line joins the API access log on requestId and counts the outcome by code."""
    from tests.helpers import call

    net = setup_network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    capsys.readouterr()
    postback(f"transaction_id={tid}&amount=10")
    postback(f"transaction_id={tid}&amount=10")  # the default goal converts once: a duplicate
    call("PostbackFunction", "GET", "/aff_lsr", "amount=10")  # no transaction id
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines() if text.startswith("{")]
    recorded, duplicate, refused = (line for line in lines if "_aws" in line)
    assert recorded["Conversions"] == 1 and recorded["code"] == "approved_server_postback"
    assert recorded["transactionId"] == tid and recorded["conversionId"] == f"{tid}-0"
    assert recorded["route"] == "GET /aff_lsr" and recorded["requestId"]
    assert duplicate["Refusals"] == 1 and duplicate["transactionId"] == tid
    assert refused["Refusals"] == 1 and refused["code"] == "missing_transaction_id"
    assert len({line["requestId"] for line in (recorded, duplicate, refused)}) == 3
