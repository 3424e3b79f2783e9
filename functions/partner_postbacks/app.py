"""Conversions-stream consumer: partner postbacks for approved and reversed conversions.

Reports partial batch failures, so the event source mapping retries from the first
record that could not be delivered; delivered postbacks are never sent twice.
"""

import logging
import time
from datetime import UTC, datetime
from typing import Any

from goalpost import store
from goalpost.partner_postbacks import process_records

logging.getLogger().setLevel(logging.INFO)
store.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = time.time()
    at = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    failures = process_records(event.get("Records", []), int(now), at)
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}
