"""Secrets taken out of what the trace keeps: a request's query, a partner URL as sent.

A parameter whose name says it is a secret (``security_token``, ``api_key``, ``password``,
``sig``...) keeps its name and loses its value, so a trace shows that it was sent, never what.
"""

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"
SECRET_NAME = re.compile(r"token|secret|key|passw|pwd|sig|auth|hash|hmac|enc$", re.IGNORECASE)
MAX_VALUE_CHARS = 100
MAX_PARAMS = 20
"""A kept value is cut at 100 characters and at most 20 parameters are kept: a refusal's item
stays within a few hundred bytes (one request, not a payload store)."""


def is_secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


MAX_QUERY_CHARS = 500
"""All kept names and values together: a kept request stays well within a 1 KB item."""


def redacted_query(params: Mapping[str, str]) -> dict[str, str]:
    """A request's parameters as kept: secrets redacted, each value cut to ``MAX_VALUE_CHARS``,
    at most ``MAX_PARAMS`` of them and ``MAX_QUERY_CHARS`` in all (the rest is left out)."""
    kept: dict[str, str] = {}
    budget = MAX_QUERY_CHARS
    for name, value in list(params.items())[:MAX_PARAMS]:
        shown = REDACTED if is_secret(str(name)) else str(value)[:MAX_VALUE_CHARS]
        budget -= len(str(name)[:64]) + len(shown)
        if budget < 0:
            break
        kept[str(name)[:64]] = shown
    return kept


def redacted_url(url: str) -> str:
    """A URL as kept: the values of its secret query parameters, and any user:password, redacted."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, REDACTED if is_secret(k) else v) for k, v in pairs], safe="{}[]:/,")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
