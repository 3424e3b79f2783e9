"""The one wall clock. Every date the tracker decides on (sessions, caps, lookback, reports,
audit, deliveries, TTLs) is read here, so a test moves all of them at once and nothing can
disagree with a second clock. Durations (cache ages, back-off waits) use ``time.monotonic``."""

import time
from collections.abc import Callable

_source: Callable[[], float] = time.time


def now() -> float:
    """Unix seconds, with the clock's own precision (lookback ages are not whole seconds)."""
    return _source()


def set_source(source: Callable[[], float] | None) -> None:
    """Read the time from ``source`` (a test's clock); ``None`` goes back to the system's."""
    global _source
    _source = time.time if source is None else source
