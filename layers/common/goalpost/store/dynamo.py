"""The one small DynamoDB helper: client, table names, (de)serialising, paged queries, and the
merge of a sharded list's partitions."""

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from goalpost import settings
from goalpost.store import aws

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_CLIENT: "DynamoDBClient | None" = None


def client() -> "DynamoDBClient":
    """The process-wide DynamoDB client (created once, in the init phase when possible)."""
    global _CLIENT
    if _CLIENT is None:
        # botocore retries a timed-out TransactWriteItems with the same (auto-generated)
        # ClientRequestToken, which DynamoDB treats as idempotent for ten minutes.
        _CLIENT = aws.new_client("dynamodb", read_timeout=settings.dynamodb_read_timeout())
    return _CLIENT


def reset_client() -> None:
    """Forget the client (tests switch endpoints and mocks between runs)."""
    global _CLIENT
    _CLIENT = None


def sessions_table() -> str:
    return settings.sessions_table()


def conversions_table() -> str:
    return settings.conversions_table()


def config_table() -> str:
    return settings.config_table()


def stats_table() -> str:
    return settings.stats_table()


NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
"""DynamoDB's numbers: 38 digits. One it would have to round is refused, never rounded."""


def attribute(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value, by boto3's TypeSerializer rules (which the
    hot paths do not import): money must be Decimal, a float is refused."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): attribute(v) for k, v in value.items()}}
    if isinstance(value, set | frozenset):
        if all(isinstance(v, str) for v in value):
            return {"SS": list(value)}
        if all(isinstance(v, int | Decimal) and not isinstance(v, bool) for v in value):
            return {"NS": [_number(v) for v in value]}
    if isinstance(value, list | tuple):
        return {"L": [attribute(v) for v in value]}
    raise TypeError(f"Unsupported type {type(value)} for value {value!r}")


def _number(value: int | Decimal) -> str:
    number = str(NUMBERS.create_decimal(value))
    if number in ("Infinity", "NaN", "-Infinity", "sNaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def value_of(attribute_value: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as Python: numbers as Decimal, sets as sets."""
    ((kind, raw),) = attribute_value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return NUMBERS.create_decimal(raw)
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: value_of(v) for k, v in raw.items()}
    if kind == "L":
        return [value_of(v) for v in raw]
    if kind == "SS":
        return set(raw)
    if kind == "NS":
        return {NUMBERS.create_decimal(v) for v in raw}
    if kind == "B":
        return bytes(raw)
    if kind == "BS":
        return {bytes(v) for v in raw}
    raise TypeError(f"{kind} is no DynamoDB type")


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: attribute(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: value_of(v) for k, v in item.items()}


def attribute_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: attribute(v) for k, v in data.items()}


Page = tuple[list[dict[str, Any]], dict[str, Any] | None]

INTEGER_FIELDS = frozenset(
    {"version", "session_hours", "level", "duplicate_count", "session_created_at", "transition"}
    | {"cap_shards", "min_session_seconds", "max_session_seconds"}
    | {"attempts", "response_code", "took_ms"}
)
"""Whole numbers in documents and records: DynamoDB gives every number back as a Decimal."""


def as_written(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A document as it was written: counts and versions as ints (money stays Decimal)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, Mapping):
            value = as_written(value)
        elif key in INTEGER_FIELDS and isinstance(value, Decimal):
            value = int(value)
        out[key] = value
    return out


_INDEX_KEYS: dict[str, tuple[str, ...]] = {
    "by_offer_pending": ("pending_key", "created_key"),
    "by_review": ("review_key", "created_key"),
    "by_day_time": ("day_key", "created_key"),
    "by_kind": ("kind",),
    "by_partner_day": ("partner_day",),
}
"""The attributes of each index's key (a cursor on an index holds them and the table's key)."""


class InvalidCursor(ValueError):
    """A cursor that decodes but is no key of the list it was sent to (made up, or another list's)."""


def query_page(
    kwargs: dict[str, Any], limit: int, cursor: Mapping[str, Any] | None, docs: bool = False
) -> Page:
    """One page of a query and the key to continue from (the API's cursor)."""
    kwargs = {**kwargs, "Limit": limit}
    if cursor:
        expected = {"pk", "sk", *_INDEX_KEYS.get(kwargs.get("IndexName", ""), ())}
        if set(cursor) != expected or not all(isinstance(v, str) for v in cursor.values()):
            raise InvalidCursor("the cursor does not belong to this list")
        kwargs["ExclusiveStartKey"] = to_item(cursor)
    try:
        response = client().query(**kwargs)
    except ClientError as error:
        if cursor and error.response["Error"]["Code"] == "ValidationException":
            raise InvalidCursor("the cursor does not belong to this list") from None
        raise
    last = response.get("LastEvaluatedKey")
    items = [from_item(i) for i in response.get("Items", [])]
    return ([as_written(i["doc"]) for i in items] if docs else items), (from_item(last) if last else None)


def all_pages(kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item a query matches, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        response = client().query(**kwargs)
        items.extend(from_item(i) for i in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs = {**kwargs, "ExclusiveStartKey": response["LastEvaluatedKey"]}


MAX_SHARD_PAGE = 512
"""The most items a merged partition's later page asks for (``merged_queries``)."""


def merged_queries(
    queries: list[dict[str, Any]],
    *,
    key: Callable[[Mapping[str, Any]], str],
    reverse: bool,
    limit: int,
    shares: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The items of several queries (a write-sharded list's partitions, each sorted by ``key``),
    merged in that order (``reverse``: descending; a stable merge, so on a tie the earlier
    query's item comes first). Nothing is read until the first item is asked for; then the
    first page of every query is read in parallel, later pages only when the merge reaches
    their end. A page of ``limit`` spreads over ``shares`` partitions (every query's, unless
    told): each first page asks for its share of ``limit + 1`` and a little more."""
    import contextvars
    import heapq
    from concurrent.futures import ThreadPoolExecutor  # not on the hot paths' import

    # A shard holds about 1/n of the page: ask each for its share and a little more.
    page_size = -(-(limit + 1) // (shares or len(queries))) + 2
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        # each query in a copy of this thread's context (whatever the caller keeps there, e.g.
        # the local runtime's record of which function is acting, holds in the workers too)
        futures = [
            pool.submit(contextvars.copy_context().run, query_page, q, page_size, None) for q in queries
        ]
        first_pages = [future.result() for future in futures]
    streams = [_stream(q, page_size, first) for q, first in zip(queries, first_pages, strict=True)]
    yield from heapq.merge(*streams, key=key, reverse=reverse)


def _stream(kwargs: dict[str, Any], page_size: int, first: Page) -> Iterator[dict[str, Any]]:
    """One partition's items in its order, a page at a time (a filter may leave a page empty).
    Each further page asks for twice as many as the one before: a selective filter costs a few
    round trips, not one per few records, and a partition reads at most about twice what it gives."""
    items, last = first
    while True:
        yield from items
        if last is None:
            return
        page_size = min(page_size * 2, MAX_SHARD_PAGE)
        items, last = query_page(kwargs, page_size, last)


def page_of(
    items: Iterable[dict[str, Any]], limit: int, cursor: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> Page:
    """The first ``limit`` items (one more is read to know whether there are more), and when
    there are, the cursor after the last of them (``cursor`` of that item)."""
    page = list(itertools.islice(items, limit + 1))
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    return page, cursor(page[-1])
