"""Exchange rates in the config table: one item per published day under one partition.

``pk = RATES``, ``sk = DAY#<YYYY-MM-DD>``: the rate in force for a day is one Query (the last
item on or before it), a history is one range Query. A table is written only under the
version it was read at, so an import never overwrites an admin's rate set in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from goalpost.model.audit import Audit
from goalpost.model.exchange import RateDay
from goalpost.store.dynamo import all_pages, as_written, client, config_table, from_item, to_item

_PK = "RATES"
KIND = "rates"


def _sk(day: str) -> str:
    return f"DAY#{day}"


def _rate_day(item: dict[str, Any]) -> RateDay:
    return RateDay.from_dict(as_written(item["doc"]))


def rates_on_or_before(day: str) -> RateDay | None:
    """The latest table published on or before ``day`` (one Query, one item read)."""
    response = client().query(
        TableName=config_table(),
        KeyConditionExpression="pk = :pk AND sk <= :sk",
        ExpressionAttributeValues={":pk": {"S": _PK}, ":sk": {"S": _sk(day)}},
        ScanIndexForward=False,
        Limit=1,
    )
    items = response.get("Items", [])
    return _rate_day(from_item(items[0])) if items else None


def rate_history(first_day: str, last_day: str) -> list[RateDay]:
    """Every table published from ``first_day`` to ``last_day``, oldest first."""
    items = all_pages(
        {
            "TableName": config_table(),
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {
                ":pk": {"S": _PK},
                ":first": {"S": _sk(first_day)},
                ":last": {"S": _sk(last_day)},
            },
        }
    )
    return [_rate_day(item) for item in items]


class RatesChanged(Exception):
    """Another writer changed one of the tables since it was read: read again and merge again."""


_TRANSACTION_ITEMS = 100


def save_rate_days(days: Sequence[RateDay], audit: Audit, subject: str) -> None:
    """Write each table at the version it was read at (``RateDay.version``; 0: new), with one
    audit entry (under ``subject``: the day, or ``import``) per transaction of up to 99
    tables. ``RatesChanged``: nothing of that transaction was written."""
    from goalpost.store.audit_store import audit_put

    chunk = _TRANSACTION_ITEMS - 1
    for start in range(0, len(days), chunk):
        part = days[start : start + chunk]
        items: list[dict[str, Any]] = [_put(day) for day in part]
        items.append(audit_put(KIND, subject, "", audit._replace(after={"days": [d.day for d in part]})))
        try:
            client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise RatesChanged(subject) from None
            raise


def _put(day: RateDay) -> dict[str, Any]:
    version = day.version + 1
    doc = day._replace(version=version).to_dict()
    put: dict[str, Any] = {
        "TableName": config_table(),
        "Item": to_item({"pk": _PK, "sk": _sk(day.day), "kind": KIND, "version": version, "doc": doc}),
    }
    if day.version == 0:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(day.version)}}
    return {"Put": put}
