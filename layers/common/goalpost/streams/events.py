"""Goalpost's events on EventBridge, from the conversions stream (never on a hot path).

Each detail-type has a JSON Schema in ``docs/events/`` (``<detail-type slug>.v<version>.json``);
a test validates what this module builds against it. ``schema_version`` is in every detail:
a change that could break a consumer (a field removed, renamed or retyped) is a new version
and a new schema file; adding an optional field is not.

``event_id`` is stable for one happening (a retried stream batch publishes it again with the
same id: EventBridge delivers at least once, so consumers deduplicate on it).
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from goalpost import settings
from goalpost.model.caps import CAP_CODES, refusal_code
from goalpost.model.conversion import CLAWBACK, CONVERSION
from goalpost.model.money import format_money
from goalpost.store import dynamo

SOURCE = "goalpost"
SCHEMA_VERSION = "1"
CREATED = "Conversion Created"
APPROVED = "Conversion Approved"
REJECTED = "Conversion Rejected"
REVERSED = "Conversion Reversed"
ADJUSTED = "Conversion Adjusted"
DELIVERY_FAILED = "Delivery Failed"
CAP_REACHED = "Cap Reached"
DETAIL_TYPES = (CREATED, APPROVED, REJECTED, REVERSED, ADJUSTED, DELIVERY_FAILED, CAP_REACHED)
BATCH = 10
"""PutEvents takes at most ten entries."""

CONVERSION_FIELDS = (
    "conversion_id", "transaction_id", "kind", "offer_id", "goal_id", "goal_name", "partner_id",
    "advertiser_id", "status", "status_code", "created_at", "currency", "payout", "revenue",
    "sale_amount", "private", "subs", "adv_subs", "reverses", "transition", "note",
)  # fmt: skip
DELIVERY_FIELDS = (
    "delivery_id", "offer_id", "partner_id", "event", "status", "attempts", "response_code",
    "last_error", "finished_at",
)  # fmt: skip

_CLIENT: Any = None


def client() -> Any:
    """The process-wide EventBridge client (botocore's, typed as Any like the SQS one)."""
    global _CLIENT
    if _CLIENT is None:
        from goalpost.store import aws

        _CLIENT = aws.new_client("events")
    return _CLIENT


def reset_client() -> None:
    global _CLIENT
    _CLIENT = None


class Event(NamedTuple):
    detail_type: str
    detail: dict[str, Any]
    sequence: str
    """The stream record it comes from (the one to retry from when it cannot be published)."""


def _plain(value: Any) -> Any:
    """JSON's types: money and counts from DynamoDB's Decimals, money as exact strings."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent == 0
            else str(value)
        )
    return value


def _money(value: Any) -> str | None:
    """Money as the reports show it: an exact decimal string, cents at least (None: none)."""
    return None if value is None else format_money(Decimal(str(value)))


def _conversion(item: Mapping[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {name: _plain(item[name]) for name in CONVERSION_FIELDS if name in item}
    for name in ("payout", "revenue", "sale_amount"):
        doc[name] = _money(item.get(name))
    doc["kind"] = item.get("kind") or CONVERSION
    doc["private"] = bool(item.get("private"))
    return doc


def _detail(event_id: str, occurred_at: str, **body: Any) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "event_id": event_id, "occurred_at": occurred_at, **body}


def events_of(record: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """What one conversions-stream record tells the network: (detail-type, detail) pairs."""
    images = record.get("dynamodb", {})
    new = dynamo.from_item(images.get("NewImage") or {})
    old = dynamo.from_item(images.get("OldImage") or {})
    inserted = record.get("eventName") == "INSERT"
    kind = new.get("kind")
    if kind == "delivery":
        return _delivery_events(new, old)
    if kind == CLAWBACK and inserted:
        clawback = _conversion(new)
        detail = _detail(
            f"{new['conversion_id']}.reversed", str(new.get("created_at", "")), clawback=clawback
        )
        return [(REVERSED, detail)]
    if kind != CONVERSION:
        return []
    conversion = _conversion(new)
    cid = str(new["conversion_id"])
    if inserted:
        at = str(new.get("created_at", ""))
        if new.get("status") == "rejected":  # a refusal stored for a real session
            found = [(REJECTED, _detail(f"{cid}.rejected", at, conversion=conversion))]
            if new.get("status_code") in CAP_CODES:
                cap = "offer" if new["status_code"] == refusal_code("offer") else "partner"
                found.append((CAP_REACHED, _detail(f"{cid}.cap_reached", at, cap=cap, conversion=conversion)))
            return found
        found = [(CREATED, _detail(f"{cid}.created", at, conversion=conversion))]
        if new.get("status") == "approved":
            found.append((APPROVED, _detail(f"{cid}.approved.1", at, conversion=conversion)))
        return found
    adjustments = list(new.get("adjustments") or [])
    if len(adjustments) <= len(old.get("adjustments") or []):
        return []  # a duplicate counted, nothing decided
    change = _plain(adjustments[-1])
    for side in ("before", "after"):  # money as exact strings, as in the conversion
        if isinstance(change.get(side), dict):
            change[side] = {k: (v if k == "status" else _money(v)) for k, v in change[side].items()}
    n, at = len(adjustments), str(change.get("at", ""))
    found = [(ADJUSTED, _detail(f"{cid}.adjusted.{n}", at, conversion=conversion, adjustment=change))]
    if new.get("status") != old.get("status") and new.get("status") in ("approved", "rejected"):
        detail_type = APPROVED if new["status"] == "approved" else REJECTED
        found.append((detail_type, _detail(f"{cid}.{new['status']}.{n + 1}", at, conversion=conversion)))
    return found


def _delivery_events(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A partner postback attempt that failed (each one: the queue retries it on its back-off)
    or was refused (an address we will not call)."""
    if new.get("status") not in ("failed", "refused") or new.get("finished_at") == old.get("finished_at"):
        return []
    delivery = {name: _plain(new[name]) for name in DELIVERY_FIELDS if name in new}
    event_id = f"{new['delivery_id']}.{new['status']}.{delivery.get('attempts', 0)}"
    return [(DELIVERY_FAILED, _detail(event_id, str(new.get("finished_at", "")), delivery=delivery))]


def collect(records: Sequence[Mapping[str, Any]]) -> list[Event]:
    """Every record's events, in stream order."""
    return [
        Event(detail_type, detail, str(record.get("dynamodb", {}).get("SequenceNumber", "")))
        for record in records
        for detail_type, detail in events_of(record)
    ]


def publish(events: Iterable[Event]) -> str | None:
    """Put the events on the bus, ten at a time, in order; the sequence number of the first
    record whose events were not all accepted (None: all were)."""
    bus = settings.event_bus_name()
    pending = list(events)
    if not bus:
        return None
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        answer = client().put_events(
            Entries=[
                {
                    "EventBusName": bus,
                    "Source": SOURCE,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.detail, sort_keys=True),
                    "Resources": [],
                }
                for event in chunk
            ]
        )
        if answer.get("FailedEntryCount"):
            failed = [
                e for e, result in zip(chunk, answer["Entries"], strict=True) if result.get("ErrorCode")
            ]
            return (failed or chunk)[0].sequence
    return None
