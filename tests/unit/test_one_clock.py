"""One clock: every wall-clock read in the tracker goes through goalpost.model.clock, which the
tests move. A second clock (``time.time()``, ``datetime.now()``...) is what turned main red on
2026-12-02: a test moved one clock while the admin report read another."""

from __future__ import annotations

import ast
import time
from datetime import UTC, datetime
from pathlib import Path

from goalpost.model import clock as goalpost_clock
from tests.helpers import Clock

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "layers/common/goalpost").rglob("*.py")),
    *sorted((ROOT / "functions").glob("*/app.py")),
    *sorted((ROOT / "goalpost_local").rglob("*.py")),
]
THE_CLOCK = ROOT / "layers/common/goalpost/model/clock.py"
WALL_CLOCK_READS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}
"""Calls that read today's date or time by themselves (``time.gmtime()`` with no argument too)."""
NOW_BY_DEFAULT = {("time", "gmtime"), ("time", "localtime"), ("time", "ctime")}


def wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = (
            owner.id
            if isinstance(owner, ast.Name)
            else owner.attr
            if isinstance(owner, ast.Attribute)
            else ""
        )
        call = (name, node.func.attr)
        no_argument = not node.args and not node.keywords
        if call in WALL_CLOCK_READS or (call in NOW_BY_DEFAULT and no_argument):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_no_module_reads_the_wall_clock_but_the_clock() -> None:
    assert len(SOURCES) > 50  # the scan sees the layer, the functions and the local runtime
    reads = [read for path in SOURCES if path != THE_CLOCK for read in wall_clock_reads(path)]
    assert reads == []


def test_the_scan_finds_a_second_clock() -> None:
    sample = ROOT / "tests" / "unit" / "_second_clock_sample.py"
    try:
        sample.write_text(
            "import time, datetime as dt\nfrom datetime import datetime, UTC\n"
            "a = time.time()\nb = datetime.now(UTC)\nc = dt.date.today()\nd = time.gmtime()\n"
            "e = time.gmtime(0)\n"
        )
        assert [r.split(" ")[1] for r in wall_clock_reads(sample)] == [
            "time.time()",
            "datetime.now()",
            "date.today()",
            "time.gmtime()",
        ]
    finally:
        sample.unlink()


def test_a_test_moves_every_reader_at_once(clock: Clock) -> None:
    from goalpost.admin.reports import window_of
    from goalpost.streams.partner_postbacks import now_and_stamp

    clock.at = 1_700_000_000.25  # 2023-11-14T22:13:20.25Z
    assert goalpost_clock.now() == 1_700_000_000.25  # with its precision: lookback ages are not whole
    assert now_and_stamp() == (1_700_000_000, "2023-11-14T22:13:20.250Z")
    span = window_of(None, None, "UTC")  # the report's default: the last 7 days, today included
    assert (span.start, span.end) == (datetime(2023, 11, 8, tzinfo=UTC), datetime(2023, 11, 15, tzinfo=UTC))


def test_the_system_clock_is_back_once_a_test_lets_go() -> None:
    goalpost_clock.set_source(lambda: 0.0)
    try:
        assert goalpost_clock.now() == 0.0
    finally:
        goalpost_clock.set_source(None)  # what the clock fixture does on teardown
    assert abs(goalpost_clock.now() - time.time()) < 5  # no test's clock leaks into the next
