"""The export: every click, conversion, refusal, adjustment, clawback and partner delivery, as
rows for the network's own S3 (Parquet, one folder per day), off the request path.

Fed by the sessions and conversions streams (functions/export). Each stream record becomes at
most one row of one table (``TABLES``: the columns and their types, the one definition the
Glue tables in template.yaml and the local Parquet writer are held to). A row is a change:
a conversion adjusted twice has three rows, and the latest (highest ``seq``) is its state, as
the stats read it (analytics/sql takes the latest row per conversion).

Rows go to a ``Sink``: in the cloud, one Kinesis Data Firehose stream per table, which converts
the JSON rows to Parquet with the Glue table's schema and writes ``<table>/dt=YYYY-MM-DD/``
(the day the row reached Firehose, UTC); locally, ``goalpost_local.export`` writes the same
layout with DuckDB. Firehose bills each record in 5 KB steps, so rows are packed into records
of up to ``RECORD_BYTES`` (concatenated JSON documents, which its JSON deserializer reads as
separate rows): a million rows of ~600 bytes are ~120,000 records, not a million.

Delivery is at least once (a retried batch sends its rows again, Firehose may write a record
twice): every table has a key (``transaction_id``; ``conversion_id`` + ``seq``;
``delivery_id`` + ``seq``) and the SQL counts each key once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from goalpost import settings
from goalpost.model.conversion import CLAWBACK, CONVERSION
from goalpost.model.session import ADV_SUB_FIELDS, CLICK_CONTEXT_FIELDS
from goalpost.store import dynamo

logger = logging.getLogger("goalpost.export")

MONEY = "decimal(18,5)"
"""Amounts: 13 digits and 5 places (goalpost.model.money), exact in Parquet and SQL alike."""
RATE = "decimal(20,10)"
"""Exchange rates: ten places, as a conversion records them (goalpost.model.exchange)."""

TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "clicks": (
        ("seq", "string"),
        ("transaction_id", "string"),
        ("offer_id", "string"),
        ("partner_id", "string"),
        ("clicked_at", "string"),
        *((name, "string") for name in CLICK_CONTEXT_FIELDS),
        ("ip", "string"),
        ("user_agent", "string"),
    ),
    "conversion_events": (
        ("seq", "string"),
        ("event", "string"),
        ("changed_at", "string"),
        ("kind", "string"),
        ("conversion_id", "string"),
        ("offer_id", "string"),
        ("goal_id", "string"),
        ("goal_name", "string"),
        ("private", "boolean"),
        ("partner_id", "string"),
        ("advertiser_id", "string"),
        ("transaction_id", "string"),
        ("status", "string"),
        ("status_code", "string"),
        ("currency", "string"),
        ("created_at", "string"),
        ("via", "string"),
        ("payout", MONEY),
        ("revenue", MONEY),
        ("sale_amount", MONEY),
        ("payout_source", "string"),
        *((name, "string") for name in CLICK_CONTEXT_FIELDS),
        *((name, "string") for name in ADV_SUB_FIELDS),
        ("requested_goal", "string"),
        ("reverses", "string"),
        ("adjustments", "int"),
        ("adjusted_from", "string"),
        ("adjusted_to", "string"),
        ("adjusted_reason", "string"),
        ("adjusted_by", "string"),
        # its money in every currency, frozen when recorded (README, Currencies); a conversion
        # in one currency has its own amounts here
        ("sale_currency", "string"),
        ("sale_rate", RATE),
        ("partner_currency", "string"),
        ("partner_payout", MONEY),
        ("partner_rate", RATE),
        ("base_currency", "string"),
        ("base_payout", MONEY),
        ("base_revenue", MONEY),
        ("base_sale_amount", MONEY),
        ("base_rate", RATE),
        ("rate_day", "string"),
        ("flags", "string"),
    ),
    "deliveries": (
        ("seq", "string"),
        ("changed_at", "string"),
        ("delivery_id", "string"),
        ("conversion_id", "string"),
        ("offer_id", "string"),
        ("partner_id", "string"),
        ("event", "string"),
        ("status", "string"),
        ("attempts", "int"),
        ("response_code", "int"),
        ("last_error", "string"),
        ("created_at", "string"),
    ),
}
"""Each exported table's columns and Glue (Hive) types, in order; every table is partitioned
by ``dt`` (string, ``YYYY-MM-DD``)."""

STREAMS = {
    "clicks": settings.export_clicks_stream,
    "conversion_events": settings.export_conversions_stream,
    "deliveries": settings.export_deliveries_stream,
}
"""Each table's Firehose stream (the function's own environment in template.yaml)."""

RECORD_BYTES = 5000
"""Most bytes in one Firehose record: its price counts each record in 5 KB (5,120 byte) steps."""
BATCH_RECORDS = 500
BATCH_BYTES = 4 * 1024 * 1024
"""PutRecordBatch takes at most 500 records and 4 MiB."""
SEQ_DIGITS = 40
"""Stream sequence numbers have up to 40 digits: padded, they sort as text in every engine."""

Row = dict[str, Any]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _amount(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _click(image: Mapping[str, Any], seq: str) -> Row:
    subs = image.get("subs") or {}
    return {
        "seq": seq,
        "transaction_id": _text(image["transaction_id"]),
        "offer_id": _text(image["offer_id"]),
        "partner_id": _text(image["partner_id"]),
        "clicked_at": _iso(float(image["created_at"])),
        **{name: _text(subs.get(name)) for name in CLICK_CONTEXT_FIELDS},
        "ip": _text(image.get("ip")),
        "user_agent": _text(image.get("user_agent")),
    }


def _conversion(event_name: str, image: Mapping[str, Any], old: Mapping[str, Any], seq: str) -> Row:
    subs, adv_subs = image.get("subs") or {}, image.get("adv_subs") or {}
    adjustments = list(image.get("adjustments") or ())
    grew = len(adjustments) > len(old.get("adjustments") or ())
    last = adjustments[-1] if grew else {}
    if event_name == "INSERT":
        event = "clawback" if image.get("kind") == CLAWBACK else "created"
    else:
        event = "adjusted" if grew else "updated"  # updated: a duplicate postback counted on it
    return {
        "seq": seq,
        "event": event,
        "changed_at": _text(last.get("at") or image.get("last_duplicate_at") or image.get("created_at")),
        "kind": _text(image.get("kind")),
        "conversion_id": _text(image["conversion_id"]),
        "offer_id": _text(image["offer_id"]),
        "goal_id": _text(image.get("goal_id")),
        "goal_name": _text(image.get("goal_name")),
        "private": bool(image.get("private", False)),
        "partner_id": _text(image["partner_id"]),
        "advertiser_id": _text(image.get("advertiser_id")),
        "transaction_id": _text(image.get("transaction_id")),
        "status": _text(image.get("status")),
        "status_code": _text(image.get("status_code")),
        "currency": _text(image.get("currency")),
        "created_at": _text(image["created_at"]),
        "via": _text(image.get("via")),
        "payout": _amount(image.get("payout")),
        "revenue": _amount(image.get("revenue")),
        "sale_amount": _amount(image.get("sale_amount")),
        "payout_source": _text(image.get("payout_source")),
        **{name: _text(subs.get(name)) for name in CLICK_CONTEXT_FIELDS},
        **{name: _text(adv_subs.get(name)) for name in ADV_SUB_FIELDS},
        "requested_goal": _text(image.get("requested_goal")),
        "reverses": _text(image.get("reverses")),
        "adjustments": len(adjustments),
        "adjusted_from": _text(last.get("from")),
        "adjusted_to": _text(last.get("to")),
        "adjusted_reason": _text(last.get("reason")),
        "adjusted_by": _text(last.get("by")),
        **_currencies(image),
        "flags": ",".join(str(f) for f in image.get("flags") or ()),
    }


def _base_sale(image: Mapping[str, Any]) -> Decimal | None:
    """The sale in the base currency, as the stats count it (one rounding step per conversion)."""
    from goalpost.rules.exchange import recorded_sale

    sale = _amount(image.get("sale_amount"))
    if sale is None:
        return None
    currency = _text(image.get("currency"))
    base = _text(image.get("base_currency")) or currency
    return recorded_sale(
        sale, _amount(image.get("sale_rate")), currency, _amount(image.get("base_rate")), base
    )[1]


def _currencies(image: Mapping[str, Any]) -> Row:
    """The amounts in each currency as reports add them: what was recorded, or (one currency)
    the conversion's own amounts."""
    currency = _text(image.get("currency"))
    payout, revenue = _amount(image.get("payout")), _amount(image.get("revenue"))
    converted_base = bool(image.get("base_currency"))
    converted_partner = bool(image.get("partner_currency"))
    return {
        "sale_currency": _text(image.get("sale_currency")) or currency,
        "sale_rate": _amount(image.get("sale_rate")),
        "partner_currency": _text(image.get("partner_currency")) or currency,
        "partner_payout": _amount(image.get("partner_payout")) if converted_partner else payout,
        "partner_rate": _amount(image.get("partner_rate")),
        "base_currency": _text(image.get("base_currency")) or currency,
        "base_payout": _amount(image.get("base_payout")) if converted_base else payout,
        "base_revenue": _amount(image.get("base_revenue")) if converted_base else revenue,
        "base_sale_amount": _base_sale(image),
        "base_rate": _amount(image.get("base_rate")),
        "rate_day": _text(image.get("rate_day")),
    }


def _delivery(image: Mapping[str, Any], seq: str) -> Row:
    delivery_id = _text(image["delivery_id"])
    return {
        "seq": seq,
        "changed_at": _text(
            image.get("finished_at") or image.get("last_attempt_at") or image.get("created_at")
        ),
        "delivery_id": delivery_id,
        "conversion_id": delivery_id.split(".", 1)[0],
        "offer_id": _text(image["offer_id"]),
        "partner_id": _text(image.get("partner_id")),
        "event": _text(image.get("event")),
        "status": _text(image.get("status")),
        "attempts": int(image.get("attempts") or 0),
        "response_code": int(image.get("response_code") or 0),
        "last_error": _text(image.get("last_error"))[:1000],
        "created_at": _text(image.get("created_at")),
    }


def row_of(record: Mapping[str, Any]) -> tuple[str, Row] | None:
    """The table and row a stream record exports (None: nothing to export).

    Sessions: a new session is a click (its later changes, an end point closing it, are not
    events of their own). Conversions table: conversions (refusals are conversions with status
    ``rejected`` and a refusal code), their adjustments, clawbacks, and partner deliveries.
    """
    images = record.get("dynamodb", {})
    new = dynamo.from_item(images.get("NewImage") or {})
    old = dynamo.from_item(images.get("OldImage") or {})
    event_name = str(record.get("eventName", ""))
    if not new:
        return None  # a removal (TTL): the export keeps what happened, not what expired
    seq = str(images.get("SequenceNumber", "")).zfill(SEQ_DIGITS)
    kind = new.get("kind")
    if kind is None and "transaction_id" in new and event_name == "INSERT":
        return "clicks", _click(new, seq)
    if kind in (CONVERSION, CLAWBACK):
        return "conversion_events", _conversion(event_name, new, old, seq)
    if kind == "delivery":
        return "deliveries", _delivery(new, seq)
    return None


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")  # a JSON number, exact: never through float
    return json.dumps(value, ensure_ascii=False)


def to_json(row: Row) -> str:
    """One row as a JSON document; amounts are JSON numbers written from the Decimal's digits."""
    return "{" + ",".join(f"{json.dumps(k)}:{_json_value(v)}" for k, v in row.items()) + "}"


def pack(rows: Sequence[Row]) -> list[bytes]:
    """Rows as Firehose records: JSON documents back to back, up to ``RECORD_BYTES`` each (a
    row longer than that is a record of its own)."""
    records: list[bytes] = []
    current = b""
    for row in rows:
        document = to_json(row).encode()
        if current and len(current) + len(document) > RECORD_BYTES:
            records.append(current)
            current = b""
        current += document
    if current:
        records.append(current)
    return records


class Sink(Protocol):
    def put(self, table: str, rows: Sequence[Row]) -> None:
        """Store rows of one table; raises when any row may not have been stored."""


class FirehoseSink:
    """One Firehose stream per table (GOALPOST_EXPORT_STREAM_<TABLE>)."""

    def __init__(self, client: Any | None = None) -> None:
        if client is None:
            from goalpost.store import aws

            client = aws.new_client("firehose")
        self.client = client

    def put(self, table: str, rows: Sequence[Row]) -> None:
        stream = STREAMS[table]()
        records = pack(rows)
        batch: list[bytes] = []
        size = 0
        for record in records:
            if batch and (len(batch) == BATCH_RECORDS or size + len(record) > BATCH_BYTES):
                self._send(stream, batch)
                batch, size = [], 0
            batch.append(record)
            size += len(record)
        if batch:
            self._send(stream, batch)

    def _send(self, stream: str, records: list[bytes]) -> None:
        answer = self.client.put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": record} for record in records]
        )
        if answer.get("FailedPutCount"):
            # The whole batch is retried by the stream: rows sent twice are counted once (keys).
            failed = next(r for r in answer["RequestResponses"] if r.get("ErrorCode"))
            raise RuntimeError(
                f"{answer['FailedPutCount']} export records refused: {failed.get('ErrorCode')}"
            )


_SINK: Sink | None = None


def set_sink(sink: Sink | None) -> None:
    """Where rows go (None: Firehose). The local runtime and tests set their Parquet writer."""
    global _SINK
    _SINK = sink


def sink() -> Sink:
    global _SINK
    if _SINK is None:
        _SINK = FirehoseSink()
    return _SINK


def export(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Export a batch; the sequence number to retry from (empty when every row is stored).

    Rows are grouped per table and stored table by table: a failure retries the whole batch
    (rows already stored are stored again, and counted once by their keys).
    """
    by_table: dict[str, list[Row]] = {}
    for record in records:
        try:
            found = row_of(record)
        except (KeyError, ValueError, ArithmeticError):
            # An item we cannot read (written before a field existed) must not block its shard.
            logger.error(
                "export: unreadable stream record skipped", extra={"event_id": record.get("eventID")}
            )
            continue
        if found is not None:
            by_table.setdefault(found[0], []).append(found[1])
    try:
        for table, rows in by_table.items():
            sink().put(table, rows)
    except Exception:
        logger.exception("export batch not stored; the batch is retried from its first record")
        return [str(records[0]["dynamodb"]["SequenceNumber"])] if records else []
    return []
