"""An IP's ledger: what the click rate and the duplicate window need of one IP (or IPv6 /64), in
one item, so that a click screened by both writes once (README, Traffic screening).

The item holds the IP's clicks per minute (``c<minute>``: a number) and its visitors' running
duplicate windows (``w<visitor>.<seconds>.<bucket>``: "<start> <token>"). A click reads the item, plans
one UpdateItem from what it read (``plan``), and judges from the item as that write left it
(``judged``). The write never has a condition, so it never fails and is never repeated: the
count is an ``ADD``, and a window is opened with ``if_not_exists`` under a name every click of
that visitor at that time agrees on, whatever it read:

- the name is the visitor and the window-long bucket of the click's time. Clicks of one
  visitor racing in one bucket all write the same name: the first one's value stays, and each
  of the others sees it after its write and is its duplicate. Clicks racing across a bucket's
  edge write two names; the one that sees the other's window after its write is its duplicate,
  and removes the window it wrote (``Judged.undo``: that click's second write, the only one).
- a window is removed from the item (by any click of the IP) only ``GRACE_SECONDS`` after its
  end: longer than a click takes from its read to its write (the click function times out
  after 10 s), so no click can still be about to write a name whose window was removed.

Nothing here talks to AWS: ``store.screening_store`` reads and writes the item.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, NamedTuple

from goalpost.model.ip_ledger import Plan, Window

GRACE_SECONDS = 60
"""A window stays in its IP's item this long after its end (more than the click function's 10 s
timeout: see the module's docstring)."""

MAX_DROPS = 50
"""The most a click removes from its ledger (an expression is at most 4 KB): a ledger with more
to drop (a NAT's windows ending at once) sheds them over its next clicks."""

_MINUTE = "c"
_WINDOW = "w"


class Judged(NamedTuple):
    clicks_this_minute: int
    started: float | None
    """When the window this click duplicates started; None when it opened the window itself or
    no window was asked for."""
    undo: bool = False
    """The click wrote a window it turned out not to open (a racer across the bucket's edge
    wrote first): remove it (``store.screening_store.close_window``)."""


def visitor_prefix(visitor: str) -> str:
    """The visitor's windows: 48 bits of its key tell apart one IP's visitors (a collision
    among a thousand running windows is a one-in-half-a-billion chance)."""
    return f"{_WINDOW}{visitor[:12]}."


def window_name(visitor: str, now: float, window_seconds: int) -> str:
    """The visitor's window-long bucket of ``now``, named with the window's length too: a window
    opened in a bucket always runs past the bucket's end, so a name is never reused by a click
    that finds it ended (not even after the offer's window is changed)."""
    seconds = max(window_seconds, 1)
    return f"{visitor_prefix(visitor)}{seconds}.{int(now // seconds)}"


def minute_name(minute: int) -> str:
    return f"{_MINUTE}{minute}"


def _window(name: str, value: Any) -> Window | None:
    """A window from its name (``w<visitor>.<seconds>.<bucket>``) and value; None if either is
    not one."""
    parts = name.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or not isinstance(value, str):
        return None
    return Window.decoded(value, int(parts[1]))


def _windows(item: Mapping[str, Any], prefix: str) -> dict[str, Window]:
    found: dict[str, Window] = {}
    for name, value in item.items():
        window = _window(name, value) if name.startswith(prefix) else None
        if window is not None:
            found[name] = window
    return found


def _running(windows: Mapping[str, Window], now: float, window_seconds: int) -> Window | None:
    """The earliest window still running at ``now`` (a click before a racer's start is inside
    it too: the racer opened it first)."""
    live = [w for w in windows.values() if now < min(w.end, w.start + window_seconds)]
    return min(live, key=lambda w: w.start) if live else None


def plan(
    item: Mapping[str, Any],
    *,
    minute: int,
    now: float,
    visitor: str = "",
    window_seconds: int = 0,
    refuse_over: int | None = None,
) -> Plan:
    """The click's write. ``visitor`` "" (no window asked: the visit cookie judged the click, or
    the duplicate rule is off) counts the click only. ``refuse_over``: the click rate's limit when
    it refuses; a click the read already shows over it will not reach its offer and opens no
    window."""
    counter = minute_name(minute)
    may_open = refuse_over is None or int(item.get(counter, 0)) < refuse_over
    drop: list[str] = []
    for name, value in item.items():
        if name.startswith(_MINUTE) and name[1:].isdigit() and int(name[1:]) < minute - 1:
            drop.append(name)
        elif name.startswith(_WINDOW):
            window = _window(name, value)
            if window is None or window.end + GRACE_SECONDS <= now:
                drop.append(name)
    drop = sorted(drop)[:MAX_DROPS]
    if not visitor:
        return Plan(counter, drop=tuple(drop))
    running = _running(_windows(item, visitor_prefix(visitor)), now, window_seconds)
    name = window_name(visitor, now, window_seconds)
    kept = tuple(d for d in drop if d != name)  # never removed and written at once
    if running is not None or not may_open:
        return Plan(counter, drop=kept, running=running, window_seconds=window_seconds)
    opened = Window(round(now, 3), max(window_seconds, 1), secrets.token_hex(3))
    return Plan(counter, open_name=name, opened=opened, drop=kept, window_seconds=window_seconds)


def judged(after: Mapping[str, Any], planned: Plan, visitor: str, now: float) -> Judged:
    """The click's verdict from the item as its write left it: the minute's count with this
    click, and whether it duplicates a window (its start) or opened one."""
    count = int(after.get(planned.minute_name, 0))
    if planned.running is not None:
        return Judged(count, planned.running.start)
    if planned.opened is None:
        return Judged(count, None)
    windows = _windows(after, visitor_prefix(visitor))
    mine = windows.get(planned.open_name)
    if mine != planned.opened:  # a racer in the same bucket wrote the name first
        return Judged(count, mine.start if mine is not None else now)
    others = {n: w for n, w in windows.items() if n != planned.open_name}
    earlier = _running(others, now, planned.window_seconds)
    if earlier is not None:  # a racer across the bucket's edge opened its window first
        return Judged(count, earlier.start, undo=True)
    return Judged(count, None)
