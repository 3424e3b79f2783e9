"""Conversion reports: index queries over the conversions table (never a scan)."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from goalpost.store.dynamo import Page, attribute_values, conversions_table, query_page


def offer_conversions_with_status(
    offer_id: str, status: str, *, limit: int, cursor: Mapping[str, Any] | None = None
) -> Page:
    """An offer's conversions in one status (pending for approval), newest first (index + filter)."""
    query = {
        "TableName": conversions_table(),
        "IndexName": "by_offer_time",
        "KeyConditionExpression": "offer_key = :o",
        "FilterExpression": "#s = :status AND kind = :kind",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {
            ":o": {"S": f"OFFER#{offer_id}"},
            ":status": {"S": status},
            ":kind": {"S": "conversion"},
        },
        "ScanIndexForward": False,
    }
    return query_page(query, limit, cursor)


def offer_conversions(offer_id: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """An offer's conversions, newest first, through the by_offer_time index (no scan)."""
    query = {
        "TableName": conversions_table(),
        "IndexName": "by_offer_time",
        "KeyConditionExpression": "offer_key = :o",
        "ExpressionAttributeValues": {":o": {"S": f"OFFER#{offer_id}"}},
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


def _report_filter(query: ReportQuery, used: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The filter expression for what the chosen index does not already narrow."""
    parts = ["kind = :kind"]
    values: dict[str, Any] = {":kind": "conversion"}
    names: dict[str, str] = {}
    for field_name, value in (
        ("offer_id", query.offer_id),
        ("partner_id", query.partner_id),
        ("goal_id", query.goal_id),
        ("advertiser_id", query.advertiser_id),
    ):
        if value and field_name != used:
            parts.append(f"{field_name} = :{field_name}")
            values[f":{field_name}"] = value
    if query.statuses:
        names["#s"] = "status"
        options = []
        for n, status in enumerate(query.statuses):
            options.append(f":s{n}")
            values[f":s{n}"] = status
        parts.append(f"#s IN ({', '.join(options)})")
    if query.public_only:
        parts.append("(attribute_not_exists(#private) OR #private = :false)")
        names["#private"] = "private"
        values[":false"] = False
    return " AND ".join(parts), values, names


def conversion_report(query: ReportQuery, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """Conversions in a time range, newest first, through an index (never a scan).

    Partner given: by_partner_time; else offer given: by_offer_time; else by_day_time, one
    UTC day after the other. Other filters are filter expressions on those few items.
    """
    if query.offer_id or query.partner_id:
        index, used, key_name, key_value = (
            ("by_partner_time", "partner_id", "partner_key", f"PARTNER#{query.partner_id}")
            if query.partner_id
            else ("by_offer_time", "offer_id", "offer_key", f"OFFER#{query.offer_id}")
        )
        return _report_page(query, index, used, key_name, key_value, limit, cursor)
    days = list(reversed(query.days))
    if cursor and "next_day" in cursor:
        days = days[days.index(str(cursor["next_day"])) :] if str(cursor["next_day"]) in days else []
        cursor = None
    elif cursor and "day_key" in cursor:
        day = str(cursor["day_key"]).removeprefix("DAY#")
        days = days[days.index(day) :] if day in days else []
    items: list[dict[str, Any]] = []
    for position, day in enumerate(days):
        page_items, last = _report_page(
            query, "by_day_time", "", "day_key", f"DAY#{day}", limit - len(items), cursor
        )
        cursor = None
        items.extend(page_items)
        if last is not None:
            return items, last
        if len(items) >= limit:
            rest = days[position + 1 :]
            return items, ({"next_day": rest[0]} if rest else None)
    return items, None


def _report_page(
    query: ReportQuery,
    index: str,
    used: str,
    key_name: str,
    key_value: str,
    limit: int,
    cursor: Mapping[str, Any] | None,
) -> Page:
    expression, values, names = _report_filter(query, used)
    kwargs: dict[str, Any] = {
        "TableName": conversions_table(),
        "IndexName": index,
        "KeyConditionExpression": f"{key_name} = :key AND created_key BETWEEN :start AND :end",
        "FilterExpression": expression,
        "ExpressionAttributeValues": attribute_values(
            {**values, ":key": key_value, ":start": query.start, ":end": query.end}
        ),
        "ScanIndexForward": False,
    }
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
