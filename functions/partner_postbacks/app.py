"""Conversions-stream consumer: plans partner postbacks (records and queues each delivery) and
publishes Goalpost's events to the EventBridge bus (goalpost.streams.events).

Sends nothing to partners itself, so no partner's server can hold up this stream: a failure
here is our storage, queue or bus, reported as the first record to retry (the event source
retries in order; a retried record's deliveries are not recorded twice, and its events carry
the same ids).
"""

import logging
from typing import Any

from goalpost import settings
from goalpost.store import dynamo
from goalpost.streams import events, outbox
from goalpost.streams.partner_postbacks import now_and_stamp, plan

logging.getLogger().setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(settings.config_table, settings.conversions_table, settings.partner_deliveries_queue_url)
dynamo.client()
outbox.client()
if settings.event_bus_name():
    events.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _now, at = now_and_stamp()
    records = event.get("Records", [])
    failures = plan(records, at)
    sequences = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
    planned = records[: sequences.index(failures[0])] if failures else records
    unpublished = events.publish(events.collect(planned))
    if unpublished is not None:
        failures = [unpublished]
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}
