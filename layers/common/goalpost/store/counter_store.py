"""Counters beside the conversions: cap counters (stats table), hourly impressions, goal clicks."""

from collections.abc import Sequence
from typing import Any

from goalpost.model.caps import Counter
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
