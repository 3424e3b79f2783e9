"""An IP's ledger and one click's write to it (``rules.ip_ledger`` plans and judges it,
``store.screening_store`` reads and writes it)."""

from __future__ import annotations

from typing import NamedTuple


class Window(NamedTuple):
    """A visitor's duplicate window: stored as "<start> <token>", its length in its name (a
    ledger's size is what each of its clicks pays for: 1 write unit per KB)."""

    start: float
    seconds: int
    token: str
    """Tells apart two clicks that opened a window at the same millisecond."""

    @property
    def end(self) -> float:
        return self.start + self.seconds

    def encoded(self) -> str:
        return f"{self.start:.3f} {self.token}"

    @classmethod
    def decoded(cls, text: str, seconds: int) -> Window | None:
        try:
            start, token = text.split(" ")
            return cls(float(start), seconds, token)
        except ValueError:
            return None


class Plan(NamedTuple):
    """One click's write to its IP's item, planned from the item as the click read it."""

    minute_name: str
    """The counter of the click's minute (``ADD 1``)."""
    open_name: str = ""
    """The window the click opens (``if_not_exists``): "" when it opens none."""
    opened: Window | None = None
    drop: tuple[str, ...] = ()
    """What the item no longer needs: windows ended ``GRACE_SECONDS`` ago, counters of minutes
    before the last one."""
    running: Window | None = None
    """The visitor's running window the read showed (this click is its duplicate)."""
    window_seconds: int = 0
    """The duplicate window in force: a window runs until its end or this long after its start,
    whichever is sooner (an offer's window shortened since)."""
