"""The partner deliveries queue (SQS): the only module that knows its URL and message shape.

Each message is one whole delivery (offer, delivery id, event, URL), so a dead-lettered
message says everything about what was not delivered, even without its DynamoDB record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from goalpost import settings

_CLIENT: Any = None
BATCH = 10
"""SendMessageBatch takes at most ten messages."""


def client() -> Any:
    """The process-wide SQS client (no stubs package for SQS in the dev tools: typed as Any)."""
    global _CLIENT
    if _CLIENT is None:
        from goalpost.store import aws

        _CLIENT = aws.new_client("sqs")
    return _CLIENT


def reset_client() -> None:
    global _CLIENT
    _CLIENT = None


def queue_url() -> str:
    return settings.partner_deliveries_queue_url()


def enqueue(deliveries: Iterable[Mapping[str, Any]]) -> None:
    """Queue deliveries (already recorded); raises if any message was not accepted."""
    pending = [dict(d) for d in deliveries]
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        answer = client().send_message_batch(
            QueueUrl=queue_url(),
            Entries=[
                {"Id": str(n), "MessageBody": json.dumps(d, sort_keys=True)} for n, d in enumerate(chunk)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(
                f"{len(answer['Failed'])} delivery messages were not queued: {answer['Failed'][0]}"
            )


def message(body: str) -> dict[str, Any]:
    """A queued delivery; ValueError for a body that is not one."""
    data = json.loads(body)
    if not isinstance(data, dict) or not {"offer_id", "delivery_id"} <= data.keys():
        raise ValueError("not a delivery message")
    return data


def postpone(receipt_handle: str, seconds: int) -> None:
    """Back off: the failed message becomes visible again only after ``seconds``."""
    client().change_message_visibility(
        QueueUrl=queue_url(), ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(seconds, 43_200))
    )
