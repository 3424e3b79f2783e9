"""The screening rules' counters: small items of the stats table (pk ``SCREEN#...``), TTL on
``expires_at``.

Each is one atomic UpdateItem, never a scan: the IP's ledger (``rules.ip_ledger``: the click
rate and the duplicate windows, read, then written once without a condition, its verdict taken
from the item as the write left it), or a string set grown only while it has room (conversions
per IP). Exact under any concurrency. ``rules.screening`` and ``rules.ip_ledger`` judge what they
answer.
"""

from typing import Any

from botocore.exceptions import ClientError

from goalpost.model.ip_ledger import Plan, Window
from goalpost.store.dynamo import attribute_values, client, from_item, stats_table

IP_LEDGER_TTL_SECONDS = 10_000_000 + 3600
"""An IP's ledger outlives its last click by the longest duplicate window a rule may set (the
admin API's limit), and an hour: a ledger's windows may belong to several offers' windows, and
a single expiry that only grows is what keeps each of them (racing clicks with different
windows could otherwise lower it under another's running window)."""


def _ledger_key(ip_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"SCREEN#IP#{ip_key}"}, "sk": {"S": "IP"}}


def read_ledger(ip_key: str) -> dict[str, Any]:
    """The IP's ledger as it is now (a strongly consistent read: 1 read unit per 4 KB)."""
    key = _ledger_key(ip_key)
    item = client().get_item(TableName=stats_table(), Key=key, ConsistentRead=True).get("Item")
    return from_item(item) if item else {}


def write_ledger(ip_key: str, plan: Plan, now: float) -> dict[str, Any]:
    """The click's one write to its IP's ledger (``rules.ip_ledger.plan``): never conditional,
    so it never fails on a race and is never repeated; the ledger as it left it."""
    names = {"#m": plan.minute_name}
    values: dict[str, Any] = {":one": 1, ":expires": int(now) + IP_LEDGER_TTL_SECONDS}
    sets = ["expires_at = :expires"]
    if plan.opened is not None:
        names["#w"] = plan.open_name
        values[":w"] = plan.opened.encoded()
        sets.append("#w = if_not_exists(#w, :w)")
    expression = f"ADD #m :one SET {', '.join(sets)}"
    if plan.drop:
        names.update({f"#d{n}": name for n, name in enumerate(plan.drop)})
        expression += " REMOVE " + ", ".join(f"#d{n}" for n in range(len(plan.drop)))
    response = client().update_item(
        TableName=stats_table(),
        Key=_ledger_key(ip_key),
        UpdateExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=attribute_values(values),
        ReturnValues="ALL_NEW",
    )
    return from_item(response["Attributes"])


def close_window(ip_key: str, name: str, window: Window) -> None:
    """Remove a window a click wrote but did not open (``Judged.undo``), or opened for a click
    that then never reached its offer: only while it is still that click's."""
    try:
        client().update_item(
            TableName=stats_table(),
            Key=_ledger_key(ip_key),
            UpdateExpression="REMOVE #w",
            ConditionExpression="#w = :w",
            ExpressionAttributeNames={"#w": name},
            ExpressionAttributeValues={":w": {"S": window.encoded()}},
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
