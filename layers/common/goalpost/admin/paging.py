"""Cursor pagination: every list answers ``{items, next_cursor}``; cursors are opaque."""

import base64
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Generic, TypedDict, TypeVar

from goalpost.admin.errors import ApiError

MAX_PAGE = 100

Item = TypeVar("Item")
CursorKey = dict[str, str | int | Decimal]
"""Where a page ended: the last item's DynamoDB key (strings and numbers only)."""


class Listed(TypedDict, Generic[Item]):
    """One page of a list; ``next_cursor`` continues it (None: the last page)."""

    items: list[Item]
    next_cursor: str | None


def encode_cursor(key: Mapping[str, object] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key, default=str, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> CursorKey | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("bad_cursor", "cursor is not one this API handed out") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | Decimal) for k, v in data.items()
    ):
        raise ApiError("bad_cursor", "cursor is not one this API handed out")
    return data


def page(items: list[Item], last: Mapping[str, object] | None) -> Listed[Item]:
    return {"items": items, "next_cursor": encode_cursor(last)}


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError("bad_limit", f"limit must be between 1 and {MAX_PAGE}")
    return limit
