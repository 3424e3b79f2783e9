"""Fault injection for the local runtime's reliability tests (never part of a deployment).

``POST /__local/faults {"operation": "TransactWriteItems", "mode": "throttle"|"timeout_after",
"times": 1}`` makes the next ``times`` calls of that DynamoDB operation, made by the
functions answering requests (not the stream consumers), fail: throttled before DynamoDB
applies it, or timing out after it did. Only served when the runtime runs with
``GOALPOST_LOCAL_FAULTS=1``.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

_lock = threading.Lock()
_armed: dict[tuple[str, str], int] = {}
_installed = False


_serving_request: ContextVar[bool] = ContextVar("goalpost_local_serving_request", default=False)


@contextmanager
def serving_request() -> Iterator[None]:
    """Marks a function answering an HTTP request: only those calls meet armed faults (the
    stream consumers share the DynamoDB client but must not use up a request's fault)."""
    token = _serving_request.set(True)
    try:
        yield
    finally:
        _serving_request.reset(token)


def _take(operation: str, mode: str) -> bool:
    if not _serving_request.get():
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


MODES = ("throttle", "timeout_after")


def parse(body: bytes) -> tuple[str, str, int]:
    """(operation, mode, times) from a ``POST /__local/faults`` body; ValueError says what is wrong."""
    try:
        spec = json.loads(body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(spec, dict):
        raise ValueError("the body must be a JSON object")
    operation, mode, times = spec.get("operation"), spec.get("mode"), spec.get("times", 1)
    if not isinstance(operation, str) or not operation.isalnum():
        raise ValueError("operation must be a DynamoDB operation name, e.g. TransactWriteItems")
    if mode not in MODES:
        raise ValueError("mode must be throttle or timeout_after")
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= 1000:
        raise ValueError("times must be a whole number from 1 to 1000")
    return operation, str(mode), times


def arm(operation: str, mode: str, times: int) -> None:
    global _installed
    if mode not in MODES:
        raise ValueError("mode must be throttle or timeout_after")
    from goalpost.store import dynamo

    with _lock:
        if not _installed:
            events = dynamo.client().meta.events
            events.register("before-call.dynamodb", _before)
            events.register("after-call.dynamodb", _after)
            _installed = True
        _armed[(operation, mode)] = times
