"""Partner postback deliveries: one item per planned request, with its attempts."""

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from botocore.exceptions import ClientError

from goalpost.store.conversion_store import REPORT_SHARDS, report_shard
from goalpost.store.dynamo import (
    InvalidCursor,
    Page,
    attribute_values,
    client,
    conversions_table,
    from_item,
    merged_queries,
    page_of,
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
        SHARDED: True,
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
"""The list of the network's failing deliveries: one item per delivery whose last try failed
or was refused, put in the same transaction that records the failure and deleted in the one
that records its delivery; so the console lists them across the network without a scan (it
holds what is failing now, not the history: that is each delivery's log).

It is write-sharded as the report keys are (``REPORT_SHARDS`` partitions ``FAILING_DELIVERIES#<n>``,
``n = report_shard(delivery id)``, so a put and its later delete meet the same item): when
every partner is down, each shard takes a tenth of the network's failed tries (one key took them
all, at a partition's 1,000 WCU from 500 a second: 2 WCU each, transactional). Readers query
every shard and merge them by ``sk`` (README, "Capacity").

``FAILING`` itself is the single partition of before the sharding (``FAILING_DELIVERIES``): its
items are still read and merged (one more query, empty once drained), and a delivery listed
there (its record has no ``SHARDED`` mark: written and last tried before the sharding) is taken
off it by its next try, whatever the outcome; no new item is ever put there."""

SHARDED = "failing_sharded"
"""The mark of a delivery record written or tried since the failing list was sharded: without
it, a delivery that was failing is listed under the old single key (``FAILING``)."""


def failing_partitions() -> list[str]:
    """The failing list's partitions (the old single key, ``FAILING``, is not one of them)."""
    return [f"{FAILING}#{shard}" for shard in range(REPORT_SHARDS)]


def _failing_sk(offer_id: str, delivery_id: str) -> str:
    return f"{offer_id}#{delivery_id}"


def _failing_key(offer_id: str, delivery_id: str) -> dict[str, Any]:
    """Where a delivery is listed as failing: the shard its id picks."""
    pk = failing_partitions()[report_shard(delivery_id)]
    return {"pk": {"S": pk}, "sk": {"S": _failing_sk(offer_id, delivery_id)}}


def _unsharded_failing_key(offer_id: str, delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": FAILING}, "sk": {"S": _failing_sk(offer_id, delivery_id)}}


def listed_unsharded(record: Mapping[str, Any]) -> bool:
    """Whether a delivery (its record as read before a try) may be listed as failing under the
    old single key: it was tried (not ``queued``) and never written nor tried since the sharding."""
    return record.get("status") != "queued" and not record.get(SHARDED)


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
    unsharded: bool = False,
) -> None:
    """The outcome of one try, in the one write that records it (the trace reads it back);
    a failed or refused try also lists the delivery as failing, and a delivery that was
    failing (``was_failing``: its record said so when this try began) leaves the list when
    delivered, both in the same transaction. ``unsharded`` (``listed_unsharded`` of the record
    read before the try): its item under the old single key is deleted too, in that transaction."""
    update: dict[str, Any] = {
        "TableName": conversions_table(),
        "Key": _delivery_key(offer_id, delivery_id),
        "UpdateExpression": "SET #s = :status, response_code = :code, last_error = :error, "
        "finished_at = :at, "
        "url_sent = :url, answer_head = :head, took_ms = :took, next_retry_at = :retry, #sharded = :true",
        "ExpressionAttributeNames": {"#s": "status", "#sharded": SHARDED},
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
                ":true": True,
            }
        ),
    }
    if status in ("failed", "refused"):
        failing = {
            "pk": _failing_key(offer_id, delivery_id)["pk"]["S"],
            "sk": _failing_sk(offer_id, delivery_id),
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
        listed: list[dict[str, Any]] = [{"Put": {"TableName": conversions_table(), "Item": to_item(failing)}}]
    elif was_failing and not unsharded:  # an unsharded one was never put in a shard
        listed = [{"Delete": {"TableName": conversions_table(), "Key": _failing_key(offer_id, delivery_id)}}]
    else:
        listed = []
    if unsharded:
        old_key = _unsharded_failing_key(offer_id, delivery_id)
        listed.append({"Delete": {"TableName": conversions_table(), "Key": old_key}})
    if not listed:
        client().update_item(**update)
        return
    client().transact_write_items(TransactItems=[{"Update": update}, *listed])  # type: ignore[list-item,typeddict-item]


FAILING_CURSOR = "after"
"""The failing list's cursor: the ``sk`` (offer, then delivery) of the last item a page
returned. Every shard is sorted by ``sk``, so one position resumes them all. A cursor of before
the sharding (the single partition's key: ``pk`` = ``FAILING``, ``sk``) resumes from its ``sk``."""


def _failing_position(cursor: Mapping[str, Any] | None) -> str | None:
    if not cursor:
        return None
    if set(cursor) == {"pk", "sk"} and cursor.get("pk") == FAILING:
        position = cursor.get("sk")
    elif set(cursor) == {FAILING_CURSOR}:
        position = cursor.get(FAILING_CURSOR)
    else:
        position = None
    if not isinstance(position, str) or "#" not in position:
        raise InvalidCursor("the cursor does not belong to this list")
    return position


def failing_deliveries(*, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """The network's failing deliveries, a page at a time, by offer, then delivery (``sk``):
    every shard's query (and the old single key's, ``FAILING``) in parallel, merged by ``sk``;
    a delivery in both the old key and a shard is listed once, as its shard has it (the newer).
    Each query asks for its share of the page and a little more, and reads on only where the
    merge needs it; the cursor is the last ``sk`` returned (``FAILING_CURSOR``)."""
    after = _failing_position(cursor)
    partitions = [*failing_partitions(), FAILING]  # the shards first: they win a tie (above)
    queries = []
    for partition in partitions:
        values = {":pk": {"S": partition}}
        condition = "pk = :pk"
        if after is not None:
            values[":after"] = {"S": after}
            condition += " AND sk > :after"
        queries.append(
            {
                "TableName": conversions_table(),
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        )
    # a page spreads over the shards (the old key only drains): each asks for its share of them
    merged = merged_queries(queries, key=_sk, reverse=False, limit=limit, shares=REPORT_SHARDS)
    return page_of(_once_each(merged), limit, _failing_cursor)


def _failing_cursor(last: Mapping[str, Any]) -> dict[str, Any]:
    """The cursor after a page's last item."""
    return {FAILING_CURSOR: _sk(last)}


def _sk(item: Mapping[str, Any]) -> str:
    return str(item["sk"])


def _once_each(merged: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The merged items, the first of each ``sk`` only (a stable merge: the shards' come first)."""
    previous = None
    for item in merged:
        if item["sk"] != previous:
            previous = item["sk"]
            yield item


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
