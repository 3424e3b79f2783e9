"""Conversion reports: queries over the conversions table's report indexes and over the report
projection (never a scan); and the projection's writes.

The network's report reads the conversions table's write-sharded day index (by_day_time), which
the postback writes with the record. The one-partner and one-offer reports read the **report
projection**: a copy of each record under its partner's and under its offer's sharded keys in
the stats table (``pk`` = ``partner_partitions``/``offer_partitions``, ``sk`` = the record's
``created_key``; base-table keys, no index), put by the conversions stream's consumer
(StatsFunction) with a condition on the record's version (``conversion_store.report_version``):
a stream record delivered twice, or after a newer one, changes nothing. The projection trails
the postback by the stream's delay (README, "At network scale"); it carries no ``expires_at``
(the stats table's TTL attribute): it is kept as long as the conversions are.
"""

import itertools
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from goalpost.model.conversion import CONVERSION
from goalpost.store.conversion_store import (
    day_partitions,
    offer_partitions,
    partner_partitions,
    pending_partitions,
    report_shard,
    report_version,
    review_partitions,
)
from goalpost.store.dynamo import (
    InvalidCursor,
    Page,
    attribute_values,
    client,
    conversions_table,
    merged_queries,
    page_of,
    stats_table,
    to_item,
)

PROJECTION_DROPS = frozenset(
    {
        "pk",
        "sk",
        "day_key",
        "partner_key",
        "offer_key",
        "pending_key",
        "review_key",
        "write_token",
        "expires_at",
    }
)
"""What a projection item leaves out of the record: the conversions table's own keys and index
keys, and ``expires_at`` (the stats table's TTL attribute: a record never expires there)."""


def is_report_record(item: Mapping[str, Any]) -> bool:
    """A record the reports list (a conversion, a stored refusal, a clawback): it has a place
    in time (``created_key``) and an id."""
    return bool(item.get("created_key")) and bool(item.get("conversion_id"))


def projection_items(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report projection's copies of a stored record (as read from the table or a stream
    image): under its partner and under its offer, in the shard of its id."""
    shard = report_shard(str(record["conversion_id"]))
    doc = {k: v for k, v in record.items() if k not in PROJECTION_DROPS}
    doc["projected_version"] = report_version(record)
    keys = []
    if record.get("partner_id"):
        keys.append(partner_partitions(str(record["partner_id"]))[shard])
    if record.get("offer_id"):
        keys.append(offer_partitions(str(record["offer_id"]))[shard])
    return [{**doc, "pk": key, "sk": str(record["created_key"])} for key in keys]


def project_record(record: Mapping[str, Any]) -> int:
    """Put a record's projection items, each on condition that what is there is no newer
    (an equal version is written again, unchanged); how many were put (the others were newer)."""
    put = 0
    for item in projection_items(record):
        try:
            client().put_item(
                TableName=stats_table(),
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk) OR projected_version <= :v",
                ExpressionAttributeValues=attribute_values({":v": item["projected_version"]}),
            )
            put += 1
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    return put


def pending_conversions(offer_id: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """An offer's conversions awaiting approval, newest first, however old: the sparse
    by_offer_pending index holds exactly those (a decision takes a conversion out of it), in
    the offer's shards, merged as the reports merge theirs."""
    query = ReportQuery(start=EARLIEST, end=LATEST, days=(), kinds=())
    source = Source(conversions_table(), "by_offer_pending", "pending_key", "created_key")
    partitions = pending_partitions(offer_id)
    return page_of(_merged(query, source, partitions, _cursor_position(cursor), limit), limit, _report_cursor)


class Source(NamedTuple):
    """Where a report's partitions are: a table, an index of it (or none), the partition key's
    attribute and the sort key's (always a record's ``created_key``)."""

    table: str
    index_name: str | None
    partition_key: str
    sort_key: str


def review_queue(
    *,
    offer_id: str = "",
    partner_id: str = "",
    status_code: str = "",
    limit: int,
    cursor: Mapping[str, Any] | None = None,
) -> Page:
    """The network's conversions awaiting approval, every offer's, newest first, however old:
    the sparse by_review index (one offer's: its own by_offer_pending, read as
    ``pending_conversions``). A partner or reason code is a filter over what waits (the queue
    holds only pending conversions, so a filter reads little beyond what it returns)."""
    query = ReportQuery(
        start=EARLIEST, end=LATEST, days=(), kinds=(), partner_id=partner_id, status_code=status_code
    )
    if offer_id:
        source = Source(conversions_table(), "by_offer_pending", "pending_key", "created_key")
        partitions = pending_partitions(offer_id)
    else:
        source = Source(conversions_table(), "by_review", "review_key", "created_key")
        partitions = review_partitions()
    return page_of(_merged(query, source, partitions, _cursor_position(cursor), limit), limit, _report_cursor)


EARLIEST, LATEST = "0", "~"
"""Bounds around every ``created_key`` (an ISO instant, then the id)."""


class ReportQuery(NamedTuple):
    """A conversion report request: a time range (UTC ISO instants, [start, end)) and filters."""

    start: str
    end: str
    days: tuple[str, ...]
    """The UTC days the range touches, oldest first (the network's day index is read one day at a
    time; a partner's or an offer's index serves the whole range at once)."""
    offer_id: str = ""
    partner_id: str = ""
    goal_id: str = ""
    advertiser_id: str = ""
    statuses: tuple[str, ...] = ()
    status_code: str = ""
    """Only records with this code (why a conversion is held, refused...)."""
    public_only: bool = False
    """Leave out conversions of private goals (the partner's view)."""
    kinds: tuple[str, ...] = (CONVERSION,)
    """Which records: conversions (the report), or also refusals and clawbacks (() for every kind)."""


def _one_of(attribute: str, prefix: str, options: tuple[str, ...], values: dict[str, Any]) -> str:
    """``attribute IN (:<prefix>0, ...)``, its values added to ``values``."""
    values.update({f":{prefix}{n}": option for n, option in enumerate(options)})
    return f"{attribute} IN ({', '.join(f':{prefix}{n}' for n in range(len(options)))})"


def _report_filter(query: ReportQuery) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The filter expression: the index narrows the time (and the partner or offer), filters the rest."""
    parts: list[str] = []
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    if query.kinds:
        parts.append(_one_of("kind", "k", query.kinds, values))
    for field_name, value in (
        ("offer_id", query.offer_id),
        ("partner_id", query.partner_id),
        ("goal_id", query.goal_id),
        ("advertiser_id", query.advertiser_id),
        ("status_code", query.status_code),
    ):
        if value:
            parts.append(f"{field_name} = :{field_name}")
            values[f":{field_name}"] = value
    if query.statuses:
        names["#s"] = "status"  # a reserved word
        parts.append(_one_of("#s", "s", query.statuses, values))
    if query.public_only:
        parts.append("(attribute_not_exists(#private) OR #private = :false)")
        names["#private"] = "private"
        values[":false"] = False
    return " AND ".join(parts), values, names


REPORT_CURSOR = "before"
"""A report's cursor: the ``created_key`` of the last record it returned. Every shard of every
partition is sorted by that key, so one position resumes them all (a page may end in the middle
of one shard and before another's first record)."""


def conversion_report(query: ReportQuery, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """Records in a time range, newest first, through the narrowest report key (never a scan):
    one partner's or one offer's partitions of the report projection when the query names one,
    else the network's, one UTC day after the other (by_day_time). Each is write-sharded
    (``REPORT_SHARDS``): the shards are queried in parallel and merged by ``created_key``; goal,
    status, kind... are filter expressions. A page asks each shard for a little more than its
    share and reads on only where the merge needs it, so a report reads about what it returns.
    """
    before = _cursor_position(cursor)
    merged = itertools.chain.from_iterable(
        _merged(query, source, partitions, before, limit)
        for source, partitions in _partition_groups(query, before)
    )
    return page_of(merged, limit, _report_cursor)


def _report_cursor(last: Mapping[str, Any]) -> dict[str, Any]:
    """The cursor after a page's last record."""
    return {REPORT_CURSOR: _created_key(last)}


def _cursor_position(cursor: Mapping[str, Any] | None) -> str | None:
    if not cursor:
        return None
    position = cursor.get(REPORT_CURSOR)
    if set(cursor) != {REPORT_CURSOR} or not isinstance(position, str) or "#" not in position:
        raise InvalidCursor("the cursor does not belong to this list")
    return position


def _partition_groups(query: ReportQuery, before: str | None) -> Iterator[tuple[Source, list[str]]]:
    """(source, partitions) to read, newest first; each group's records are older than the
    one's before it, so the groups are read one after the other."""
    projection = Source(stats_table(), None, "pk", "sk")
    if query.partner_id:
        yield projection, partner_partitions(query.partner_id)
    elif query.offer_id:
        yield projection, offer_partitions(query.offer_id)
    else:
        day_index = Source(conversions_table(), "by_day_time", "day_key", "created_key")
        for day in reversed(query.days):
            if before is None or day <= before[:10]:
                yield day_index, day_partitions(day)


def _merged(
    query: ReportQuery, source: Source, partitions: list[str], before: str | None, limit: int
) -> Iterator[dict[str, Any]]:
    """The records of some partitions, newest first: the first page of each is read in
    parallel, later pages only when the merge reaches their end."""
    expression, values, names = _report_filter(query)
    upper = before if before is not None and before < query.end else query.end
    kwargs: dict[str, Any] = {
        "TableName": source.table,
        "KeyConditionExpression": (
            f"{source.partition_key} = :part AND {source.sort_key} BETWEEN :start AND :end"
        ),
        "ExpressionAttributeValues": attribute_values({**values, ":start": query.start, ":end": upper}),
        "ScanIndexForward": False,
    }
    if source.index_name:
        kwargs["IndexName"] = source.index_name
    if expression:
        kwargs["FilterExpression"] = expression
    if names:
        kwargs["ExpressionAttributeNames"] = names
    queries = [
        {**kwargs, "ExpressionAttributeValues": {**kwargs["ExpressionAttributeValues"], ":part": {"S": p}}}
        for p in partitions
    ]
    for item in merged_queries(queries, key=_created_key, reverse=True, limit=limit):
        if before is None or str(item["created_key"]) < before:  # BETWEEN includes the cursor's own
            yield item


def _created_key(item: Mapping[str, Any]) -> str:
    return str(item["created_key"])
