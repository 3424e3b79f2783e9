"""Stats table: hourly cells kept by the stream consumer, read by the stats screens."""

import hashlib
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from goalpost.model.stats import STATS_SHARDS, shard_of

if TYPE_CHECKING:
    from goalpost.model.stats import Cell, Group, Rollup, RollupRead, SubCell
from goalpost.store.dynamo import all_pages, attribute_values, client, from_item, stats_table, to_item

STATS_MARKER_SECONDS = 3 * 86400
"""How long a batch marker is kept: longer than a stream record can live (24 hours)."""

_MAX_TRANSACTION_CONFLICTS = 5


PRIVATE_CELL = "#private"
"""The end of a private cell's sort key: the cell beside the public one of the same hour, offer,
partner and goal."""


def _cell_key(cell: "Cell") -> dict[str, Any]:
    shard = shard_of(cell.offer_id, cell.partner_id)
    sk = f"{cell.offer_id}#{cell.hour[11:13]}#{cell.partner_id}#{cell.goal_id or '-'}"
    return {
        "pk": {"S": f"CELLS#{cell.hour[:10]}#{shard}"},
        "sk": {"S": sk + PRIVATE_CELL if cell.private else sk},
    }


ROLLUP_LEVEL_CODES = {"network": "N", "offer": "O", "partner": "P"}


def _rollup_key(rollup: "Rollup") -> dict[str, Any]:
    """A day's rollups share a partition, ``ROLLUP#<day>``: the whole day's (``D#<level>#``), then
    each level's hours (``H<level>#<hour>#``), so a day is one query, and a level's hours another."""
    day, hour = rollup.period[:10], rollup.period[11:13]
    level = ROLLUP_LEVEL_CODES[rollup.level]
    rest = f"{rollup.subject}#{rollup.shard}"
    return {
        "pk": {"S": f"ROLLUP#{day}"},
        "sk": {"S": f"H{level}#{hour}#{rest}" if hour else f"D#{level}#{rest}"},
    }


def _adds(counters: Mapping[str, Decimal], names: dict[str, str], values: dict[str, Any]) -> list[str]:
    """The ``ADD`` clauses of an update adding ``counters`` (a cell's, a rollup's or a sub
    cell's), their names and values put into ``names`` and ``values``."""
    adds = []
    for n, (name, amount) in enumerate(sorted(counters.items())):
        names[f"#c{n}"] = name
        values[f":c{n}"] = amount
        adds.append(f"#c{n} :c{n}")
    return adds


def _rollup_update(rollup: "Rollup", counters: dict[str, Decimal]) -> dict[str, Any]:
    names = {"#period": "period", "#level": "level", "#subject": "subject"}
    values: dict[str, Any] = {":period": rollup.period, ":level": rollup.level, ":subject": rollup.subject}
    adds = _adds(counters, names, values)
    return {
        "Update": {
            "TableName": stats_table(),
            "Key": _rollup_key(rollup),
            "UpdateExpression": "SET #period = :period, #level = :level, #subject = :subject "
            f"ADD {', '.join(adds)}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": attribute_values(values),
        }
    }


_SHORT_VALUE_BYTES = 400


def _value_key(value: str) -> str:
    """A sub id's value in a sort key (at most 1,024 bytes): as it is (``=``), or a long one
    (500 characters may be 2,000 bytes) as its start and its SHA-256 (``~``); the item keeps
    the whole value."""
    encoded = value.encode()
    if len(encoded) <= _SHORT_VALUE_BYTES:
        return "=" + value
    return "~" + value[:50] + "#" + hashlib.sha256(encoded).hexdigest()


def _sub_key(sub: "SubCell") -> dict[str, Any]:
    """A day's sub cells of one sub id, by the cells' shard: ``SUBS#<day>#<sub id>#<shard>``."""
    shard = shard_of(sub.offer_id, sub.partner_id)
    privacy = PRIVATE_CELL if sub.private else "-"
    sk = f"{sub.hour[11:13]}#{sub.offer_id}#{sub.partner_id}#{privacy}#{_value_key(sub.value)}"
    return {"pk": {"S": f"SUBS#{sub.hour[:10]}#{sub.dimension}#{shard}"}, "sk": {"S": sk}}


def _sub_update(sub: "SubCell", counters: dict[str, Decimal]) -> dict[str, Any]:
    names = {"#hour": "hour", "#offer": "offer_id", "#partner": "partner_id", "#dim": sub.dimension}
    values: dict[str, Any] = {
        ":hour": sub.hour,
        ":offer": sub.offer_id,
        ":partner": sub.partner_id,
        ":v": sub.value,
    }
    sets = ["#hour = :hour", "#offer = :offer", "#partner = :partner", "#dim = :v"]
    if sub.private:
        names["#private"] = "private"
        values[":private"] = True
        sets.append("#private = :private")
    adds = _adds(counters, names, values)
    return {
        "Update": {
            "TableName": stats_table(),
            "Key": _sub_key(sub),
            "UpdateExpression": f"SET {', '.join(sets)} ADD {', '.join(adds)}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": attribute_values(values),
        }
    }


def apply_stats(group: "Group", now: int) -> str | None:
    """Add a group's deltas to its cells and their rollups, with the group's marker, in one
    transaction.

    One UpdateItem per cell (ADD, so concurrent shards never lose counts) and a marker named
    after the group's first stream record: if the marker exists, this group was applied
    before (a retried batch) and nothing is added; the stored last record id is returned so
    the caller skips exactly what was applied. None means applied now.
    """
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": stats_table(),
                "Item": to_item(
                    {
                        "pk": f"APPLIED#{group.first_event}",
                        "sk": "APPLIED",
                        "last_event": group.last_event,
                        "records": group.size,
                        "expires_at": now + STATS_MARKER_SECONDS,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    for cell, delta in group.cells.items():
        names = {"#offer": "offer_id", "#partner": "partner_id", "#goal": "goal_id", "#hour": "hour"}
        values: dict[str, Any] = {
            ":offer": cell.offer_id,
            ":partner": cell.partner_id,
            ":goal": cell.goal_id,
            ":hour": cell.hour,
            ":pday": f"{cell.partner_id}#{cell.hour[:10]}",
        }
        sets = [
            "#offer = :offer",
            "#partner = :partner",
            "#goal = :goal",
            "#hour = :hour",
            "partner_day = :pday",
        ]
        if delta.advertiser_id:
            sets.append("advertiser_id = :adv")
            values[":adv"] = delta.advertiser_id
        if delta.currency:
            sets.append("currency = :currency")
            values[":currency"] = delta.currency
        if cell.private:
            names["#private"] = "private"
            sets.append("#private = :private")
            values[":private"] = True
        adds = _adds(delta.counters, names, values)
        if not adds:
            continue
        items.append(
            {
                "Update": {
                    "TableName": stats_table(),
                    "Key": _cell_key(cell),
                    "UpdateExpression": f"SET {', '.join(sets)} ADD {', '.join(adds)}",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": attribute_values(values),
                }
            }
        )
    if len(items) == 1:
        return None  # nothing to add: no marker needed either
    items.extend(_rollup_update(r, counters) for r, counters in group.rollups.items() if counters)
    items.extend(_sub_update(sub, counters) for sub, counters in group.subs.items() if counters)
    for attempt in range(_MAX_TRANSACTION_CONFLICTS + 1):
        try:
            client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return None
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                old = from_item(reasons[0].get("Item") or {})
                return str(old.get("last_event", group.last_event))
            if attempt == _MAX_TRANSACTION_CONFLICTS:
                raise
            time.sleep(0.05 * 2**attempt)  # another shard's batch touched the same cell
    raise AssertionError("unreachable")


STATS_READERS = 8
"""Queries of a stats range run this many at a time (93 days x 4 shards would be slow in a row)."""


def _all_queries(queries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    client()  # create the shared client before the threads use it
    with ThreadPoolExecutor(max_workers=STATS_READERS) as pool:
        # each query runs in a copy of the caller's context (what it logs, who it acts as)
        futures = [pool.submit(contextvars.copy_context().run, all_pages, query) for query in queries]
        return [item for future in futures for item in future.result()]


def stats_cells(days: Sequence[str], *, offer_id: str = "") -> list[dict[str, Any]]:
    """The cells of some UTC days (of one offer, when given): one query per day and shard."""
    queries = []
    for day in days:
        for shard in range(STATS_SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": stats_table(),
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"CELLS#{day}#{shard}"}},
            }
            if offer_id:
                kwargs["KeyConditionExpression"] += " AND begins_with(sk, :offer)"
                kwargs["ExpressionAttributeValues"][":offer"] = {"S": f"{offer_id}#"}
            queries.append(kwargs)
    return _all_queries(queries)


def partner_stats_cells(partner_id: str, days: Sequence[str]) -> list[dict[str, Any]]:
    """A partner's cells of some UTC days, through the by_partner_day index (a query per day)."""
    return _all_queries(
        [
            {
                "TableName": stats_table(),
                "IndexName": "by_partner_day",
                "KeyConditionExpression": "partner_day = :pd",
                "ExpressionAttributeValues": {":pd": {"S": f"{partner_id}#{day}"}},
            }
            for day in days
        ]
    )


def rollup_items(whole_days: Sequence[str], hours: Sequence["RollupRead"]) -> list[dict[str, Any]]:
    """Rollups: those of whole UTC days, and some hours of one level of others; one query per
    day, and one per day and level read by hours (each item: period, level, subject, counters)."""
    queries: list[dict[str, Any]] = [
        {
            "TableName": stats_table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :d)",
            "ExpressionAttributeValues": {":pk": {"S": f"ROLLUP#{day}"}, ":d": {"S": "D#"}},
        }
        for day in whole_days
    ]
    queries.extend(
        {
            "TableName": stats_table(),
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"ROLLUP#{read.day}"},
                ":a": {"S": f"H{ROLLUP_LEVEL_CODES[read.level]}#{read.first}#"},
                ":b": {"S": f"H{ROLLUP_LEVEL_CODES[read.level]}#{read.last}#~"},
            },
        }
        for read in hours
    )
    return _all_queries(queries)


class TooManySubCells(Exception):
    """A sub id breakdown would read more cells than it may (``limit``)."""


def sub_cells(days: Sequence[str], dimension: str, *, limit: int) -> list[dict[str, Any]]:
    """The sub cells of one sub id over some UTC days (one query per day and shard), at most
    ``limit`` of them: more raises ``TooManySubCells`` (the reads stop there)."""
    found: list[dict[str, Any]] = []
    for day in days:
        for shard in range(STATS_SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": stats_table(),
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"SUBS#{day}#{dimension}#{shard}"}},
            }
            while True:
                response = client().query(**kwargs, Limit=limit - len(found) + 1)
                found.extend(from_item(i) for i in response.get("Items", []))
                if len(found) > limit:
                    raise TooManySubCells(limit)
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                kwargs["ExclusiveStartKey"] = last
    return found
