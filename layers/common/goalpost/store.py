"""Data access: the only module that knows table names, keys and expressions.

Tables (README, "Tables and keys", lists every access pattern):
- sessions:    transaction_id                     one item per click, TTL on expires_at
- conversions: pk=TX#<txid>, sk=CONV#<goal>[#<n>]  conversions of a session
               pk=UNIQUE#<offer>#<field>#<value>  guard: a unique id seen on an offer
               pk=RETRY#<fingerprint>             guard: a postback seen in the retry window
               GSI by_offer_time:   offer_key=OFFER#<id>,        created_key=<iso time>#<conversion id>
               GSI by_partner_time: partner_key=PARTNER#<id>,    created_key (conversions only)
               GSI by_day_time:     day_key=DAY#<utc yyyy-mm-dd>, created_key (conversions only)
- config:      pk=NETWORK sk=SETTINGS, pk=ADV#<id> sk=PROFILE, pk=PARTNER#<id> sk=PROFILE,
               pk=OFFER#<id> sk=OFFER | GOAL#<id> | PAYOUT#<partner>#<goal>,
               pk=STRUCTURE#<id> sk=PROFILE, pk=COUNTER sk=<kind>
               GSI by_kind: kind, pk (lists every entity of a kind)
- stats:       pk=CELLS#<utc day>#<shard>, sk=<offer>#<hh>#<partner>#<goal|->  hourly cells
               pk=APPLIED#<first stream event id> sk=APPLIED                 batch marker (TTL)
               GSI by_partner_day: partner_day=<partner>#<utc day>, sk
"""

import hashlib
import os
import secrets
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from goalpost.caps import CapCode, Counter, refusal_code
from goalpost.domain import (
    Advertiser,
    Goal,
    NetworkSettings,
    Offer,
    OfferBundle,
    Partner,
    PayoutStructure,
    Rate,
    Session,
    approval_transitions,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from goalpost.stats import Cell, Group

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

_CLIENT: "DynamoDBClient | None" = None


def client() -> "DynamoDBClient":
    """The process-wide DynamoDB client (created once, in the init phase when possible)."""
    global _CLIENT
    if _CLIENT is None:
        import boto3
        from botocore.config import Config

        # botocore retries a timed-out TransactWriteItems with the same (auto-generated)
        # ClientRequestToken, which DynamoDB treats as idempotent for ten minutes.
        _CLIENT = boto3.client(
            "dynamodb",
            config=Config(
                connect_timeout=2,
                read_timeout=float(os.environ.get("GOALPOST_DYNAMODB_READ_TIMEOUT", "5")),
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
    return _CLIENT


def reset_client() -> None:
    """Forget the client (tests switch endpoints and mocks between runs)."""
    global _CLIENT
    _CLIENT = None


def sessions_table() -> str:
    return os.environ["SESSIONS_TABLE"]


def conversions_table() -> str:
    return os.environ["CONVERSIONS_TABLE"]


def config_table() -> str:
    return os.environ["CONFIG_TABLE"]


def stats_table() -> str:
    return os.environ["STATS_TABLE"]


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items()}


Page = tuple[list[dict[str, Any]], dict[str, Any] | None]

INTEGER_FIELDS = frozenset(
    {"version", "session_hours", "level", "duplicate_count", "session_created_at"}
    | {"attempts", "response_code"}
)
"""Whole numbers in documents and records: DynamoDB gives every number back as a Decimal."""


def as_written(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A document as it was written: counts and versions as ints (money stays Decimal)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, Mapping):
            value = as_written(value)
        elif key in INTEGER_FIELDS and isinstance(value, Decimal):
            value = int(value)
        out[key] = value
    return out


_INDEX_KEYS: dict[str, tuple[str, ...]] = {
    "by_offer_time": ("offer_key", "created_key"),
    "by_partner_time": ("partner_key", "created_key"),
    "by_day_time": ("day_key", "created_key"),
    "by_kind": ("kind",),
    "by_partner_day": ("partner_day",),
}
"""The attributes of each index's key (a cursor on an index holds them and the table's key)."""


class InvalidCursor(ValueError):
    """A cursor that decodes but is no key of the list it was sent to (made up, or another list's)."""


def _query_page(
    kwargs: dict[str, Any], limit: int, cursor: Mapping[str, Any] | None, docs: bool = False
) -> Page:
    """One page of a query and the key to continue from (the API's cursor)."""
    kwargs = {**kwargs, "Limit": limit}
    if cursor:
        expected = {"pk", "sk", *_INDEX_KEYS.get(kwargs.get("IndexName", ""), ())}
        if set(cursor) != expected or not all(isinstance(v, str) for v in cursor.values()):
            raise InvalidCursor("the cursor does not belong to this list")
        kwargs["ExclusiveStartKey"] = to_item(cursor)
    try:
        response = client().query(**kwargs)
    except ClientError as error:
        if cursor and error.response["Error"]["Code"] == "ValidationException":
            raise InvalidCursor("the cursor does not belong to this list") from None
        raise
    last = response.get("LastEvaluatedKey")
    items = [from_item(i) for i in response.get("Items", [])]
    return ([as_written(i["doc"]) for i in items] if docs else items), (from_item(last) if last else None)


def _all_pages(kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item a query matches, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        response = client().query(**kwargs)
        items.extend(from_item(i) for i in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs = {**kwargs, "ExclusiveStartKey": response["LastEvaluatedKey"]}


# ------------------------------------------------------------------ sessions


def put_session(session: Session) -> None:
    """One PutItem per click; the condition guards against a (practically impossible) id reuse."""
    data: dict[str, Any] = {
        "transaction_id": session.transaction_id,
        "offer_id": session.offer_id,
        "partner_id": session.partner_id,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
    }
    if session.subs:
        data["subs"] = dict(session.subs)
    if session.ip:
        data["ip"] = session.ip
    if session.user_agent:
        data["user_agent"] = session.user_agent
    try:
        client().put_item(
            TableName=sessions_table(),
            Item=to_item(data),
            ConditionExpression="attribute_not_exists(transaction_id)",
        )
    except ClientError as error:
        # 128 random bits never collide: the item is there because botocore retried our own
        # PutItem after a timeout whose first attempt had applied. The session is stored.
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _session_from(data: Mapping[str, Any]) -> Session:
    return Session(
        transaction_id=data["transaction_id"],
        offer_id=str(data["offer_id"]),
        partner_id=str(data["partner_id"]),
        created_at=int(data["created_at"]),
        expires_at=int(data["expires_at"]),
        subs={str(k): str(v) for k, v in data.get("subs", {}).items()},
        ip=data.get("ip", ""),
        user_agent=data.get("user_agent", ""),
        closed_at=int(data.get("closed_at", 0)),
        closed_by_goal=data.get("closed_by_goal", ""),
        closed_by_sk=data.get("closed_by_sk", ""),
        converted_goals=frozenset(data.get("converted_goals", ())),
    )


def get_session(transaction_id: str) -> Session | None:
    """Strongly consistent, so a pixel fired right after the click finds its session."""
    response = client().get_item(
        TableName=sessions_table(),
        Key={"transaction_id": {"S": transaction_id}},
        ConsistentRead=True,
    )
    item = response.get("Item")
    return _session_from(from_item(item)) if item else None


# ------------------------------------------------------------------ conversions


STORAGE_FIELDS = ("pk", "sk", "kind", "offer_key", "partner_key", "day_key", "created_key")
"""Attributes of a stored conversion that are keys of the table and its indexes, not facts."""


def without_storage_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    return as_written({k: v for k, v in item.items() if k not in STORAGE_FIELDS})


def report_index_keys(record: Mapping[str, Any]) -> dict[str, str]:
    """Where a record sits in the report indexes: by offer, and (conversions) by partner and day."""
    created = str(record["created_at"])
    keys = {"offer_key": f"OFFER#{record['offer_id']}", "created_key": f"{created}#{record['conversion_id']}"}
    if record.get("kind") == "conversion":
        keys["partner_key"] = f"PARTNER#{record['partner_id']}"
        keys["day_key"] = f"DAY#{created[:10]}"
    return keys


def conversion_key(transaction_id: str, goal_id: str, suffix: str = "") -> dict[str, Any]:
    sk = f"CONV#{goal_id}#{suffix}" if suffix else f"CONV#{goal_id}"
    return {"pk": {"S": f"TX#{transaction_id}"}, "sk": {"S": sk}}


def closing_conversion_key(session: Session) -> dict[str, Any]:
    """The conversion of the end-point goal that closed a session."""
    if session.closed_by_sk:
        return {"pk": {"S": f"TX#{session.transaction_id}"}, "sk": {"S": session.closed_by_sk}}
    return conversion_key(session.transaction_id, session.closed_by_goal)


def conversion_id_of(transaction_id: str, goal_id: str, suffix: str = "") -> str:
    return f"{transaction_id}-{goal_id}-{suffix}" if suffix else f"{transaction_id}-{goal_id}"


def key_of_conversion_id(conversion_id: str) -> dict[str, Any] | None:
    parts = conversion_id.split("-")
    if len(parts) not in (2, 3) or not all(parts):
        return None
    return conversion_key(*parts)


class Inserted(NamedTuple):
    outcome: Literal["inserted"] = "inserted"


class Duplicate(NamedTuple):
    """The conversion this request repeats, and why it counts as a repeat."""

    key: dict[str, Any]
    code: Literal["duplicate", "duplicate_unique_id", "duplicate_retry"]
    outcome: Literal["duplicate"] = "duplicate"


class SessionRefused(NamedTuple):
    """The session changed between our read and our write (closed, expired or gone)."""

    code: Literal["unknown_transaction", "session_expired", "session_closed"]
    outcome: Literal["refused"] = "refused"


class CapReached(NamedTuple):
    """A cap counter had no room left for this conversion (another took the last slot)."""

    code: CapCode


InsertResult = Inserted | Duplicate | SessionRefused | CapReached


def _cap_counter_key(offer_id: str, sort_key: str) -> dict[str, Any]:
    """``caps.counter_sort_keys`` names a counter's sort key: ``<scope>#<period key>[#s<shard>]``."""
    return {"pk": {"S": f"CAP#{offer_id}"}, "sk": {"S": sort_key}}


def _cap_counter_update(offer_id: str, counter: Counter) -> dict[str, Any]:
    """Add this conversion to a cap counter, on condition that each capped measure has room.

    DynamoDB cannot add inside a condition, so the room is the limit less this conversion,
    computed before: ``counter <= limit - this`` is ``counter + this <= limit``.
    """
    names = {f"#{m}": m for m in counter.adds}
    values: dict[str, Any] = {f":add_{m}": v for m, v in counter.adds.items()}
    values.update({f":room_{m}": v for m, v in counter.room.items()})
    expression = "ADD " + ", ".join(f"#{m} :add_{m}" for m in counter.adds)
    if counter.expires_at:
        expression += " SET expires_at = if_not_exists(expires_at, :expires)"
        values[":expires"] = counter.expires_at
    return {
        "Update": {
            "TableName": stats_table(),
            "Key": _cap_counter_key(offer_id, f"{counter.scope}#{counter.period_key}"),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(
                f"(attribute_not_exists(#{m}) OR #{m} <= :room_{m})" for m in counter.room
            ),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": _values(values),
        }
    }


def cap_counters(offer_id: str, sort_keys: Sequence[str]) -> list[dict[str, Any]]:
    """The named cap counters of an offer that exist (``caps.counter_sort_keys`` names them)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(sort_keys), 100):  # BatchGetItem takes 100 keys
        pending: dict[str, Any] = {
            stats_table(): {"Keys": [_cap_counter_key(offer_id, sk) for sk in sort_keys[start : start + 100]]}
        }
        while pending:
            response = client().batch_get_item(RequestItems=pending)
            found.extend(from_item(item) for item in response.get("Responses", {}).get(stats_table(), []))
            pending = response.get("UnprocessedKeys") or {}
    return found


_MAX_CONFLICT_RETRIES = 3


def insert_conversion(
    conversion: Mapping[str, Any],
    *,
    transaction_id: str,
    goal_id: str,
    suffix: str,
    offer_id: str,
    now: int,
    allow_multiple: bool,
    end_point: bool,
    unique_ids: Sequence[tuple[str, str]],
    fingerprint: str,
    retry_window_seconds: int,
    counters: Sequence[Counter] = (),
) -> InsertResult:
    """Record a conversion and update its session in one transaction.

    The session update is conditional on the session being live (exists, not expired,
    not closed) and, with multiple conversions off, on the goal not converted yet; an
    end-point goal closes the session in the same transaction, so no conversion can land
    after the close. Guard items make unique ids and retried postbacks idempotent. Cap
    counters are added to in the same transaction, each on condition it has room: two
    conversions racing for a cap's last slot cannot both commit.
    """
    key = conversion_key(transaction_id, goal_id, suffix)
    session_update = ["SET conv_count = if_not_exists(conv_count, :zero) + :one"]
    condition = [
        "attribute_exists(transaction_id)",
        "expires_at > :now",
        "attribute_not_exists(closed_at)",
    ]
    values: dict[str, Any] = {":zero": 0, ":one": 1, ":now": now}
    if end_point:
        session_update.append("closed_at = :now, closed_by_goal = :goal, closed_by_sk = :closing")
        values[":goal"] = goal_id
        values[":closing"] = key["sk"]["S"]
    if not allow_multiple:
        condition.append("NOT contains(converted_goals, :goal)")
        values[":goal"] = goal_id
        values[":goals"] = {goal_id}
    update_expression = ", ".join(session_update)
    if not allow_multiple:
        update_expression += " ADD converted_goals :goals"

    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": sessions_table(),
                "Key": {"transaction_id": {"S": transaction_id}},
                "UpdateExpression": update_expression,
                "ConditionExpression": " AND ".join(condition),
                "ExpressionAttributeValues": _values(values),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {
            "Put": {
                "TableName": conversions_table(),
                "Item": {**to_item({**conversion, **report_index_keys(conversion)}), **key},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]
    guard_target = {"conversion_pk": key["pk"], "conversion_sk": key["sk"], "kind": {"S": "guard"}}
    for field_name, value in unique_ids:
        items.append(
            {
                "Put": {
                    "TableName": conversions_table(),
                    "Item": {
                        "pk": {"S": f"UNIQUE#{offer_id}#{field_name}#{value}"},
                        "sk": {"S": "UNIQUE"},
                        **guard_target,
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        )
    if fingerprint:
        items.append(
            {
                "Put": {
                    "TableName": conversions_table(),
                    "Item": {
                        "pk": {"S": f"RETRY#{fingerprint}"},
                        "sk": {"S": "RETRY"},
                        "guard_expires_at": {"N": str(now + retry_window_seconds)},
                        **guard_target,
                    },
                    "ConditionExpression": "attribute_not_exists(pk) OR guard_expires_at < :now",
                    "ExpressionAttributeValues": {":now": {"N": str(now)}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        )

    items.extend(_cap_counter_update(offer_id, counter) for counter in counters)

    for attempt in range(_MAX_CONFLICT_RETRIES + 1):
        try:
            client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return Inserted()
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            result = _why_cancelled(reasons, items, key, goal_id, now)
            if result is not None:
                return result
            if attempt == _MAX_CONFLICT_RETRIES:
                raise
    raise AssertionError("unreachable")


def _why_cancelled(
    reasons: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
    key: dict[str, Any],
    goal_id: str,
    now: int,
) -> InsertResult | None:
    """Map a cancelled transaction to its cause; None means a conflict worth retrying."""
    codes = [r.get("Code", "None") for r in reasons]
    if "ConditionalCheckFailed" not in codes:
        return None  # TransactionConflict / throttling inside the transaction: retry
    session_reason = reasons[0]
    if session_reason.get("Code") == "ConditionalCheckFailed":
        old = session_reason.get("Item")
        if not old:
            return SessionRefused("unknown_transaction")
        session = _session_from(from_item(old))
        if session.is_closed:
            if session.closed_by_goal == goal_id:  # our own end point, applied by an earlier try
                return Duplicate(key=closing_conversion_key(session), code="duplicate")
            return SessionRefused("session_closed")
        if session.is_expired(now):
            return SessionRefused("session_expired")
        if goal_id in session.converted_goals:
            return Duplicate(key=key, code="duplicate")
    if codes[1] == "ConditionalCheckFailed":
        return Duplicate(key=key, code="duplicate")
    for reason, item in zip(reasons[2:], items[2:], strict=True):
        if reason.get("Code") != "ConditionalCheckFailed":
            continue
        if "Update" in item:  # a cap counter without room
            scope = item["Update"]["Key"]["sk"]["S"].partition("#")[0]
            return CapReached(refusal_code(scope))
        old = reason.get("Item") or {}
        target = {"pk": old.get("conversion_pk"), "sk": old.get("conversion_sk")}
        code: Literal["duplicate_unique_id", "duplicate_retry"] = (
            "duplicate_retry" if item["Put"]["Item"]["sk"]["S"] == "RETRY" else "duplicate_unique_id"
        )
        return Duplicate(key=target, code=code)
    return None


def note_duplicate(key: Mapping[str, Any], now_iso: str) -> dict[str, Any] | None:
    """Count a repeat on the conversion it repeats (no new row, so retry storms stay flat)."""
    try:
        response = client().update_item(
            TableName=conversions_table(),
            Key=dict(key),
            UpdateExpression="ADD duplicate_count :one SET last_duplicate_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=_values({":one": 1, ":now": now_iso}),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return from_item(response["Attributes"])


REJECTIONS_PER_SESSION = 20


def insert_rejection(conversion: Mapping[str, Any], *, transaction_id: str, suffix: str) -> bool:
    """Store a rejected conversion for a real session, at most REJECTIONS_PER_SESSION of them."""
    goal_id = str(conversion.get("goal_id") or "-")
    key = {"pk": {"S": f"TX#{transaction_id}"}, "sk": {"S": f"REJECTED#{goal_id}#{suffix}"}}
    try:
        client().transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": sessions_table(),
                        "Key": {"transaction_id": {"S": transaction_id}},
                        "UpdateExpression": (
                            "SET rejected_count = if_not_exists(rejected_count, :zero) + :one"
                        ),
                        "ConditionExpression": "attribute_exists(transaction_id) AND "
                        "(attribute_not_exists(rejected_count) OR rejected_count < :limit)",
                        "ExpressionAttributeValues": _values(
                            {":zero": 0, ":one": 1, ":limit": REJECTIONS_PER_SESSION}
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": conversions_table(),
                        "Item": {**to_item({**conversion, **report_index_keys(conversion)}), **key},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            return False
        raise
    return True


def find_by_unique_id(offer_id: str, field_name: str, value: str) -> dict[str, Any] | None:
    """The conversion a unique id points to (through its guard item)."""
    guard = (
        client()
        .get_item(
            TableName=conversions_table(),
            Key={"pk": {"S": f"UNIQUE#{offer_id}#{field_name}#{value}"}, "sk": {"S": "UNIQUE"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    if not guard:
        return None
    item = (
        client()
        .get_item(
            TableName=conversions_table(),
            Key={"pk": guard["conversion_pk"], "sk": guard["conversion_sk"]},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return from_item(item) if item else None


def conversions_with_order_id(transaction_id: str, order_id: str) -> list[dict[str, Any]]:
    """A session's recorded conversions (never its refusals) whose adv_sub is this order id."""
    return _all_pages(
        {
            "TableName": conversions_table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :conv)",
            "FilterExpression": "adv_subs.adv_sub = :order",
            "ExpressionAttributeValues": _values(
                {":pk": f"TX#{transaction_id}", ":conv": "CONV#", ":order": order_id}
            ),
            "ConsistentRead": True,
        }
    )


def adjust_conversion_status(
    conversion: Mapping[str, Any],
    *,
    new_status: str,
    reason: str,
    at: str,
    via: str,
    clawback: bool,
    actor: str = "advertiser",
    amounts: Mapping[str, Any] | None = None,
    audited: bool = False,
) -> bool:
    """Adjust a conversion (status and/or amounts) with an adjustment record; False if it changed meanwhile.

    The adjustment (who, when, why, before, after) is appended to the conversion; with
    ``audited`` it is also written to the audit trail, in the same transaction. With
    ``clawback`` (leaving approved), a clawback item reverses payout and revenue in the
    same transaction: money history is appended to, never rewritten.
    """
    key = {"pk": {"S": str(conversion["pk"])}, "sk": {"S": str(conversion["sk"])}}
    amounts = dict(amounts or {})
    before = {"status": conversion["status"], **{k: conversion.get(k) for k in amounts}}
    after = {"status": new_status, **amounts}
    adjustment = {
        "at": at,
        "from": conversion["status"],
        "to": new_status,
        "reason": reason,
        "via": via,
        "by": actor,
        "before": before,
        "after": after,
    }
    sets = [
        "#s = :new",
        "status_code = :code",
        "adjustments = list_append(if_not_exists(adjustments, :empty), :adj)",
    ]
    # Only a recorded conversion (CONV#) changes status: a stored refusal stays refused.
    conditions = ["begins_with(sk, :conv)", "#s = :old"]
    names = {"#s": "status"}
    values: dict[str, Any] = {
        ":conv": "CONV#",
        ":new": new_status,
        ":old": conversion["status"],
        ":code": f"adjusted_{via}",
        ":empty": [],
        ":adj": [adjustment],
    }
    for n, (field_name, value) in enumerate(sorted(amounts.items())):
        names[f"#a{n}"] = field_name
        values[f":a{n}"] = value
        sets.append(f"#a{n} = :a{n}")
        if conversion.get(field_name) is None:
            conditions.append(f"attribute_not_exists(#a{n})")
        else:
            values[f":b{n}"] = conversion[field_name]
            conditions.append(f"#a{n} = :b{n}")
    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": conversions_table(),
                "Key": key,
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": _values(values),
            }
        }
    ]
    if audited:
        conversion_id = str(conversion["conversion_id"])
        items.append(
            _audit_put(
                "conversion",
                conversion_id,
                "",
                Audit(actor=actor, at=at, action="adjust", before=before, after={**after, "note": reason}),
            )
        )
    if clawback:
        conversion_id = str(conversion["conversion_id"])
        record = {
            "kind": "clawback",
            "conversion_id": f"{conversion_id}-C{at}",
            "reverses": conversion_id,
            "offer_id": conversion["offer_id"],
            "goal_id": conversion["goal_id"],
            "goal_name": conversion.get("goal_name", ""),
            "partner_id": conversion["partner_id"],
            "advertiser_id": conversion.get("advertiser_id", ""),
            "transaction_id": conversion["transaction_id"],
            "status": "approved",
            "status_code": "clawback",
            "transition": approval_transitions(conversion)[1] + 1,  # which reversal this is
            "payout": -conversion.get("payout", 0),
            "revenue": -conversion.get("revenue", 0),
            "currency": conversion.get("currency", ""),
            "created_at": at,
            "note": reason,
        }
        items.append(
            {
                "Put": {
                    "TableName": conversions_table(),
                    "Item": to_item(
                        {
                            **record,
                            **report_index_keys(record),
                            "pk": conversion["pk"],
                            "sk": f"CLAWBACK#{conversion['goal_id']}#{at}",
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
    try:
        client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            return False
        raise
    return True


def count_goal_click(*, transaction_id: str, offer_id: str, goal_id: str, partner_id: str, at: str) -> None:
    """One item per (session, goal) counting visits of the goal's page: one write, no growth."""
    client().update_item(
        TableName=conversions_table(),
        Key={"pk": {"S": f"TX#{transaction_id}"}, "sk": {"S": f"GOALCLICK#{goal_id}"}},
        UpdateExpression="SET kind = :kind, offer_id = :offer, goal_id = :goal, partner_id = :partner, "
        "transaction_id = :tx, first_at = if_not_exists(first_at, :at), last_at = :at ADD clicks :one",
        ExpressionAttributeValues=_values(
            {
                ":kind": "goal_click",
                ":offer": offer_id,
                ":goal": goal_id,
                ":partner": partner_id,
                ":tx": transaction_id,
                ":at": at,
                ":one": 1,
            }
        ),
    )


# ------------------------------------------------------------------ partner postback deliveries


def _delivery_key(offer_id: str, delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"DELIVERY#{offer_id}"}, "sk": {"S": delivery_id}}


def record_delivery(delivery: Mapping[str, Any], at: str) -> bool:
    """Record a planned delivery before it is queued; False when it was recorded before."""
    item = {
        **delivery,
        "pk": f"DELIVERY#{delivery['offer_id']}",
        "sk": delivery["delivery_id"],
        "kind": "delivery",
        "status": "queued",
        "attempts": 0,
        "created_at": at,
    }
    try:
        client().put_item(
            TableName=conversions_table(), Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


DeliveryStart = Literal["go", "delivered", "busy"]


def begin_delivery(offer_id: str, delivery_id: str, at: str, lease_from: str) -> DeliveryStart:
    """Count an attempt and take the delivery's lease, unless it was delivered or is being sent.

    A queue may hand the same message out twice at once; the lease (an attempt that started
    after ``lease_from`` is still running) keeps the partner from getting two requests.
    """
    try:
        client().update_item(
            TableName=conversions_table(),
            Key=_delivery_key(offer_id, delivery_id),
            UpdateExpression="SET #s = :sending, last_attempt_at = :at ADD attempts :one",
            ConditionExpression="attribute_exists(pk) AND #s <> :delivered "
            "AND (#s <> :sending OR last_attempt_at < :lease)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=_values(
                {":sending": "sending", ":delivered": "delivered", ":at": at, ":one": 1, ":lease": lease_from}
            ),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            old = from_item(dict(error.response.get("Item") or {}))  # type: ignore[call-overload]
            return "delivered" if old.get("status") == "delivered" else "busy"
        raise
    return "go"


def finish_delivery(
    offer_id: str, delivery_id: str, status: str, response_code: int, error: str, at: str
) -> None:
    client().update_item(
        TableName=conversions_table(),
        Key=_delivery_key(offer_id, delivery_id),
        UpdateExpression="SET #s = :status, response_code = :code, last_error = :error, finished_at = :at",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=_values(
            {":status": status, ":code": response_code, ":error": error, ":at": at}
        ),
    )


def list_deliveries(offer_id: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    query = {
        "TableName": conversions_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"DELIVERY#{offer_id}"}},
    }
    return _query_page(query, limit, cursor)


def get_delivery(offer_id: str, delivery_id: str) -> dict[str, Any] | None:
    item = (
        client()
        .get_item(
            TableName=conversions_table(), Key=_delivery_key(offer_id, delivery_id), ConsistentRead=True
        )
        .get("Item")
    )
    return from_item(item) if item else None


def count_impression(*, offer_id: str, partner_id: str, hour: str, shard: int) -> None:
    """Hourly impression counter for (offer, partner); shards are summed when reading."""
    client().update_item(
        TableName=conversions_table(),
        Key={"pk": {"S": f"IMPRESSIONS#{offer_id}#{hour}#{shard}"}, "sk": {"S": f"PARTNER#{partner_id}"}},
        UpdateExpression="SET kind = :kind, offer_id = :offer, partner_id = :partner, #hour = :hour "
        "ADD impressions :one",
        ExpressionAttributeNames={"#hour": "hour"},
        ExpressionAttributeValues=_values(
            {":kind": "impressions", ":offer": offer_id, ":partner": partner_id, ":hour": hour, ":one": 1}
        ),
    )


def impressions(offer_id: str, partner_id: str, hour: str, shards: int) -> int:
    total = 0
    for shard in range(shards):
        item = (
            client()
            .get_item(
                TableName=conversions_table(),
                Key={
                    "pk": {"S": f"IMPRESSIONS#{offer_id}#{hour}#{shard}"},
                    "sk": {"S": f"PARTNER#{partner_id}"},
                },
                ConsistentRead=True,
            )
            .get("Item")
        )
        total += int(item["impressions"]["N"]) if item else 0
    return total


def offer_conversions_with_status(
    offer_id: str, status: str, *, limit: int, cursor: Mapping[str, Any] | None = None
) -> Page:
    """An offer's conversions in one status (pending for approval), newest first (index + filter)."""
    query = {
        "TableName": conversions_table(),
        "IndexName": "by_offer_time",
        "KeyConditionExpression": "offer_key = :o",
        "FilterExpression": "#s = :status AND kind = :kind",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {
            ":o": {"S": f"OFFER#{offer_id}"},
            ":status": {"S": status},
            ":kind": {"S": "conversion"},
        },
        "ScanIndexForward": False,
    }
    return _query_page(query, limit, cursor)


def get_conversion(conversion_id: str) -> dict[str, Any] | None:
    key = key_of_conversion_id(conversion_id)
    if key is None:
        return None
    item = client().get_item(TableName=conversions_table(), Key=key, ConsistentRead=True).get("Item")
    return from_item(item) if item else None


def session_conversions(transaction_id: str) -> list[dict[str, Any]]:
    """Every conversion and rejection recorded for one session."""
    response = client().query(
        TableName=conversions_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TX#{transaction_id}"}},
        ConsistentRead=True,
    )
    return [from_item(i) for i in response.get("Items", [])]


def offer_conversions(offer_id: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """An offer's conversions, newest first, through the by_offer_time index (no scan)."""
    query = {
        "TableName": conversions_table(),
        "IndexName": "by_offer_time",
        "KeyConditionExpression": "offer_key = :o",
        "ExpressionAttributeValues": {":o": {"S": f"OFFER#{offer_id}"}},
        "ScanIndexForward": False,
    }
    return _query_page(query, limit, cursor)


# ------------------------------------------------------------------ config (reads)


def load_offer_bundle(offer_id: str) -> OfferBundle | None:
    """The offer, its goals and custom partner payouts in one query (one partition)."""
    kwargs: dict[str, Any] = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"OFFER#{offer_id}"}},
    }
    offer: Offer | None = None
    goals: dict[str, Goal] = {}
    payouts: dict[tuple[str, str], Rate] = {}
    pixels: list[dict[str, Any]] = []
    while True:
        response = client().query(**kwargs)
        for raw in response.get("Items", []):
            data = from_item(raw)
            sk: str = data["sk"]
            if sk == "OFFER":
                offer = Offer.from_dict(data["doc"])
            elif sk.startswith("GOAL#"):
                goal = Goal.from_dict(data["doc"])
                goals[goal.goal_id] = goal
            elif sk.startswith("PAYOUT#"):
                _, partner_id, goal_id = sk.split("#", 2)
                payouts[(partner_id, goal_id)] = Rate.from_dict(data["doc"]["payout"])
            elif sk.startswith("PIXEL#"):
                pixels.append(data["doc"])
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    if offer is None:
        return None
    return OfferBundle(offer=offer, goals=goals, custom_payouts=payouts, pixels=tuple(pixels))


def _get_doc(pk: str, sk: str) -> dict[str, Any] | None:
    item = client().get_item(TableName=config_table(), Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")
    if not item:
        return None
    doc: dict[str, Any] = as_written(from_item(item)["doc"])
    return doc


def get_partner(partner_id: str) -> Partner | None:
    doc = _get_doc(f"PARTNER#{partner_id}", "PROFILE")
    return Partner.from_dict(doc) if doc else None


def get_advertiser(advertiser_id: str) -> Advertiser | None:
    doc = _get_doc(f"ADV#{advertiser_id}", "PROFILE")
    return Advertiser.from_dict(doc) if doc else None


def get_goal_offer(goal_id: str) -> str | None:
    """Which offer owns a goal id (goal ids are network-wide, as in TUNE)."""
    doc = _get_doc(f"GOAL#{goal_id}", "OFFER")
    return str(doc["offer_id"]) if doc else None


def get_network_settings() -> NetworkSettings:
    return NetworkSettings.from_dict(_get_doc("NETWORK", "SETTINGS"))


def get_payout_structures(structure_ids: Iterable[str]) -> list[PayoutStructure]:
    found: list[PayoutStructure] = []
    for structure_id in structure_ids:
        doc = _get_doc(f"STRUCTURE#{structure_id}", "PROFILE")
        if doc:
            found.append(PayoutStructure.from_dict(doc))
    return found


# ------------------------------------------------------------------ config (admin writes)

_PK_PREFIX: dict[str, str] = {
    "advertiser": "ADV#",
    "partner": "PARTNER#",
    "offer": "OFFER#",
    "structure": "STRUCTURE#",
    "tier": "TIER#",
}


def next_id(kind: str) -> str:
    """Numeric ids, as networks coming from TUNE expect (offer_id=12, goal_id=7)."""
    response = client().update_item(
        TableName=config_table(),
        Key={"pk": {"S": "COUNTER"}, "sk": {"S": kind}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return str(int(response["Attributes"]["n"]["N"]))


def entity_key(kind: str, entity_id: str, parent_offer_id: str = "") -> tuple[str, str]:
    """Where each kind of configuration lives (offer-scoped kinds share the offer's partition)."""
    if kind == "goal":
        return f"OFFER#{parent_offer_id}", f"GOAL#{entity_id}"
    if kind == "offer":
        return f"OFFER#{entity_id}", "OFFER"
    if kind == "custom_payout":
        return f"OFFER#{parent_offer_id}", f"PAYOUT#{entity_id}"
    if kind == "partner_pixel":
        return f"OFFER#{parent_offer_id}", f"PIXEL#{entity_id}"
    if kind == "network":
        return "NETWORK", "SETTINGS"
    return f"{_PK_PREFIX[kind]}{entity_id}", "PROFILE"


class Audit(NamedTuple):
    """Who changed what, when, with the document before and after (None when created)."""

    actor: str
    at: str
    action: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


SECRET_FIELDS = frozenset({"postback_secret", "api_key_sha256", "security_token", "security_token_sha256"})
"""Never written into the audit trail: a change shows as changed, its value as redacted."""
REDACTED = "[redacted]"


def _redacted(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {k: (REDACTED if k in SECRET_FIELDS and v else v) for k, v in doc.items()}


def _audit_put(kind: str, entity_id: str, parent_offer_id: str, audit: Audit) -> dict[str, Any]:
    subject = f"{parent_offer_id}/{entity_id}" if parent_offer_id else entity_id
    before, after = dict(audit.before or {}), dict(audit.after or {})
    changed = sorted(
        k for k in before.keys() | after.keys() if before.get(k) != after.get(k) and k != "version"
    )
    doc = {
        "kind": kind,
        "id": subject,
        "actor": audit.actor,
        "at": audit.at,
        "action": audit.action,
        "changed": changed,
        "before": _redacted(audit.before),
        "after": _redacted(audit.after),
    }
    return {
        "Put": {
            "TableName": config_table(),
            "Item": to_item(
                {
                    "pk": f"AUDIT#{kind}#{subject}",
                    "sk": f"{audit.at}#{secrets.token_hex(4)}",
                    "kind": "audit",
                    "doc": doc,
                }
            ),
        }
    }


def save_entity(
    kind: str,
    entity_id: str,
    doc: Mapping[str, Any],
    *,
    audit: Audit,
    parent_offer_id: str = "",
    expected_version: int | None = None,
    extra_items: Sequence[dict[str, Any]] = (),
) -> bool:
    """Create (no expected version) or replace at the expected version, with its audit record.

    Both go in one transaction: a change without its audit entry never happens. Returns
    False when the expected version was not the stored one (another admin saved first).
    """
    pk, sk = entity_key(kind, entity_id, parent_offer_id)
    version = 1 if expected_version is None else expected_version + 1
    stored_doc = {**doc, "version": version}
    put: dict[str, Any] = {
        "TableName": config_table(),
        "Item": to_item({"pk": pk, "sk": sk, "kind": kind, "version": version, "doc": stored_doc}),
    }
    if expected_version is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
    audit = audit._replace(after=stored_doc)
    items = [{"Put": put}, _audit_put(kind, entity_id, parent_offer_id, audit), *extra_items]
    try:
        client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            for reason, item in zip(reasons, items, strict=False):
                pk = str(item.get("Put", {}).get("Item", {}).get("pk", {}).get("S", ""))
                if reason.get("Code") == "ConditionalCheckFailed" and pk.startswith("IDEMPOTENCY#"):
                    raise AlreadyCreated(from_item(reason.get("Item") or {})) from None
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
        raise
    return True


IDEMPOTENCY_SECONDS = 86400
"""How long a create's Idempotency-Key is remembered (retries come within minutes)."""


class AlreadyCreated(Exception):
    """A create whose Idempotency-Key was used before: the guard names what that request made."""

    def __init__(self, guard: Mapping[str, Any]) -> None:
        super().__init__("idempotency key used before")
        self.guard = dict(guard)


def idempotency_item(
    key_hash: str, request_hash: str, kind: str, entity_id: str, parent_offer_id: str, now: int
) -> dict[str, Any]:
    """The guard a create writes in its own transaction: a second create with the key fails."""
    return {
        "Put": {
            "TableName": config_table(),
            "Item": to_item(
                {
                    "pk": f"IDEMPOTENCY#{key_hash}",
                    "sk": "IDEMPOTENCY",
                    "request_hash": request_hash,
                    "entity_kind": kind,
                    "entity_id": entity_id,
                    "parent_offer_id": parent_offer_id,
                    "expires_at": now + IDEMPOTENCY_SECONDS,
                }
            ),
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def delete_entity(kind: str, entity_id: str, *, audit: Audit, parent_offer_id: str = "") -> None:
    """Only for configuration nothing refers to (partner pixels, custom payouts)."""
    pk, sk = entity_key(kind, entity_id, parent_offer_id)
    client().transact_write_items(
        TransactItems=[
            {"Delete": {"TableName": config_table(), "Key": {"pk": {"S": pk}, "sk": {"S": sk}}}},
            _audit_put(kind, entity_id, parent_offer_id, audit),  # type: ignore[list-item]
        ]
    )


def index_item(pk: str, sk: str, kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A lookup item (goal id -> offer, API key hash -> partner) written with its entity."""
    return {
        "Put": {"TableName": config_table(), "Item": to_item({"pk": pk, "sk": sk, "kind": kind, "doc": doc})}
    }


def delete_item(pk: str, sk: str) -> dict[str, Any]:
    return {"Delete": {"TableName": config_table(), "Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}


def get_entity(kind: str, entity_id: str, parent_offer_id: str = "") -> dict[str, Any] | None:
    pk, sk = entity_key(kind, entity_id, parent_offer_id)
    return _get_doc(pk, sk)


def list_entities(kind: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    query = {
        "TableName": config_table(),
        "IndexName": "by_kind",
        "KeyConditionExpression": "kind = :k",
        "ExpressionAttributeValues": {":k": {"S": kind}},
    }
    return _query_page(query, limit, cursor, docs=True)


def offer_items_page(
    offer_id: str, prefix: str, *, limit: int, cursor: Mapping[str, Any] | None = None
) -> Page:
    """One page of an offer's documents of one kind (goals, payouts, pixels)."""
    query = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"OFFER#{offer_id}"}, ":prefix": {"S": prefix}},
    }
    return _query_page(query, limit, cursor, docs=True)


def offer_items(offer_id: str, prefix: str) -> list[dict[str, Any]]:
    """Documents of one kind in an offer's partition (goals, payouts, pixels), admin side."""
    query = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"OFFER#{offer_id}"}, ":prefix": {"S": prefix}},
    }
    return [as_written(item["doc"]) for item in _all_pages(query)]


def audit_trail(kind: str, subject: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """An entity's changes, newest first."""
    query = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"AUDIT#{kind}#{subject}"}},
        "ScanIndexForward": False,
    }
    return _query_page(query, limit, cursor, docs=True)


def api_key_digest(api_key: str) -> str:
    """Partner API keys are stored only as their SHA-256."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def api_key_item(digest: str, partner_id: str) -> dict[str, Any]:
    """The lookup item of a partner's key, written with the partner."""
    return index_item(f"APIKEY#{digest}", "PARTNER", "api_key", {"partner_id": partner_id})


def retired_api_key_item(digest: str) -> dict[str, Any]:
    return delete_item(f"APIKEY#{digest}", "PARTNER")


def partner_for_api_key(api_key: str) -> str | None:
    """The partner a key belongs to now (None for an unknown, rotated or empty key)."""
    if not api_key:
        return None
    doc = _get_doc(f"APIKEY#{api_key_digest(api_key)}", "PARTNER")
    return str(doc["partner_id"]) if doc else None


# ------------------------------------------------------------------ conversion report


class ReportQuery(NamedTuple):
    """A conversion report request: a time range (UTC ISO instants, [start, end)) and filters."""

    start: str
    end: str
    days: tuple[str, ...]
    """The UTC days the range touches, oldest first (the day index is read one day at a time)."""
    offer_id: str = ""
    partner_id: str = ""
    goal_id: str = ""
    advertiser_id: str = ""
    statuses: tuple[str, ...] = ()
    public_only: bool = False
    """Leave out conversions of private goals (the partner's view)."""


def _report_filter(query: ReportQuery, used: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The filter expression for what the chosen index does not already narrow."""
    parts = ["kind = :kind"]
    values: dict[str, Any] = {":kind": "conversion"}
    names: dict[str, str] = {}
    for field_name, value in (
        ("offer_id", query.offer_id),
        ("partner_id", query.partner_id),
        ("goal_id", query.goal_id),
        ("advertiser_id", query.advertiser_id),
    ):
        if value and field_name != used:
            parts.append(f"{field_name} = :{field_name}")
            values[f":{field_name}"] = value
    if query.statuses:
        names["#s"] = "status"
        options = []
        for n, status in enumerate(query.statuses):
            options.append(f":s{n}")
            values[f":s{n}"] = status
        parts.append(f"#s IN ({', '.join(options)})")
    if query.public_only:
        parts.append("(attribute_not_exists(#private) OR #private = :false)")
        names["#private"] = "private"
        values[":false"] = False
    return " AND ".join(parts), values, names


def conversion_report(query: ReportQuery, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """Conversions in a time range, newest first, through an index (never a scan).

    Partner given: by_partner_time; else offer given: by_offer_time; else by_day_time, one
    UTC day after the other. Other filters are filter expressions on those few items.
    """
    if query.offer_id or query.partner_id:
        index, used, key_name, key_value = (
            ("by_partner_time", "partner_id", "partner_key", f"PARTNER#{query.partner_id}")
            if query.partner_id
            else ("by_offer_time", "offer_id", "offer_key", f"OFFER#{query.offer_id}")
        )
        return _report_page(query, index, used, key_name, key_value, limit, cursor)
    days = list(reversed(query.days))
    if cursor and "next_day" in cursor:
        days = days[days.index(str(cursor["next_day"])) :] if str(cursor["next_day"]) in days else []
        cursor = None
    elif cursor and "day_key" in cursor:
        day = str(cursor["day_key"]).removeprefix("DAY#")
        days = days[days.index(day) :] if day in days else []
    items: list[dict[str, Any]] = []
    for position, day in enumerate(days):
        page_items, last = _report_page(
            query, "by_day_time", "", "day_key", f"DAY#{day}", limit - len(items), cursor
        )
        cursor = None
        items.extend(page_items)
        if last is not None:
            return items, last
        if len(items) >= limit:
            rest = days[position + 1 :]
            return items, ({"next_day": rest[0]} if rest else None)
    return items, None


def _report_page(
    query: ReportQuery,
    index: str,
    used: str,
    key_name: str,
    key_value: str,
    limit: int,
    cursor: Mapping[str, Any] | None,
) -> Page:
    expression, values, names = _report_filter(query, used)
    kwargs: dict[str, Any] = {
        "TableName": conversions_table(),
        "IndexName": index,
        "KeyConditionExpression": f"{key_name} = :key AND created_key BETWEEN :start AND :end",
        "FilterExpression": expression,
        "ExpressionAttributeValues": _values(
            {**values, ":key": key_value, ":start": query.start, ":end": query.end}
        ),
        "ScanIndexForward": False,
    }
    if names:
        kwargs["ExpressionAttributeNames"] = names
    # A filter may leave a page short: read on until the page is full or the range ends.
    items: list[dict[str, Any]] = []
    while True:
        page_items, last = _query_page(kwargs, limit - len(items), cursor)
        items.extend(page_items)
        if last is None or len(items) >= limit:
            return items, last
        cursor = last


# ------------------------------------------------------------------ stats

STATS_SHARDS = 4
"""Cells of a UTC day spread over this many partitions (by offer and partner), so a busy
network's current day is not one hot partition; reading a day is one query per shard."""

STATS_MARKER_SECONDS = 3 * 86400
"""How long a batch marker is kept: longer than a stream record can live (24 hours)."""

_MAX_TRANSACTION_CONFLICTS = 5


def _cell_key(cell: "Cell") -> dict[str, Any]:
    shard = zlib.crc32(f"{cell.offer_id}#{cell.partner_id}".encode()) % STATS_SHARDS
    return {
        "pk": {"S": f"CELLS#{cell.hour[:10]}#{shard}"},
        "sk": {"S": f"{cell.offer_id}#{cell.hour[11:13]}#{cell.partner_id}#{cell.goal_id or '-'}"},
    }


def apply_stats(group: "Group", now: int) -> str | None:
    """Add a group's deltas to its cells, with the group's marker, in one transaction.

    One UpdateItem per cell (ADD, so concurrent shards never lose counts) and a marker named
    after the group's first stream record: if the marker exists, this group was applied
    before (a retried batch) and nothing is added; the stored last record id is returned so
    the caller skips exactly what was applied. None means applied now.
    """
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": stats_table(),
                "Item": to_item(
                    {
                        "pk": f"APPLIED#{group.first_event}",
                        "sk": "APPLIED",
                        "last_event": group.last_event,
                        "records": group.size,
                        "expires_at": now + STATS_MARKER_SECONDS,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    for cell, delta in group.cells.items():
        names = {"#offer": "offer_id", "#partner": "partner_id", "#goal": "goal_id", "#hour": "hour"}
        values: dict[str, Any] = {
            ":offer": cell.offer_id,
            ":partner": cell.partner_id,
            ":goal": cell.goal_id,
            ":hour": cell.hour,
            ":pday": f"{cell.partner_id}#{cell.hour[:10]}",
        }
        sets = [
            "#offer = :offer",
            "#partner = :partner",
            "#goal = :goal",
            "#hour = :hour",
            "partner_day = :pday",
        ]
        if delta.advertiser_id:
            sets.append("advertiser_id = :adv")
            values[":adv"] = delta.advertiser_id
        if delta.currency:
            sets.append("currency = :currency")
            values[":currency"] = delta.currency
        if delta.private:
            names["#private"] = "private"
            sets.append("#private = :private")
            values[":private"] = True
        adds = []
        for n, (name, amount) in enumerate(sorted(delta.counters.items())):
            names[f"#c{n}"] = name
            values[f":c{n}"] = amount
            adds.append(f"#c{n} :c{n}")
        if not adds:
            continue
        items.append(
            {
                "Update": {
                    "TableName": stats_table(),
                    "Key": _cell_key(cell),
                    "UpdateExpression": f"SET {', '.join(sets)} ADD {', '.join(adds)}",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": _values(values),
                }
            }
        )
    if len(items) == 1:
        return None  # nothing to add: no marker needed either
    for attempt in range(_MAX_TRANSACTION_CONFLICTS + 1):
        try:
            client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return None
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                old = from_item(reasons[0].get("Item") or {})
                return str(old.get("last_event", group.last_event))
            if attempt == _MAX_TRANSACTION_CONFLICTS:
                raise
            time.sleep(0.05 * 2**attempt)  # another shard's batch touched the same cell
    raise AssertionError("unreachable")


STATS_READERS = 8
"""Queries of a stats range run this many at a time (93 days x 4 shards would be slow in a row)."""


def _all_queries(queries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    client()  # create the shared client before the threads use it
    with ThreadPoolExecutor(max_workers=STATS_READERS) as pool:
        # each query runs in a copy of the caller's context (what it logs, who it acts as)
        futures = [pool.submit(contextvars.copy_context().run, _all_pages, query) for query in queries]
        return [item for future in futures for item in future.result()]


def stats_cells(days: Sequence[str], *, offer_id: str = "") -> list[dict[str, Any]]:
    """The cells of some UTC days (of one offer, when given): one query per day and shard."""
    queries = []
    for day in days:
        for shard in range(STATS_SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": stats_table(),
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"CELLS#{day}#{shard}"}},
            }
            if offer_id:
                kwargs["KeyConditionExpression"] += " AND begins_with(sk, :offer)"
                kwargs["ExpressionAttributeValues"][":offer"] = {"S": f"{offer_id}#"}
            queries.append(kwargs)
    return _all_queries(queries)


def partner_stats_cells(partner_id: str, days: Sequence[str]) -> list[dict[str, Any]]:
    """A partner's cells of some UTC days, through the by_partner_day index (a query per day)."""
    return _all_queries(
        [
            {
                "TableName": stats_table(),
                "IndexName": "by_partner_day",
                "KeyConditionExpression": "partner_day = :pd",
                "ExpressionAttributeValues": {":pd": {"S": f"{partner_id}#{day}"}},
            }
            for day in days
        ]
    )
