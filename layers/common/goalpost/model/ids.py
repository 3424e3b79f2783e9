"""Ids and formats every layer shares: numeric ids, transaction ids, the tracking cookie, timestamps."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

from goalpost.model.refusal import Refused

NUMERIC_ID = "[0-9]{1,12}"
"""Numeric ids, as networks coming from TUNE expect (offer_id=12, goal_id=7)."""
CONVERSION_ID = "[0-9a-f]{32}-[0-9]+(-[0-9a-f]{1,16})?"
"""``<transaction id>-<goal id>[-<n>]``: n tells apart the conversions of a multiple-conversion goal."""
_ID = re.compile(NUMERIC_ID)
TRANSACTION_ID_CHARS = frozenset("0123456789abcdefABCDEF-_")
MAX_TRANSACTION_ID_CHARS = 64
COOKIE_PREFIX = "gp_o"
"""The tracking cookie: ``gp_o<offer id>=<transaction id>``, one per offer."""


def cookie_name(offer_id: str) -> str:
    """One first-party cookie per offer: the last click on an offer wins, as in TUNE."""
    return f"{COOKIE_PREFIX}{offer_id}"


VISIT_COOKIE_PREFIX = "gp_v"
"""The duplicate-click window's cookie: ``gp_v<offer id>=<its unique click's time>``, kept by the
browser for the rest of the window (README, Traffic screening)."""


def visit_cookie_name(offer_id: str) -> str:
    """Not ``gp_o``: a pixel looking for the only tracking cookie must never find this one."""
    return f"{VISIT_COOKIE_PREFIX}{offer_id}"


def new_transaction_id() -> str:
    """128 bits from the OS CSPRNG, hex-encoded (32 characters)."""
    return secrets.token_hex(16)


def conversion_id_of(transaction_id: str, goal_id: str, suffix: str = "") -> str:
    return f"{transaction_id}-{goal_id}-{suffix}" if suffix else f"{transaction_id}-{goal_id}"


REFUSAL_MARK = "R"
"""A stored refusal's id is ``<transaction id>-R<n>``: no goal id starts with a letter."""
REFUSAL_ID = "[0-9a-f]{32}-R[0-9a-f]{1,16}"
CLAWBACK_MARK = "C"
"""A clawback's id is ``<conversion id>-C<when>`` (when: ``iso_timestamp``)."""
CLAWBACK_ID = (
    f"{CONVERSION_ID}-{CLAWBACK_MARK}"
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z"
)
RECORD_ID = f"({CONVERSION_ID}|{REFUSAL_ID}|{CLAWBACK_ID})"
"""Any record the conversion report lists: a conversion, a stored refusal or a clawback."""


def refusal_id_of(transaction_id: str, suffix: str) -> str:
    return f"{transaction_id}-{REFUSAL_MARK}{suffix}"


def is_transaction_id(value: str) -> bool:
    return 0 < len(value) <= MAX_TRANSACTION_ID_CHARS and set(value) <= TRANSACTION_ID_CHARS


def iso_timestamp(now: float) -> str:
    """Every stored instant: UTC, milliseconds, ``Z`` (sorts as text, as the report keys need)."""
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def require_id(params: Mapping[str, str], name: str) -> str:
    """A required numeric id (offer_id, aff_id, goal_id)."""
    value = params.get(name, "")
    if not value:
        raise Refused(f"{name} is required")
    return check_id(name, value)


def check_id(name: str, value: str) -> str:
    if not _ID.fullmatch(value):
        raise Refused(f"{name} must be a number, got {value[:40]!r}")
    return str(int(value))


def optional_id(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "")
    return check_id(name, value) if value else None
