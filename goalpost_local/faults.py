"""Fault injection for the local runtime's reliability tests (never part of a deployment).

``POST /__local/faults {"operation": "TransactWriteItems", "mode": "throttle"|"timeout_after",
"times": 1}`` makes the next ``times`` calls of that DynamoDB operation, made by the
functions answering requests (not the stream consumers), fail: throttled before DynamoDB
applies it, or timing out after it did. Only served when the runtime runs with
``GOALPOST_LOCAL_FAULTS=1``.
"""

import threading
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

from goalpost_local.streams import PUMP_THREAD

_lock = threading.Lock()
_armed: dict[tuple[str, str], int] = {}
_installed = False


def _take(operation: str, mode: str) -> bool:
    # Faults are for the functions answering requests; the stream consumers share the client
    # (and write with transactions too) but must not use up a fault armed for a request.
    if threading.current_thread().name == PUMP_THREAD:
        return False
    with _lock:
        left = _armed.get((operation, mode), 0)
        if left <= 0:
            return False
        _armed[(operation, mode)] = left - 1
        return True


def _before(model: Any, **_: Any) -> None:
    if _take(model.name, "throttle"):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, model.name)


def _after(model: Any, **_: Any) -> None:
    if _take(model.name, "timeout_after"):
        raise ReadTimeoutError(endpoint_url="injected")


def arm(operation: str, mode: str, times: int) -> None:
    global _installed
    if mode not in ("throttle", "timeout_after"):
        raise ValueError("mode must be throttle or timeout_after")
    from goalpost import store

    with _lock:
        if not _installed:
            events = store.client().meta.events
            events.register("before-call.dynamodb", _before)
            events.register("after-call.dynamodb", _after)
            _installed = True
        _armed[(operation, mode)] = times
