"""Query-string parsing for the tracking routes: strict, so bad input is a clear 4xx.

API Gateway HTTP API joins repeated parameters with commas in
``queryStringParameters``; we parse ``rawQueryString`` ourselves to refuse them instead.

Case rules (README, Tracking contract): parameter *names* are matched case-insensitively
(``Transaction_ID``, ``A=L`` and ``FORMAT=json`` are ``transaction_id``, ``a`` and ``format``:
integrations written against TUNE's PHP examples and hand-typed pixels send both), so a name
sent twice in different cases is a repeat. The *values* of the keyword parameters
(``KEYWORDS``: ``a``, ``format``, ``status``) are matched case-insensitively too; every other
value (sub ids, unique ids, goal names...) is data and kept as sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from goalpost.model.refusal import Refused

MAX_QUERY_BYTES = 8192
MAX_VALUE_CHARS = 500
"""TUNE allows adv_sub values of up to 500 characters; no tracking value needs more."""
MAX_FIELDS = 64

CONTROL_CHARACTERS = r"\x00-\x1f\x7f"
MARKUP_CHARACTERS = "<>\"'`\\\\"
"""Tracking values end up in partner URLs, HTML pixels and CSV exports: no markup or quotes.
(Both are regex character-class bodies, valid alike in Python and JavaScript.)"""
TRACKING_VALUE = f"[^{CONTROL_CHARACTERS}{MARKUP_CHARACTERS}]*"
"""A value the tracking routes accept (its characters; lengths are bounded apart): the one rule,
which the partner portal's link builder is handed (``link_rules``) so it builds only links the
click accepts."""
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_MARKUP = re.compile(f"[{MARKUP_CHARACTERS}]")
_NAME = re.compile(r"[a-z_0-9]{1,40}")
KEYWORDS = frozenset({"a", "format", "status"})
"""Parameters whose values are words from a fixed list: folded to lower case when read."""


def _normal(name: str, value: str) -> tuple[str, str]:
    """A parameter as the tracker reads it: the name in lower case (and a keyword's value).
    Only ASCII names are folded (no other name is one the tracker reads)."""
    name = name.lower() if name.isascii() else name
    return name, value.lower() if name in KEYWORDS else value


def query_params(event: Mapping[str, Any]) -> dict[str, str]:
    """Decode the query string: UTF-8 only, no control characters, no repeats, bounded sizes."""
    raw = event.get("rawQueryString") or ""
    if len(raw) > MAX_QUERY_BYTES:
        raise Refused(f"query string longer than {MAX_QUERY_BYTES} bytes", code="query_too_long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise Refused("query string is not valid UTF-8") from None
    except ValueError:
        raise Refused(f"more than {MAX_FIELDS} query parameters") from None
    params: dict[str, str] = {}
    for name, value in (_normal(*pair) for pair in pairs):
        if not _NAME.fullmatch(name):
            continue  # unknown junk names are ignored, as trackers do with extra parameters
        if name in params:
            raise Refused(f"parameter {name} is repeated")
        if _CONTROL.search(value):
            raise Refused(f"parameter {name} contains control characters")
        if _MARKUP.search(value):
            raise Refused(
                f"parameter {name} contains characters not allowed in tracking values: < > \" ' ` \\"
            )
        if len(value) > MAX_VALUE_CHARS:
            raise Refused(f"parameter {name} is longer than {MAX_VALUE_CHARS} characters")
        params[name] = value
    return params


def lenient_params(event: Mapping[str, Any]) -> dict[str, str]:
    """The first value of each parameter, never refusing anything: only to decide how to answer.

    A postback asking ``format=json``, or a pixel (``a=l``), must be answered in its own form
    even when its parameters are refused; strict parsing (``query_params``) decides the rest.
    Names (and keyword values) are folded as ``query_params`` folds them.
    """
    raw = (event.get("rawQueryString") or "")[:MAX_QUERY_BYTES]
    found: dict[str, str] = {}
    for pair in parse_qsl(raw, keep_blank_values=True, errors="replace"):
        name, value = _normal(*pair)
        found.setdefault(name, value)
    return found


def source_ip(event: Mapping[str, Any]) -> str:
    http: Mapping[str, Any] = event.get("requestContext", {}).get("http", {})
    return str(http.get("sourceIp", ""))


def user_agent(event: Mapping[str, Any]) -> str:
    http: Mapping[str, Any] = event.get("requestContext", {}).get("http", {})
    return str(http.get("userAgent", ""))[:400]


def cookie_value(event: Mapping[str, Any], name: str) -> str:
    """The value of one cookie the browser sent (API Gateway lists them in ``cookies``); ""."""
    for cookie in event.get("cookies") or ():
        key, _, value = str(cookie).strip().partition("=")
        if key == name:
            return value[:200]
    return ""
