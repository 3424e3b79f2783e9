"""The screening rules' counters: small items of the stats table (pk ``SCREEN#...``), TTL on
``expires_at``.

Each is one atomic UpdateItem (an ADD, or a SET on condition), never a read followed by a
write and never a scan: exact under any concurrency, 1 write unit each (the items stay far
below 1 KB). ``rules.screening`` judges what they answer.
"""

from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from goalpost.store.dynamo import attribute_values, client, stats_table

CLICK_RATE_TTL_SECONDS = 3600
"""A minute's click counter outlives its minute by an hour (TTL deletes lag; nothing reads it late)."""


def count_click(ip_key: str, minute: int) -> int:
    """Add a click to its IP's counter for this minute; the count including it."""
    response = client().update_item(
        TableName=stats_table(),
        Key={"pk": {"S": f"SCREEN#CLICKS#{ip_key}"}, "sk": {"S": str(minute)}},
        UpdateExpression="ADD clicks :one SET expires_at = if_not_exists(expires_at, :expires)",
        ExpressionAttributeValues=attribute_values(
            {":one": 1, ":expires": (minute + 1) * 60 + CLICK_RATE_TTL_SECONDS}
        ),
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["clicks"]["N"])


def visit(offer_id: str, visitor: str, now: float, window_seconds: int) -> float | None:
    """Start a visitor's window on an offer unless one is running: None for a unique click,
    else when the running window's unique click was (this click is a duplicate of it).

    One conditional SET: of two racing first clicks, exactly one is unique.
    """
    at = Decimal(f"{now:.3f}")  # to the millisecond, as every stored instant
    try:
        client().update_item(
            TableName=stats_table(),
            Key={"pk": {"S": f"SCREEN#VISIT#{offer_id}#{visitor}"}, "sk": {"S": "VISIT"}},
            UpdateExpression="SET unique_at = :at, expires_at = :expires",
            ConditionExpression="attribute_not_exists(unique_at) OR unique_at <= :cutoff",
            ExpressionAttributeValues=attribute_values(
                {":at": at, ":cutoff": at - window_seconds, ":expires": int(now) + window_seconds + 1}
            ),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        old: dict[str, Any] = error.response.get("Item", {})  # type: ignore[attr-defined, assignment]
        return float(old["unique_at"]["N"]) if "unique_at" in old else now
    return None


def forget_visit(offer_id: str, visitor: str, now: float) -> None:
    """Remove the visitor's window that ``visit`` opened at ``now``, if it is still that one
    (one conditional DeleteItem): a window another click opened since is kept."""
    try:
        client().delete_item(
            TableName=stats_table(),
            Key={"pk": {"S": f"SCREEN#VISIT#{offer_id}#{visitor}"}, "sk": {"S": "VISIT"}},
            ConditionExpression="unique_at = :at",
            ExpressionAttributeValues=attribute_values({":at": Decimal(f"{now:.3f}")}),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


CONVERSION_RATE_TTL_SECONDS = 7200


def count_conversion(offer_id: str, ip_key: str, hour: int, conversion_key: str, limit: int) -> bool:
    """Count a conversion on its IP's counter for this hour on an offer, if there is room: True
    when counted (or already counted: a retried postback is the same ``conversion_key``), False
    when ``limit`` others were counted before it.

    The counter is the set of the counted conversions' keys: a retry cannot count twice, and
    the set never holds more than ``limit`` keys (the item stays small).
    """
    try:
        client().update_item(
            TableName=stats_table(),
            Key={"pk": {"S": f"SCREEN#CONV#{offer_id}#{ip_key}"}, "sk": {"S": str(hour)}},
            UpdateExpression="ADD conversions :key SET expires_at = if_not_exists(expires_at, :expires)",
            ConditionExpression="attribute_not_exists(conversions) OR size(conversions) < :limit "
            "OR contains(conversions, :one)",
            ExpressionAttributeValues={
                ":key": {"SS": [conversion_key]},
                ":one": {"S": conversion_key},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str((hour + 1) * 3600 + CONVERSION_RATE_TTL_SECONDS)},
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def conversions_counted(offer_id: str, ip_key: str, hour: int) -> int:
    """How many conversions the counter holds (tests and the admin's view; not the hot path)."""
    item = (
        client()
        .get_item(
            TableName=stats_table(),
            Key={"pk": {"S": f"SCREEN#CONV#{offer_id}#{ip_key}"}, "sk": {"S": str(hour)}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return len(item["conversions"]["SS"]) if item else 0
