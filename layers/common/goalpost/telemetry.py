"""One JSON line per request outcome: the log line and, in the same line, its metrics (EMF).

Why not Powertools Logger and Metrics on the hot paths: importing them costs tens of
milliseconds of cold start (``make bench``, Logging); ``json`` and ``sys`` are loaded by
botocore already, so a line written here costs nothing at import and one ``write`` per request.

The line carries the API request id (the same ``requestId`` as the API access log), the
route, the outcome code and the transaction id, so an access-log line and its function line
join on ``requestId`` in CloudWatch Logs Insights. Its ``_aws`` block is CloudWatch's embedded
metric format: CloudWatch Logs turns it into metrics in the ``Goalpost`` namespace without an
API call from the function.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from goalpost import settings
from goalpost.model import clock

NAMESPACE = "Goalpost"

CONVERSIONS = "Conversions"
"""A conversion recorded (approved or pending), by outcome code."""
REFUSALS = "Refusals"
"""A click, postback or pixel refused (nothing stored), by code."""
STORAGE_ERRORS = "StorageErrors"
"""Our side failed (DynamoDB throttled or unreachable): the caller was told to retry."""
DELIVERIES = "Deliveries"
"""A partner postback attempt, by outcome (delivered, failed, refused)."""

_DIMENSION = {CONVERSIONS: "Code", REFUSALS: "Code", STORAGE_ERRORS: "Code", DELIVERIES: "Outcome"}

Event = Mapping[str, Any] | None
"""The API Gateway event of the request (None outside one: queue consumers)."""

_stream: TextIO | None = None


def use_stream(stream: TextIO | None) -> None:
    """Where lines go (None: the current stdout, which CloudWatch Logs reads on Lambda)."""
    global _stream
    _stream = stream


def outcome_line(
    event: Event,
    *,
    code: str,
    message: str,
    transaction_id: str = "",
    metric: str | None = None,
    level: str = "INFO",
    now: float | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The line for one outcome: correlation fields, and the metric (count 1) when named."""
    context = (event or {}).get("requestContext") or {}
    moment = clock.now() if now is None else now
    line: dict[str, Any] = {
        "timestamp": int(moment * 1000),
        "level": level,
        "message": message,
        "requestId": context.get("requestId", ""),
        "route": (event or {}).get("routeKey", ""),
        "code": code,
        "transactionId": transaction_id,
        "function": settings.function_name(),
    }
    line.update(fields)
    if metric is not None:
        dimension = _DIMENSION[metric]
        line[dimension] = code
        line[metric] = 1
        line["_aws"] = {
            "Timestamp": line["timestamp"],
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [[dimension]],
                    "Metrics": [{"Name": metric, "Unit": "Count"}],
                }
            ],
        }
    return line


def emit(event: Event, *, code: str, message: str, **kwargs: Any) -> None:
    """Write one outcome line (see ``outcome_line``)."""
    (_stream or sys.stdout).write(
        json.dumps(outcome_line(event, code=code, message=message, **kwargs), default=str) + "\n"
    )


def refused(event: Event, what: str, code: str, reason: str, transaction_id: str = "") -> None:
    """A click, postback or pixel refused with its code (nothing stored)."""
    message = f"{what} refused: {reason}"
    emit(event, code=code, message=message, transaction_id=transaction_id, metric=REFUSALS)


def storage_failed(event: Event, what: str, transaction_id: str = "") -> None:
    """Our side failed; the caller was told to retry (the traceback goes to the log as well)."""
    emit(
        event, code="temporarily_unavailable", message=f"{what} failed on storage",
        transaction_id=transaction_id, metric=STORAGE_ERRORS, level="ERROR",
    )  # fmt: skip


def answered(
    event: Event, what: str, *, code: str, success: bool, transaction_id: str,
    conversion_id: str, reason: str,
) -> None:  # fmt: skip
    """A postback or pixel answered after reading its session: a conversion, or a refusal."""
    emit(
        event, code=code, message=f"{what} {code}: {conversion_id or reason}", transaction_id=transaction_id,
        conversionId=conversion_id, metric=CONVERSIONS if success else REFUSALS,
    )  # fmt: skip
