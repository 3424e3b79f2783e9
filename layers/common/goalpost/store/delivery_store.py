"""Partner postback deliveries: one item per planned request, with its attempts."""

from collections.abc import Mapping
from typing import Any, Literal

from botocore.exceptions import ClientError

from goalpost.store.dynamo import (
    Page,
    attribute_values,
    client,
    conversions_table,
    from_item,
    query_page,
    to_item,
)


def _delivery_key(offer_id: str, delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"DELIVERY#{offer_id}"}, "sk": {"S": delivery_id}}


def record_delivery(delivery: Mapping[str, Any], at: str) -> bool:
    """Record a planned delivery before it is queued; False when it was recorded before."""
    item = {
        **delivery,
        "pk": f"DELIVERY#{delivery['offer_id']}",
        "sk": delivery["delivery_id"],
        "kind": "delivery",
        "status": "queued",
        "attempts": 0,
        "created_at": at,
    }
    try:
        client().put_item(
            TableName=conversions_table(), Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


DeliveryStart = Literal["go", "delivered", "busy"]


def begin_delivery(offer_id: str, delivery_id: str, at: str, lease_from: str) -> DeliveryStart:
    """Count an attempt and take the delivery's lease, unless it was delivered or is being sent.

    A queue may hand the same message out twice at once; the lease (an attempt that started
    after ``lease_from`` is still running) keeps the partner from getting two requests.
    """
    try:
        client().update_item(
            TableName=conversions_table(),
            Key=_delivery_key(offer_id, delivery_id),
            UpdateExpression="SET #s = :sending, last_attempt_at = :at ADD attempts :one",
            ConditionExpression="attribute_exists(pk) AND #s <> :delivered "
            "AND (#s <> :sending OR last_attempt_at < :lease)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=attribute_values(
                {":sending": "sending", ":delivered": "delivered", ":at": at, ":one": 1, ":lease": lease_from}
            ),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            old = from_item(dict(error.response.get("Item") or {}))  # type: ignore[call-overload]
            return "delivered" if old.get("status") == "delivered" else "busy"
        raise
    return "go"


FAILING = "FAILING_DELIVERIES"
"""The partition that lists the network's failing deliveries: one item per delivery whose
last try failed or was refused, put in the same transaction that records the failure and
deleted in the one that records its delivery; so the console lists them across the network
without a scan (it holds what is failing now, not the history: that is each delivery's log)."""


def _failing_key(offer_id: str, delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": FAILING}, "sk": {"S": f"{offer_id}#{delivery_id}"}}


def finish_delivery(
    offer_id: str,
    delivery_id: str,
    status: str,
    response_code: int,
    error: str,
    at: str,
    *,
    url_sent: str = "",
    answer_head: str = "",
    took_ms: int = 0,
    next_retry_at: str = "",
    partner_id: str = "",
    attempts: int = 0,
    was_failing: bool = False,
) -> None:
    """The outcome of one try, in the one write that records it (the trace reads it back);
    a failed or refused try also lists the delivery as failing, and a delivery that was
    failing (``was_failing``: its record said so when this try began) leaves the list when
    delivered, both in the same transaction."""
    update: dict[str, Any] = {
        "TableName": conversions_table(),
        "Key": _delivery_key(offer_id, delivery_id),
        "UpdateExpression": "SET #s = :status, response_code = :code, last_error = :error, "
        "finished_at = :at, "
        "url_sent = :url, answer_head = :head, took_ms = :took, next_retry_at = :retry",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": attribute_values(
            {
                ":status": status,
                ":code": response_code,
                ":error": error,
                ":at": at,
                ":url": url_sent,
                ":head": answer_head,
                ":took": took_ms,
                ":retry": next_retry_at,
            }
        ),
    }
    if status in ("failed", "refused"):
        failing = {
            "pk": FAILING,
            "sk": f"{offer_id}#{delivery_id}",
            "kind": "failing_delivery",
            "offer_id": offer_id,
            "delivery_id": delivery_id,
            "partner_id": partner_id,
            "status": status,
            "attempts": attempts,
            "response_code": response_code,
            "last_error": error,
            "last_attempt_at": at,
            "next_retry_at": next_retry_at,
        }
        listed: dict[str, Any] = {"Put": {"TableName": conversions_table(), "Item": to_item(failing)}}
    elif was_failing:
        listed = {"Delete": {"TableName": conversions_table(), "Key": _failing_key(offer_id, delivery_id)}}
    else:
        client().update_item(**update)
        return
    client().transact_write_items(TransactItems=[{"Update": update}, listed])  # type: ignore[list-item,typeddict-item]


def failing_deliveries(*, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """The network's failing deliveries, a page at a time (by offer, then delivery)."""
    query = {
        "TableName": conversions_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": FAILING}},
    }
    return query_page(query, limit, cursor)


def session_deliveries(offer_id: str, transaction_id: str, *, limit: int) -> list[dict[str, Any]]:
    """A session's deliveries (their ids begin with its conversions' ids): one bounded query."""
    response = client().query(
        TableName=conversions_table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :tx)",
        ExpressionAttributeValues=attribute_values(
            {":pk": f"DELIVERY#{offer_id}", ":tx": f"{transaction_id}-"}
        ),
        Limit=limit,
    )
    return [from_item(i) for i in response.get("Items", [])]


def list_deliveries(offer_id: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    query = {
        "TableName": conversions_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"DELIVERY#{offer_id}"}},
    }
    return query_page(query, limit, cursor)


def get_delivery(offer_id: str, delivery_id: str) -> dict[str, Any] | None:
    item = (
        client()
        .get_item(
            TableName=conversions_table(), Key=_delivery_key(offer_id, delivery_id), ConsistentRead=True
        )
        .get("Item")
    )
    return from_item(item) if item else None
