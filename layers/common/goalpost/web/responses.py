"""Shaping tracking responses (API Gateway HTTP API payload 2.0)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

NO_STORE = "no-store, no-cache, must-revalidate, max-age=0"
MAX_HEADER_CHARS = 200


def header_value(text: str) -> str:
    """Text a header can carry anywhere: printable ASCII only (others escaped), bounded."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(ch if " " <= ch <= "~" else "?" for ch in escaped)[:MAX_HEADER_CHARS]


def http_response(
    status: int,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
    headers: Mapping[str, str] | None = None,
    cookies: list[str] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": {"content-type": content_type, "cache-control": NO_STORE, **(headers or {})},
        "body": body,
    }
    if cookies:
        response["cookies"] = cookies
    return response


def tune_body(success: bool, reason: str = "", extra: Mapping[str, str] | None = None) -> str:
    """TUNE's plain postback answer: ``success=true;`` or ``success=false; err_msg=...;``."""
    if success:
        parts = ["success=true;"]
        for key, value in (extra or {}).items():
            parts.append(f"{key}={value};")
        return " ".join(parts)
    return f"success=false; err_msg={reason.replace(';', ',')};"


def postback_response(
    status: int,
    *,
    success: bool,
    code: str,
    reason: str,
    fmt: str,
    conversion_id: str = "",
    conversion_status: str = "",
) -> dict[str, Any]:
    """TUNE's body by default, JSON with ``format=json``; the HTTP status is always honest."""
    if fmt == "json":
        payload: dict[str, Any] = {"success": success, "code": code, "reason": reason}
        if conversion_id:
            payload["conversion_id"] = conversion_id
        if conversion_status:
            payload["status"] = conversion_status
        return http_response(status, json.dumps(payload), "application/json")
    extra = {"conversion_id": conversion_id, "status": conversion_status, "code": code} if success else {}
    return http_response(status, tune_body(success, reason or code, extra))
