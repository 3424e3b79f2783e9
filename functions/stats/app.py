"""Sessions- and conversions-stream consumer: hourly stats cells, off the request path.

Reports partial batch failures: the event source retries from the first record whose
group could not be applied; groups already applied are recognised by their marker.
"""

import logging
from typing import Any

from goalpost import settings
from goalpost.model import clock
from goalpost.store import dynamo
from goalpost.streams.stats_stream import process_records

logging.getLogger().setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(settings.config_table, settings.stats_table)
dynamo.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = process_records(event.get("Records", []), int(clock.now()))
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}
