"""Conversion reports: index queries over the conversions table (never a scan)."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from goalpost.model.conversion import CONVERSION
from goalpost.store.conversion_store import pending_key
from goalpost.store.dynamo import Page, attribute_values, conversions_table, query_page


def pending_conversions(offer_id: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """An offer's conversions awaiting approval, newest first: the sparse by_offer_pending index
    holds exactly those (a decision takes a conversion out of it)."""
    query = {
        "TableName": conversions_table(),
        "IndexName": "by_offer_pending",
        "KeyConditionExpression": "pending_key = :p",
        "ExpressionAttributeValues": {":p": {"S": pending_key(offer_id)}},
        "ScanIndexForward": False,
    }
    return query_page(query, limit, cursor)


class ReportQuery(NamedTuple):
    """A conversion report request: a time range (UTC ISO instants, [start, end)) and filters."""

    start: str
    end: str
    days: tuple[str, ...]
    """The UTC days the range touches, oldest first (the day index is read one day at a time)."""
    offer_id: str = ""
    partner_id: str = ""
    goal_id: str = ""
    advertiser_id: str = ""
    statuses: tuple[str, ...] = ()
    public_only: bool = False
    """Leave out conversions of private goals (the partner's view)."""
    kinds: tuple[str, ...] = (CONVERSION,)
    """Which records: conversions (the report), or also refusals and clawbacks (() for every kind)."""


def _one_of(attribute: str, prefix: str, options: tuple[str, ...], values: dict[str, Any]) -> str:
    """``attribute IN (:<prefix>0, ...)``, its values added to ``values``."""
    values.update({f":{prefix}{n}": option for n, option in enumerate(options)})
    return f"{attribute} IN ({', '.join(f':{prefix}{n}' for n in range(len(options)))})"


def _report_filter(query: ReportQuery) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The filter expression: the day index narrows the time, filters the rest."""
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


def conversion_report(query: ReportQuery, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """Records in a time range, newest first, through the by_day_time index (never a scan):
    one UTC day after the other; offer, partner, goal, status... are filter expressions.

    One index serves every report so a conversion pays one index write (README, "Tables and
    keys"): a narrow filter on a busy network reads the day's records to fill its page.
    """
    days = list(reversed(query.days))
    if cursor and "next_day" in cursor:
        days = days[days.index(str(cursor["next_day"])) :] if str(cursor["next_day"]) in days else []
        cursor = None
    elif cursor and "day_key" in cursor:
        day = str(cursor["day_key"]).removeprefix("DAY#")
        days = days[days.index(day) :] if day in days else []
    items: list[dict[str, Any]] = []
    for position, day in enumerate(days):
        page_items, last = _report_page(query, day, limit - len(items), cursor)
        cursor = None
        items.extend(page_items)
        if last is not None:
            return items, last
        if len(items) >= limit:
            rest = days[position + 1 :]
            return items, ({"next_day": rest[0]} if rest else None)
    return items, None


def _report_page(query: ReportQuery, day: str, limit: int, cursor: Mapping[str, Any] | None) -> Page:
    expression, values, names = _report_filter(query)
    kwargs: dict[str, Any] = {
        "TableName": conversions_table(),
        "IndexName": "by_day_time",
        "KeyConditionExpression": "day_key = :day AND created_key BETWEEN :start AND :end",
        "ExpressionAttributeValues": attribute_values(
            {**values, ":day": f"DAY#{day}", ":start": query.start, ":end": query.end}
        ),
        "ScanIndexForward": False,
    }
    if expression:
        kwargs["FilterExpression"] = expression
    if names:
        kwargs["ExpressionAttributeNames"] = names
    # A filter may leave a page short: read on until the page is full or the range ends.
    items: list[dict[str, Any]] = []
    while True:
        page_items, last = query_page(kwargs, limit - len(items), cursor)
        items.extend(page_items)
        if last is None or len(items) >= limit:
            return items, last
        cursor = last
