"""The report projection, kept from the conversions stream, off the request path.

Every conversion, stored refusal and clawback is copied under its partner's and its offer's
keys (goalpost.store.report_store), so a one-partner or one-offer report reads that partner's or
offer's records and nothing else, without a report index written by the postback: the postback
writes its item and the network's day index (2 WCU), the copies cost 2 WCU more here, seconds
later, and a throttled copy delays a report instead of refusing a postback.

Idempotent: each copy is put on condition that the stored one is no newer (the record's
version), so a batch delivered again, whole or from any record, or a change read after a newer
one, leaves the newest copy in place. A failure retries the whole batch (as the export does),
so the stats' retry-from-a-group-boundary stays as it is.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from goalpost.store import conversion_store, dynamo, report_store

logger = logging.getLogger("goalpost.report_projection")

WORKERS = 16
"""Puts in flight at once: a batch of 1,000 records is 2,000 conditional puts, about a
second on one connection at a time, an eighth of that in parallel."""


def latest_images(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each report record of a batch once, as its newest image in the batch (a record changed
    twice within one batch is put once); the records' other kinds are left out."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        image = (record.get("dynamodb") or {}).get("NewImage")
        if not image:
            continue  # a removal: the stream's filter leaves them out; nothing to copy
        item = dynamo.from_item(image)
        if not report_store.is_report_record(item):
            continue
        key = str(item["created_key"])
        known = latest.get(key)
        if known is None or conversion_store.report_version(item) >= conversion_store.report_version(known):
            latest[key] = item
    return list(latest.values())


def project(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Copy a batch's report records; the sequence number to retry from (the batch's first:
    every copy is put again, harmlessly) or empty when every copy is in place."""
    images = latest_images(records)
    if not images:
        return []
    try:
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(images))) as pool:
            # each put in a copy of this thread's context (the local runtime keeps there which
            # function is acting, and holds it to that function's policies)
            futures = [
                pool.submit(contextvars.copy_context().run, report_store.project_record, image)
                for image in images
            ]
            for future in futures:
                future.result()
    except (ClientError, BotoCoreError):
        logger.exception("report projection not written; the batch is retried from its first record")
        return [str(records[0]["dynamodb"]["SequenceNumber"])]
    return []
