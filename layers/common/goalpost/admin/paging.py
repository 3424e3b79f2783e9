"""Cursor pagination: every list answers ``{items, next_cursor}``; cursors are opaque."""

import base64
import json
from decimal import Decimal
from typing import Any

from goalpost.admin.errors import ApiError

MAX_PAGE = 100


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key, default=str, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
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


def page(items: list[dict[str, Any]], last: dict[str, Any] | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor(last)}


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError("bad_limit", f"limit must be between 1 and {MAX_PAGE}")
    return limit
