"""Secrets kept apart from the configuration (issue 26, point 8): the partners' postback secrets.

The config table is read by every function (the hot paths load partners and offers from it); a
secret there is a secret every function's role can read. ``SecretsTable`` is written by the
admin function (with the partner it belongs to, in one transaction) and read only by the
function that signs partner postbacks: no other role names it.
"""

from __future__ import annotations

from typing import Any

from goalpost import settings
from goalpost.model import clock
from goalpost.store.dynamo import client, to_item

CACHE_SECONDS = 300.0
"""A partner's secret changes only with the partner's creation: kept this long per process."""

_cache: dict[str, tuple[str, float]] = {}


def secrets_table() -> str:
    return settings.secrets_table()


def partner_secret_put(partner_id: str, secret: str) -> dict[str, Any]:
    """The secret's Put, for the transaction that creates its partner."""
    return {
        "Put": {
            "TableName": secrets_table(),
            "Item": to_item({"pk": f"PARTNER#{partner_id}", "postback_secret": secret}),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def partner_postback_secret(partner_id: str) -> str:
    """The partner's postback secret ("" when it has none here: a partner created before)."""
    now = clock.now()
    cached = _cache.get(partner_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    item = (
        client().get_item(TableName=secrets_table(), Key={"pk": {"S": f"PARTNER#{partner_id}"}}).get("Item")
    )
    secret = str(item["postback_secret"]["S"]) if item and "postback_secret" in item else ""
    _cache[partner_id] = (secret, now + CACHE_SECONDS)
    return secret


def forget() -> None:
    _cache.clear()
