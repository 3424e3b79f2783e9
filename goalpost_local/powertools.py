"""Powertools' resolver keeps the request it is answering in class attributes
(``BaseRouter.current_event`` and ``lambda_context``): one per process, which is right in Lambda,
where an execution environment is a process answering one invocation at a time. The local
runtime runs a function's environments as threads of one process, so without this every
environment would read whichever request the process saw last (an admin request judged by a
partner request's authorizer: 403 ``iam_required``). ``isolate_requests`` makes those
attributes per thread: each environment, one invocation at a time, sees its own request only.
"""

from __future__ import annotations

import sys
import threading
from abc import ABCMeta
from typing import Any

_requests = threading.local()
_FIELDS = ("current_event", "lambda_context")


class _PerThread:
    """An attribute whose value is the current thread's (read and written on the class or an instance)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        try:
            return getattr(_requests, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, instance: object, value: Any) -> None:
        setattr(_requests, self.name, value)


class _PerThreadRouterType(ABCMeta):
    """BaseRouter's type: ``BaseRouter.current_event = event`` (how ``resolve`` stores the
    request) meets these descriptors instead of replacing a shared class attribute."""

    current_event = _PerThread("current_event")
    lambda_context = _PerThread("lambda_context")


def isolate_requests() -> None:
    """Once Powertools' event handler is imported: its request state per thread (idempotent)."""
    module = sys.modules.get("aws_lambda_powertools.event_handler.api_gateway")
    if module is None:
        return
    base = module.BaseRouter
    if type(base) is _PerThreadRouterType:
        return
    for name in _FIELDS:
        type.__setattr__(base, name, _PerThread(name))  # reads and writes through instances
    base.__class__ = _PerThreadRouterType  # ... and through the class itself
