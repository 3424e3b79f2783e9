"""Sessions- and conversions-stream consumer: every event exported to the network's S3.

Rows go to Kinesis Data Firehose (one stream per table), which writes them as Parquet under
``<table>/dt=YYYY-MM-DD/`` (goalpost.streams.export). Off the request path: the hot paths
never wait on it. A batch whose rows were not all accepted is retried whole (rows are keyed:
the SQL counts a row sent twice once).
"""

import logging
from typing import Any

from goalpost import settings
from goalpost.streams import export

logging.getLogger().setLevel(logging.INFO)
if isinstance(export.sink(), export.FirehoseSink):
    # what this function's template environment names: one unset fails the cold start
    settings.require(*export.STREAMS.values())


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = export.export(event.get("Records", []))
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}
