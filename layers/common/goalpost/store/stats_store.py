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


def _sub_partition(day: str, dimension: str, shard: int) -> str:
    return f"SUBS#{day}#{dimension}#{shard}"


def _sub_prefix(offer_id: str, partner_id: str = "") -> str:
    """The start of the sort keys of one offer's sub cells (of one partner, when given)."""
    return f"{offer_id}#{partner_id}#" if partner_id else f"{offer_id}#"


def _sub_key(sub: "SubCell") -> dict[str, Any]:
    """A day's sub cells of one sub id, by the cells' shard (``SUBS#<day>#<sub id>#<shard>``),
    sorted by offer and partner first (``<offer>#<partner>#<hour>#<privacy>#<value key>``).

    Why this order: a breakdown of one offer reads only that offer's cells (``begins_with``
    its offer, in each shard), and one of an offer and a partner one shard's range; a sub
    id's values are unbounded (click ids), so a read that filtered after reading the whole
    network's cells was refused for other offers' traffic. A one-partner breakdown reaches
    its own cells through the offers it had traffic on each day (from its cells' index, see
    ``sub_cells``). Keying by the partner first (its shard, its id first in the sort key)
    would make a partner's read one query a day, but an offer's would read every shard whole
    again (its partners spread over all of them, under keys that start with the partner): a
    partner's offers are few and already indexed by day, an offer's partners may be hundreds,
    so the offer comes first. No second copy of the sub cells is kept (a second index would
    double every sub cell's writes and storage for the partner's read alone).
    """
    shard = shard_of(sub.offer_id, sub.partner_id)
    privacy = PRIVATE_CELL if sub.private else "-"
    sk = f"{_sub_prefix(sub.offer_id, sub.partner_id)}{sub.hour[11:13]}#{privacy}#{_value_key(sub.value)}"
    return {"pk": {"S": _sub_partition(sub.hour[:10], sub.dimension, shard)}, "sk": {"S": sk}}


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


def _partner_day_query(partner_id: str, day: str) -> dict[str, Any]:
    """A partner's cells of one UTC day, through the by_partner_day index."""
    return {
        "TableName": stats_table(),
        "IndexName": "by_partner_day",
        "KeyConditionExpression": "partner_day = :pd",
        "ExpressionAttributeValues": {":pd": {"S": f"{partner_id}#{day}"}},
    }


def partner_stats_cells(partner_id: str, days: Sequence[str]) -> list[dict[str, Any]]:
    """A partner's cells of some UTC days, through the by_partner_day index (a query per day)."""
    return _all_queries([_partner_day_query(partner_id, day) for day in days])


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


def _partner_offer_days(partner_id: str, days: Sequence[str]) -> list[tuple[str, str]]:
    """The (UTC day, offer) pairs a partner had traffic on: those its cells name (a sub cell is
    written in the transaction of the cell of its hour, offer and partner)."""
    queries = [
        {
            **_partner_day_query(partner_id, day),
            "ProjectionExpression": "offer_id, #hour",
            "ExpressionAttributeNames": {"#hour": "hour"},
        }
        for day in days
    ]
    return sorted({(str(cell["hour"])[:10], str(cell["offer_id"])) for cell in _all_queries(queries)})


def _sub_reads(days: Sequence[str], dimension: str, offer_id: str, partner_id: str) -> list[tuple[str, str]]:
    """The (partition, sort key prefix) ranges holding a breakdown's sub cells, and no others."""
    if offer_id and partner_id:
        shard = shard_of(offer_id, partner_id)
        return [(_sub_partition(day, dimension, shard), _sub_prefix(offer_id, partner_id)) for day in days]
    if partner_id:
        return [
            (_sub_partition(day, dimension, shard_of(offer, partner_id)), _sub_prefix(offer, partner_id))
            for day, offer in _partner_offer_days(partner_id, days)
        ]
    prefix = _sub_prefix(offer_id) if offer_id else ""
    return [(_sub_partition(day, dimension, shard), prefix) for day in days for shard in range(STATS_SHARDS)]


def sub_cells(
    days: Sequence[str], dimension: str, *, offer_id: str = "", partner_id: str = "", limit: int
) -> list[dict[str, Any]]:
    """The sub cells of one sub id over some UTC days, of one offer and/or partner when given,
    at most ``limit`` of them: more raises ``TooManySubCells`` (the reads stop there).

    Only the cells asked for are read (a key range each; nothing filtered after reading), so
    the limit counts them alone: the network's, or an offer's in each day's shards (one query
    per day and shard), an offer and partner's in one shard (a query per day), a partner's
    per offer it had traffic on that day (after a query of its cells' index per day).
    """
    found: list[dict[str, Any]] = []
    for partition, prefix in _sub_reads(days, dimension, offer_id, partner_id):
        kwargs: dict[str, Any] = {
            "TableName": stats_table(),
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
        }
        if prefix:
            kwargs["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            kwargs["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
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
