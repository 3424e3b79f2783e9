"""Refused requests that matched no session (unknown transaction id, a status postback with a
bad token): kept a week, by offer and hour, in a bounded number of slots.

Each goes to one of ``SLOTS_PER_HOUR`` items of its offer's hour (the minute of the hour and a
random quarter: a later refusal in the same slot replaces the earlier one), so an offer keeps at
most 240 an hour whatever is sent, each item under 1 KB (one write unit), removed by TTL.
One PutItem a refusal, nothing read; a valid conversion never comes here.
"""

import secrets
from typing import Any

from goalpost.store.dynamo import attribute_values, client, conversions_table, from_item, to_item

KEEP_SECONDS = 7 * 86400
"""How long an unmatched refusal is kept (DynamoDB's TTL removes it within a day or two after)."""
SLOTS_PER_MINUTE = 4
SLOTS_PER_HOUR = 60 * SLOTS_PER_MINUTE
NO_OFFER = "-"
"""The offer of a request that names none (its transaction id matched no session)."""


def _pk(offer_id: str, hour: str) -> str:
    return f"UNMATCHED#{offer_id or NO_OFFER}#{hour}"


def record_unmatched(record: dict[str, Any], *, offer_id: str, at: str, now: int) -> None:
    """Keep one refused request (``at``: ISO time, UTC) in its offer's hour, in a bounded slot."""
    hour, minute = at[:13], int(at[14:16])
    slot = minute * SLOTS_PER_MINUTE + secrets.randbelow(SLOTS_PER_MINUTE)
    item = {
        **record,
        "pk": _pk(offer_id, hour),
        "sk": f"{slot:03d}",
        "kind": "unmatched",
        "received_at": at,
        "guard_expires_at": now + KEEP_SECONDS,
    }
    client().put_item(TableName=conversions_table(), Item=to_item(item))


def unmatched_of_hour(offer_id: str, hour: str) -> list[dict[str, Any]]:
    """One hour's kept refusals of an offer (one query: at most 240 items under 1 KB)."""
    response = client().query(
        TableName=conversions_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=attribute_values({":pk": _pk(offer_id, hour)}),
    )
    items = [from_item(i) for i in response.get("Items", [])]
    return sorted(items, key=lambda i: str(i.get("received_at", "")))
