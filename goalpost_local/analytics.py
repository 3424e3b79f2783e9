"""The reports of analytics/sql, run with DuckDB over the exported Parquet files (make analytics).

The same SQL runs on Athena (its Glue tables ``clicks``, ``conversion_events``,
``deliveries`` in the stack's database): it keeps to what Trino and DuckDB both run. The one
shim: parameters are written ``:from``, ``:end``, ``:scan_from``, ``:scan_to`` and replaced
here by quoted day literals (``--print`` shows the SQL with them, ready for Athena's editor).
Locally, each table is a view over ``<folder>/<table>/dt=*/*.parquet`` (``dt`` read from the
folder names, as Athena's partition projection reads it from the object keys).

    python -m goalpost_local.analytics totals --from 2026-11-01 --to 2026-11-30
    python -m goalpost_local.analytics partner_payouts --month 2026-11
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from goalpost.streams.export import TABLES
from goalpost_local.export import duckdb_type
from goalpost_local.template import ROOT

SQL_DIR = ROOT / "analytics" / "sql"
DEFAULT_EXPORT_DIR = ROOT / ".goalpost-local" / "export"
_PARAMETER = re.compile(r"(?<![:\w]):(from|end|scan_from|scan_to)\b")


def reports() -> list[str]:
    return sorted(path.stem for path in SQL_DIR.glob("*.sql"))


def parameters(day_from: date, day_to: date) -> dict[str, str]:
    """A range of UTC days, inclusive: the instants it covers and the partitions to read.

    A row's partition is the day it reached the export (seconds after the event, so an event
    just before midnight may be in the next day's): clicks are read one day wider on each
    side; a conversion's changes (approved weeks later) from the day before the range on.
    """
    return {
        "from": day_from.isoformat(),
        "end": (day_to + timedelta(days=1)).isoformat(),
        "scan_from": (day_from - timedelta(days=1)).isoformat(),
        "scan_to": (day_to + timedelta(days=1)).isoformat(),
    }


def month_range(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def render(sql: str, values: Mapping[str, str]) -> str:
    """The SQL with its parameters as quoted literals (values are ISO days: nothing to escape)."""
    for value in values.values():
        date.fromisoformat(value)  # only days ever reach the SQL
    lines = []
    for line in sql.splitlines():
        code, dashes, comment = line.partition("--")  # comments keep their parameter names
        lines.append(_PARAMETER.sub(lambda m: f"'{values[m.group(1)]}'", code) + dashes + comment)
    return "\n".join(lines) + "\n"


def connect(export_dir: Path) -> Any:
    """An in-memory DuckDB with one view per exported table (empty when nothing was exported)."""
    import duckdb

    connection = duckdb.connect()
    for table, columns in TABLES.items():
        files = sorted(Path(export_dir, table).glob("dt=*/*.parquet"))
        if files:
            pattern = str(Path(export_dir, table) / "dt=*" / "*.parquet").replace("'", "''")
            # our own table names; the path quoted as a SQL string
            view = f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{pattern}', "  # noqa: S608
            connection.execute(
                view + "hive_partitioning = true, hive_types = {'dt': VARCHAR}, union_by_name = true)"
            )
        else:
            definition = ", ".join(f'"{c}" {duckdb_type(t)}' for c, t in columns)
            connection.execute(f"CREATE TABLE {table} ({definition}, dt VARCHAR)")
    return connection


def run(
    report: str, export_dir: Path, day_from: date, day_to: date
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A report's column names and rows."""
    sql = render((SQL_DIR / f"{report}.sql").read_text(), parameters(day_from, day_to))
    connection = connect(export_dir)
    try:
        result = connection.execute(sql)
        names = [d[0] for d in result.description]
        return names, result.fetchall()
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m goalpost_local.analytics", description=__doc__)
    parser.add_argument("report", choices=reports())
    parser.add_argument("--from", dest="day_from", type=date.fromisoformat)
    parser.add_argument("--to", dest="day_to", type=date.fromisoformat)
    parser.add_argument("--month", help="YYYY-MM: the month's first to last day")
    parser.add_argument("--dir", type=Path, default=DEFAULT_EXPORT_DIR, help="the export folder")
    parser.add_argument("--print", action="store_true", help="print the SQL for Athena, run nothing")
    args = parser.parse_args(argv)
    if args.month:
        day_from, day_to = month_range(args.month)
    elif args.day_from:
        day_from, day_to = args.day_from, args.day_to or args.day_from
    else:
        parser.error("give --from (and --to) or --month")
    if args.print:
        print(render((SQL_DIR / f"{args.report}.sql").read_text(), parameters(day_from, day_to)))
        return 0
    names, rows = run(args.report, args.dir, day_from, day_to)
    print("\t".join(names))
    for row in rows:
        print("\t".join("" if value is None else str(value) for value in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
