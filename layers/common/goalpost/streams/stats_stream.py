"""The stats consumer: stream records of sessions and conversions into hourly cells.

A batch is folded into per-cell deltas and written as a few transactions (one write per
cell per group, never one per event), each with a marker that makes a retried batch
harmless. The same transaction adds the cells' deltas to their rollups (the network's, each
offer's and each partner's hour and UTC day, read by the dashboard): counted once with them.
The function reports the first record it could not apply, so the event source retries from
there: every retry starts at a group boundary.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from goalpost.rules.stats import Contribution, contribution, first_group
from goalpost.store import config_cache, dynamo, stats_store

logger = logging.getLogger("goalpost.stats")

MAX_ITEMS_PER_GROUP = 99
"""A transaction holds 100 items: the group's marker and up to 99 cells and rollups."""


def advertiser_of(offer_id: str, goal_id: str) -> str:
    """The advertiser of a goal (its own, else its offer's), from the cached offer config."""
    bundle = config_cache.offer_bundle(offer_id)
    if bundle is None:
        return ""
    goal = bundle.goals.get(goal_id) if goal_id else None
    return (goal.advertiser_id if goal is not None else "") or bundle.offer.advertiser_id


def read_record(record: Mapping[str, Any]) -> tuple[str, Contribution | None]:
    images = record.get("dynamodb", {})
    new = dynamo.from_item(images.get("NewImage") or {})
    old = dynamo.from_item(images.get("OldImage") or {})
    event_id = str(record.get("eventID") or images.get("SequenceNumber"))
    try:
        return event_id, contribution(str(record.get("eventName", "")), new, old, advertiser_of)
    except (KeyError, ValueError, ArithmeticError):
        # An item we cannot read (written before a field existed) must not block every
        # later record of its shard: it counts nothing, and says so in the log.
        logger.error("stats: unreadable stream record skipped", extra={"event_id": event_id}, exc_info=True)
        return event_id, None


def process_records(records: Sequence[Mapping[str, Any]], now: int) -> list[str]:
    """Apply a batch; the sequence number to retry from (empty when all applied)."""
    events = [read_record(record) for record in records]
    # the sub ids the network breaks its stats down by (cells per value, from when chosen)
    sub_dimensions = config_cache.network().stats_sub_ids
    ids = [event_id for event_id, _ in events]
    position = 0
    while position < len(events):
        group = first_group(events, position, MAX_ITEMS_PER_GROUP, sub_dimensions)
        try:
            applied_before = stats_store.apply_stats(group, now)
        except (ClientError, BotoCoreError):
            logger.exception("stats group not applied; the batch is retried from its first record")
            return [str(records[position]["dynamodb"]["SequenceNumber"])]
        if applied_before is None:
            position += group.size
            continue
        # A retry: skip exactly the records the earlier attempt applied, then go on.
        rest = ids[position:]
        position = position + rest.index(applied_before) + 1 if applied_before in rest else len(events)
        logger.info("stats group already applied", extra={"first": group.first_event, "last": applied_before})
    return []
