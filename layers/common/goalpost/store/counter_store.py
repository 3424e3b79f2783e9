"""Counters beside the conversions: cap counters (stats table), hourly impressions, goal clicks."""

import random
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from goalpost.model.caps import ClickCounter, Counter
from goalpost.model.conversion import GOAL_CLICK, IMPRESSIONS
from goalpost.store.dynamo import attribute_values, client, conversions_table, from_item, stats_table


def _cap_counter_key(offer_id: str, sort_key: str) -> dict[str, Any]:
    """``rules.caps.counter_sort_keys`` names a counter's sort key: ``<scope>#<period key>[#s<shard>]``."""
    return {"pk": {"S": f"CAP#{offer_id}"}, "sk": {"S": sort_key}}


def cap_counter_update(offer_id: str, counter: Counter) -> dict[str, Any]:
    """Add this conversion to a cap counter, on condition that each capped measure has room.

    DynamoDB cannot add inside a condition, so the room is the limit less this conversion,
    computed before: ``counter <= limit - this`` is ``counter + this <= limit``.
    """
    names = {f"#{m}": m for m in counter.adds}
    values: dict[str, Any] = {f":add_{m}": v for m, v in counter.adds.items()}
    values.update({f":room_{m}": v for m, v in counter.room.items()})
    expression = "ADD " + ", ".join(f"#{m} :add_{m}" for m in counter.adds)
    if counter.expires_at:
        expression += " SET expires_at = if_not_exists(expires_at, :expires)"
        values[":expires"] = counter.expires_at
    return {
        "Update": {
            "TableName": stats_table(),
            "Key": _cap_counter_key(offer_id, f"{counter.scope}#{counter.period_key}"),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(
                f"(attribute_not_exists(#{m}) OR #{m} <= :room_{m})" for m in counter.room
            ),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": attribute_values(values),
        }
    }


def _click_update(offer_id: str, counter: ClickCounter) -> dict[str, Any]:
    """Add 1 to a click counter on condition it holds fewer than its limit (TTL'd but lifetime)."""
    expression = "ADD clicks :one"
    values: dict[str, Any] = {":one": 1, ":limit": counter.limit}
    if counter.expires_at:
        expression += " SET expires_at = if_not_exists(expires_at, :expires)"
        values[":expires"] = counter.expires_at
    return {
        "TableName": stats_table(),
        "Key": _cap_counter_key(offer_id, counter.sort_key),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_not_exists(clicks) OR clicks < :limit",
        "ExpressionAttributeValues": attribute_values(values),
    }


CLICK_TRANSACTION_TRIES = 6
"""A click under several caps writes its counters in one transaction; one that conflicts with
another click's (DynamoDB cancels it, writing nothing) is tried again, after a few jittered
milliseconds, this many times in all (then it raises: the click passes uncounted, logged)."""


def count_click(offer_id: str, counters: Sequence[ClickCounter]) -> ClickCounter | None:
    """Count a click in each of its cap counters, all or none: None when counted, else the
    counter (the first named) that had no room. One conditional UpdateItem for one counter
    (1 write unit); a transaction for several (2 units per counter). Exact under any
    concurrency: of racing clicks for a cap's last place exactly one gets it."""
    if len(counters) == 1:
        try:
            client().update_item(**_click_update(offer_id, counters[0]))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return counters[0]
        return None
    for attempt in range(CLICK_TRANSACTION_TRIES):
        try:
            client().transact_write_items(
                TransactItems=[{"Update": _click_update(offer_id, counter)} for counter in counters]  # type: ignore[typeddict-item]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            for counter, reason in zip(counters, reasons, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed":
                    return counter
            if attempt == CLICK_TRANSACTION_TRIES - 1:
                raise
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # jitter, not a secret
            continue
        return None
    return None  # unreachable: the last try returns or raises


def cap_counters(offer_id: str, sort_keys: Sequence[str]) -> list[dict[str, Any]]:
    """The named cap counters of an offer that exist (``rules.caps.counter_sort_keys`` names them)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(sort_keys), 100):  # BatchGetItem takes 100 keys
        pending: dict[str, Any] = {
            stats_table(): {"Keys": [_cap_counter_key(offer_id, sk) for sk in sort_keys[start : start + 100]]}
        }
        while pending:
            response = client().batch_get_item(RequestItems=pending)
            found.extend(from_item(item) for item in response.get("Responses", {}).get(stats_table(), []))
            pending = response.get("UnprocessedKeys") or {}
    return found


def count_impression(*, offer_id: str, partner_id: str, hour: str, shard: int) -> None:
    """Hourly impression counter for (offer, partner); shards are summed when reading."""
    client().update_item(
        TableName=conversions_table(),
        Key={"pk": {"S": f"IMPRESSIONS#{offer_id}#{hour}#{shard}"}, "sk": {"S": f"PARTNER#{partner_id}"}},
        UpdateExpression="SET kind = :kind, offer_id = :offer, partner_id = :partner, #hour = :hour "
        "ADD impressions :one",
        ExpressionAttributeNames={"#hour": "hour"},
        ExpressionAttributeValues=attribute_values(
            {":kind": IMPRESSIONS, ":offer": offer_id, ":partner": partner_id, ":hour": hour, ":one": 1}
        ),
    )


def impressions(offer_id: str, partner_id: str, hour: str, shards: int) -> int:
    total = 0
    for shard in range(shards):
        item = (
            client()
            .get_item(
                TableName=conversions_table(),
                Key={
                    "pk": {"S": f"IMPRESSIONS#{offer_id}#{hour}#{shard}"},
                    "sk": {"S": f"PARTNER#{partner_id}"},
                },
                ConsistentRead=True,
            )
            .get("Item")
        )
        total += int(item["impressions"]["N"]) if item else 0
    return total


def count_goal_click(*, transaction_id: str, offer_id: str, goal_id: str, partner_id: str, at: str) -> None:
    """One item per (session, goal) counting visits of the goal's page: one write, no growth."""
    client().update_item(
        TableName=conversions_table(),
        Key={"pk": {"S": f"TX#{transaction_id}"}, "sk": {"S": f"GOALCLICK#{goal_id}"}},
        UpdateExpression="SET kind = :kind, offer_id = :offer, goal_id = :goal, partner_id = :partner, "
        "transaction_id = :tx, first_at = if_not_exists(first_at, :at), last_at = :at ADD clicks :one",
        ExpressionAttributeValues=attribute_values(
            {
                ":kind": GOAL_CLICK,
                ":offer": offer_id,
                ":goal": goal_id,
                ":partner": partner_id,
                ":tx": transaction_id,
                ":at": at,
                ":one": 1,
            }
        ),
    )
