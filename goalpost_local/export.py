"""The export's local sink: what Firehose's record format conversion does in the cloud.

In the cloud the export function sends JSON rows to one Firehose stream per table, and Firehose
writes them as Parquet (schema: the Glue table) under ``<table>/dt=<UTC day of arrival>/`` in
the export bucket. Locally there is no Firehose conversion (moto's Firehose writes the records
as they come), so this sink writes the same layout with DuckDB into a folder: one Parquet file
per table per batch, with the same column names and types (``goalpost.streams.export.TABLES``,
decimals as DECIMAL(18,5)). The day is the tracker's clock's, as Firehose's is its arrival time.

DuckDB is a development dependency only: the layer never imports it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from goalpost.model import clock
from goalpost.streams.export import TABLES

_DUCKDB_TYPES = {"string": "VARCHAR", "boolean": "BOOLEAN", "int": "INTEGER"}


def duckdb_type(glue_type: str) -> str:
    """A Glue (Hive) column type as DuckDB writes it to Parquet: decimal(p,s) stays exact."""
    if glue_type.startswith("decimal("):
        return glue_type.upper()
    return _DUCKDB_TYPES[glue_type]


class ParquetFolderSink:
    """Writes ``<root>/<table>/dt=YYYY-MM-DD/<name>.parquet`` (the bucket's layout, in a folder)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()  # one writer at a time: files are whole when they appear

    def put(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        import duckdb

        columns = TABLES[table]
        now = clock.now()
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d-%H-%M-%S")
        folder = self.root / table / f"dt={day}"
        name = f"goalpost-{table}-{stamp}-{secrets.token_hex(8)}.parquet"
        definition = ", ".join(f'"{column}" {duckdb_type(kind)}' for column, kind in columns)
        placeholders = ", ".join("?" for _ in columns)
        with self._lock:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{name}.partial"
            connection = duckdb.connect()
            try:
                connection.execute(f"CREATE TABLE batch ({definition})")
                connection.executemany(
                    f"INSERT INTO batch VALUES ({placeholders})",  # noqa: S608 - our own column list
                    [[row.get(column) for column, _ in columns] for row in rows],
                )
                target = str(partial).replace("'", "''")
                connection.execute(f"COPY batch TO '{target}' (FORMAT parquet)")
            finally:
                connection.close()
            partial.rename(folder / name)  # readers never see half a file
