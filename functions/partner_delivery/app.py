"""Partner deliveries queue consumer: one signed GET per delivery, each retried on its own.

Reports the messages to retry (ReportBatchItemFailures); each is postponed by its own
back-off and, after the queue's maxReceiveCount, moved whole to the dead-letter queue.
"""

import logging
from typing import Any

from goalpost import settings
from goalpost.store import dynamo
from goalpost.streams import outbox
from goalpost.streams.partner_postbacks import deliver_messages, now_and_stamp

logging.getLogger().setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(
    settings.config_table,
    settings.conversions_table,
    settings.partner_deliveries_queue_url,
    settings.secrets_table,
)
dynamo.client()
outbox.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now, at = now_and_stamp()
    failures = deliver_messages(event.get("Records", []), now, at)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}
