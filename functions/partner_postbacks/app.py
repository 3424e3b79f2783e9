"""Conversions-stream consumer: plans partner postbacks (records and queues each delivery).

Sends nothing itself, so no partner's server can hold up this stream: a failure here is our
storage or queue, reported as the first record to retry (the event source retries in order).
"""

import logging
from typing import Any

from goalpost import settings
from goalpost.store import dynamo
from goalpost.streams import outbox
from goalpost.streams.partner_postbacks import now_and_stamp, plan

logging.getLogger().setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(settings.config_table, settings.conversions_table, settings.partner_deliveries_queue_url)
dynamo.client()
outbox.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _now, at = now_and_stamp()
    failures = plan(event.get("Records", []), at)
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}
