"""Conversions table, the money path: conversions, refusals, guards, status adjustments."""

import secrets
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

from botocore.exceptions import ClientError

from goalpost.model.caps import CapCode, Counter, refusal_code
from goalpost.model.conversion import TEST, Adjustment, Conversion
from goalpost.model.ids import CLAWBACK_MARK, REFUSAL_MARK
from goalpost.model.session import Session
from goalpost.store.counter_store import cap_counter_update
from goalpost.store.dynamo import (
    all_pages,
    as_written,
    attribute_values,
    client,
    conversions_table,
    from_item,
    sessions_table,
    stats_table,
    to_item,
)
from goalpost.store.session_store import session_from

STORAGE_FIELDS = (
    "pk", "sk", "kind", "day_key", "partner_key", "offer_key", "created_key", "pending_key", "review_key",
    "write_token", "projected_version", "failing_sharded",
)  # fmt: skip
"""Attributes of a stored conversion that are keys of the table and its indexes, or how it was
written, not facts (``partner_key``/``offer_key``: the report indexes of before the report
projection, still on items written then; ``projected_version``: a projection item's, below;
``failing_sharded``: a delivery record's, delivery_store.SHARDED)."""


def without_storage_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    return as_written({k: v for k, v in item.items() if k not in STORAGE_FIELDS})


REPORT_SHARDS = 10
"""How many partitions each report key is written across (README, "Capacity"): a record goes to
one of them, chosen from its id, so at 5,000 records a second, all of one partner or one offer
included, no partition takes more than 500 writes a second (DynamoDB allows 1,000).
Reports read every shard and merge them in time order. Changing it moves where new records are
written: records keep the shard they were written to, so raise it only with a backfill."""


def report_shard(record_id: str) -> int:
    """The shard of a record: a CRC-32 of its id (deterministic, spread evenly: ids are random)."""
    return zlib.crc32(record_id.encode()) % REPORT_SHARDS


def day_partitions(day: str) -> list[str]:
    """The by_day_time partitions of one UTC day (the whole network's records)."""
    return [f"DAY#{day}#{shard}" for shard in range(REPORT_SHARDS)]


def partner_partitions(partner_id: str) -> list[str]:
    """The report projection's partitions of one partner (its records of every day): the
    stats table's ``pk``, sorted by ``sk`` = the record's ``created_key`` (report_store)."""
    return [f"REPORT#PARTNER#{partner_id}#{shard}" for shard in range(REPORT_SHARDS)]


def pending_partitions(offer_id: str) -> list[str]:
    """The by_offer_pending partitions of one offer (its conversions awaiting approval)."""
    return [f"PENDING#{offer_id}#{shard}" for shard in range(REPORT_SHARDS)]


def review_partitions() -> list[str]:
    """The by_review partitions: the network's conversions awaiting approval, every offer's."""
    return [f"REVIEW#{shard}" for shard in range(REPORT_SHARDS)]


def offer_partitions(offer_id: str) -> list[str]:
    """The report projection's partitions of one offer (its records of every day), as the
    partner's."""
    return [f"REPORT#OFFER#{offer_id}#{shard}" for shard in range(REPORT_SHARDS)]


def report_index_keys(record: Conversion) -> dict[str, str]:
    """Where a record sits in the conversions table's report indexes, each sorted by
    ``created_key`` (time, then id): the network's day (by_day_time), in the shard its id
    picks; a conversion awaiting approval also by its offer (by_offer_pending) and in the
    network's review queue (by_review), both sparse: a conversion that is not pending writes
    neither. One index write per approved record on the hot path (a new conversion: its PutItem
    + 1 = 2 WCU); the one-partner and one-offer reports read the report projection that the
    conversions stream's consumer keeps (report_store.project_record), off the hot path."""
    created = record.created_at
    shard = report_shard(record.conversion_id)
    keys = {
        "day_key": day_partitions(created[:10])[shard],
        "created_key": f"{created}#{record.conversion_id}",
    }
    if not record.is_clawback and record.status == "pending":
        keys["pending_key"] = pending_key(record.offer_id, record.conversion_id)
        keys["review_key"] = review_partitions()[shard]
    return keys


def report_version(item: Mapping[str, Any]) -> int:
    """How many times a stored record has changed since it was written: every change this
    module makes to one adds exactly one (an adjustment appends to ``adjustments``, a repeat
    adds to ``duplicate_count``; refusals and clawbacks never change). The report projection
    keeps the copy with the highest, so a stream record delivered again, or late, never
    overwrites a newer one. A new way of changing a record must add to one of them."""
    return len(item.get("adjustments") or ()) + int(item.get("duplicate_count") or 0)


def _stored(record: Conversion, key: Mapping[str, Any]) -> dict[str, Any]:
    """The item of a conversion, refusal or clawback: its document, index keys and table key."""
    return {**to_item({**record.to_dict(), **report_index_keys(record)}), **key}


def stored_key(conversion: Conversion) -> dict[str, Any]:
    """Where a recorded conversion or a stored refusal lives (its id names the place)."""
    transaction_id, _, rest = conversion.conversion_id.partition("-")
    if rest.startswith(REFUSAL_MARK):
        sk = f"REJECTED#{conversion.goal_id or '-'}#{rest.removeprefix(REFUSAL_MARK)}"
        return {"pk": {"S": f"TX#{transaction_id}"}, "sk": {"S": sk}}
    key = key_of_conversion_id(conversion.conversion_id)
    if key is None:
        raise ValueError(f"{conversion.conversion_id!r} is no conversion id")
    return key


def pending_key(offer_id: str, conversion_id: str) -> str:
    """A conversion's place in the approvals index: its offer's, in the shard of its id."""
    return pending_partitions(offer_id)[report_shard(conversion_id)]


def conversion_key(transaction_id: str, goal_id: str, suffix: str = "") -> dict[str, Any]:
    sk = f"CONV#{goal_id}#{suffix}" if suffix else f"CONV#{goal_id}"
    return {"pk": {"S": f"TX#{transaction_id}"}, "sk": {"S": sk}}


def closing_conversion_key(session: Session) -> dict[str, Any]:
    """The conversion of the end-point goal that closed a session."""
    if session.closed_by_sk:
        return {"pk": {"S": f"TX#{session.transaction_id}"}, "sk": {"S": session.closed_by_sk}}
    return conversion_key(session.transaction_id, session.closed_by_goal)


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

_MAX_CONFLICT_RETRIES = 3


def insert_conversion(
    conversion: Conversion,
    *,
    now: int,
    end_point: bool,
    fingerprint: str,
    retry_window_seconds: int,
    counters: Sequence[Counter] = (),
) -> InsertResult:
    """Record a conversion exactly once.

    Its key makes it unique: one item per goal and session (a goal that allows multiple
    conversions gets a fresh suffix), written on condition it is not there yet. The caller has
    just read the session live and open (a consistent read), so a plain conversion is that one
    conditional PutItem. What must commit with it goes into one transaction with it: an
    end-point goal closes its session, on condition the session is still live and open (of two
    end points, one closes it); guard items make unique ids and retried postbacks idempotent;
    cap counters are added to, each on condition it has room (two conversions racing for a cap's
    last slot cannot both commit).

    A plain conversion does not write its session, so one racing an end point either commits
    (its read came before the close) or is refused as closed: every outcome is one a serial
    order gives (that conversion, then the close), and none is counted twice.
    """
    key = stored_key(conversion)
    put: dict[str, Any] = {
        "TableName": conversions_table(),
        "Item": _stored(conversion, key),
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    guards = _guards(conversion, key, fingerprint, now, retry_window_seconds)
    if not (end_point or guards or counters):
        return _put_once(put, key)

    items: list[dict[str, Any]] = []
    if end_point:
        items.append({"Update": _closing_update(conversion, key, now)})
    items.append({"Put": put})
    items.extend({"Put": guard} for guard in guards)
    items.extend(cap_counter_update(conversion.offer_id, counter) for counter in counters)

    for attempt in range(_MAX_CONFLICT_RETRIES + 1):
        try:
            client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return Inserted()
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            result = _why_cancelled(reasons, items, key, conversion.goal_id, now)
            if result is not None:
                return result
            if attempt == _MAX_CONFLICT_RETRIES:
                raise
    raise AssertionError("unreachable")


def _put_once(put: dict[str, Any], key: dict[str, Any]) -> InsertResult:
    """The conditional PutItem of a plain conversion. botocore re-sends a write whose answer
    timed out; if the first attempt had applied, the re-sent one meets its item. A token written
    with the item tells that apart from a repeated postback (a transaction gets the same from
    its ClientRequestToken)."""
    token = {"S": secrets.token_hex(8)}
    try:
        client().put_item(
            **{**put, "Item": {**put["Item"], "write_token": token}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        if error.response.get("Item", {}).get("write_token") == token:  # type: ignore[attr-defined]
            return Inserted()  # this request's own write, applied by an attempt whose answer was lost
        return Duplicate(key=key, code="duplicate")
    return Inserted()


def _closing_update(conversion: Conversion, key: dict[str, Any], now: int) -> dict[str, Any]:
    """An end point closes its session, on condition the session exists, is live and is open."""
    return {
        "TableName": sessions_table(),
        "Key": {"transaction_id": {"S": conversion.transaction_id}},
        "UpdateExpression": "SET closed_at = :now, closed_by_goal = :goal, closed_by_sk = :closing",
        "ConditionExpression": "attribute_exists(transaction_id) AND expires_at > :now "
        "AND attribute_not_exists(closed_at)",
        "ExpressionAttributeValues": attribute_values(
            {":now": now, ":goal": conversion.goal_id, ":closing": key["sk"]["S"]}
        ),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _guards(
    conversion: Conversion, key: dict[str, Any], fingerprint: str, now: int, retry_window_seconds: int
) -> list[dict[str, Any]]:
    """Items that point at the conversion: one per unique id (unique per offer), and one for the
    retry fingerprint (unique while its window lasts)."""
    target = {"conversion_pk": key["pk"], "conversion_sk": key["sk"], "kind": {"S": "guard"}}
    guards: list[dict[str, Any]] = [
        {
            "TableName": conversions_table(),
            "Item": {
                "pk": {"S": f"UNIQUE#{conversion.offer_id}#{field_name}#{value}"},
                "sk": {"S": "UNIQUE"},
                **target,
            },
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        for field_name, value in conversion.unique_ids.items()
    ]
    if fingerprint:
        guards.append(
            {
                "TableName": conversions_table(),
                "Item": {
                    "pk": {"S": f"RETRY#{fingerprint}"},
                    "sk": {"S": "RETRY"},
                    "guard_expires_at": {"N": str(now + retry_window_seconds)},
                    **target,
                },
                "ConditionExpression": "attribute_not_exists(pk) OR guard_expires_at < :now",
                "ExpressionAttributeValues": {":now": {"N": str(now)}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        )
    return guards


def _why_cancelled(
    reasons: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
    key: dict[str, Any],
    goal_id: str,
    now: int,
) -> InsertResult | None:
    """Map a cancelled transaction to its cause (the first failed condition, in item order: the
    session, the conversion, its guards, its counters); None means a conflict worth retrying."""
    for reason, item in zip(reasons, items, strict=True):
        if reason.get("Code") != "ConditionalCheckFailed":
            continue
        if "Update" in item and item["Update"]["TableName"] == sessions_table():
            return _closing_refused(reason.get("Item"), key, goal_id, now)
        if "Update" in item:  # a cap counter without room
            scope = item["Update"]["Key"]["sk"]["S"].partition("#")[0]
            return CapReached(refusal_code(scope))
        stored = item["Put"]["Item"]
        if stored["pk"] == key["pk"] and stored["sk"] == key["sk"]:
            return Duplicate(key=key, code="duplicate")
        old = reason.get("Item") or {}
        target = {"pk": old.get("conversion_pk"), "sk": old.get("conversion_sk")}
        code: Literal["duplicate_unique_id", "duplicate_retry"] = (
            "duplicate_retry" if stored["sk"]["S"] == "RETRY" else "duplicate_unique_id"
        )
        return Duplicate(key=target, code=code)
    return None  # TransactionConflict / throttling inside the transaction: retry


def _closing_refused(
    old: Mapping[str, Any] | None, key: dict[str, Any], goal_id: str, now: int
) -> InsertResult | None:
    """Why an end point could not close its session."""
    if not old:
        return SessionRefused("unknown_transaction")
    session = session_from(from_item(old))
    if session.is_closed:
        if session.closed_by_goal == goal_id:  # our own end point, applied by an earlier try
            return Duplicate(key=closing_conversion_key(session), code="duplicate")
        return SessionRefused("session_closed")
    if session.is_expired(now):
        return SessionRefused("session_expired")
    return None


def note_duplicate(key: Mapping[str, Any], now_iso: str) -> Conversion | None:
    """Count a repeat on the conversion it repeats (no new row, so retry storms stay flat)."""
    try:
        response = client().update_item(
            TableName=conversions_table(),
            Key=dict(key),
            UpdateExpression="ADD duplicate_count :one SET last_duplicate_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=attribute_values({":one": 1, ":now": now_iso}),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return Conversion.from_dict(from_item(response["Attributes"]))


def insert_rejection(conversion: Conversion, *, limit: int) -> bool:
    """Store a rejected conversion for a real session, at most ``limit`` of them (False: not stored)."""
    key = stored_key(conversion)
    transaction_id = conversion.transaction_id
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
                        "ExpressionAttributeValues": attribute_values(
                            {":zero": 0, ":one": 1, ":limit": limit}
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": conversions_table(),
                        "Item": _stored(conversion, key),
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


def find_by_unique_id(offer_id: str, field_name: str, value: str) -> Conversion | None:
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
    return Conversion.from_dict(from_item(item)) if item else None


def conversions_with_order_id(transaction_id: str, order_id: str) -> list[Conversion]:
    """A session's recorded conversions (never its refusals) whose adv_sub is this order id."""
    items = all_pages(
        {
            "TableName": conversions_table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :conv)",
            "FilterExpression": "adv_subs.adv_sub = :order AND #s <> :test",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": attribute_values(
                {":pk": f"TX#{transaction_id}", ":conv": "CONV#", ":order": order_id, ":test": TEST}
            ),
            "ConsistentRead": True,
        }
    )
    return [Conversion.from_dict(item) for item in items]


def adjust_conversion_status(
    conversion: Conversion,
    change: Adjustment,
    *,
    audit_actor: str = "",
) -> bool:
    """Write a conversion's adjustment; False if the conversion changed meanwhile.

    The adjustment is appended to the conversion; with ``audit_actor`` it is also written to
    the audit trail, and a clawback (``change.clawback``) is put beside the conversion, all
    in the same transaction. Only a recorded conversion (CONV#) changes status: a stored
    refusal stays refused.

    "Meanwhile" is judged by the count of adjustments, the conversion's version: the write
    applies only to the conversion as it was read, with exactly the adjustments it was read
    with. Its status alone would not do (approved -> pending -> approved in between passes
    a condition on "still approved", and two clawbacks would then carry the same transition
    number, one partner reversal lost); so the history is one chain, each change made from
    the state the one before it left, and the transitions told to partners follow it.
    """
    key = stored_key(conversion)
    amounts = {k: v for k, v in change.after.items() if k != "status"}
    sets = [
        "#s = :new",
        "status_code = :code",
        "adjustments = list_append(if_not_exists(adjustments, :empty), :adj)",
    ]
    conditions = ["begins_with(sk, :conv)", "#s = :old"]
    names = {"#s": "status"}
    values: dict[str, Any] = {
        ":conv": "CONV#",
        ":new": change.after["status"],
        ":old": conversion.status,
        ":code": change.status_code,
        ":empty": [],
        ":adj": [change.record],
    }
    if conversion.adjustments:  # the version read: how many adjustments it had
        conditions.append("size(adjustments) = :read")
        values[":read"] = len(conversion.adjustments)
    else:
        conditions.append("attribute_not_exists(adjustments)")
    removes = []
    if change.after["status"] == "pending":
        sets.extend(["pending_key = :pending", "review_key = :review"])
        values[":pending"] = pending_key(conversion.offer_id, conversion.conversion_id)
        values[":review"] = review_partitions()[report_shard(conversion.conversion_id)]
    else:
        removes.extend(["pending_key", "review_key"])  # leaves the approvals indexes (sparse)
    for n, (field_name, value) in enumerate(sorted(amounts.items())):
        names[f"#a{n}"] = field_name
        values[f":a{n}"] = value
        sets.append(f"#a{n} = :a{n}")
        if change.before.get(field_name) is None:
            conditions.append(f"attribute_not_exists(#a{n})")
        else:
            values[f":b{n}"] = change.before[field_name]
            conditions.append(f"#a{n} = :b{n}")
    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": conversions_table(),
                "Key": key,
                "UpdateExpression": "SET "
                + ", ".join(sets)
                + (f" REMOVE {', '.join(removes)}" if removes else ""),
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": attribute_values(values),
            }
        }
    ]
    if audit_actor:  # the admin's changes (an advertiser's status postback is on the conversion only)
        from goalpost.model.audit import Audit
        from goalpost.store.audit_store import audit_put

        note = {"note": change.record["reason"]}
        audit = Audit(audit_actor, change.record["at"], "adjust", change.before, {**change.after, **note})
        items.append(audit_put("conversion", conversion.conversion_id, "", audit))
    if change.clawback is not None:
        clawback = change.clawback
        sk = f"CLAWBACK#{conversion.goal_id}#{clawback.created_at}"
        items.append(
            {
                "Put": {
                    "TableName": conversions_table(),
                    "Item": _stored(clawback, {"pk": key["pk"], "sk": {"S": sk}}),
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


def get_conversion(conversion_id: str) -> Conversion | None:
    key = key_of_conversion_id(conversion_id)
    if key is None:
        return None
    item = client().get_item(TableName=conversions_table(), Key=key, ConsistentRead=True).get("Item")
    return Conversion.from_dict(from_item(item)) if item else None


def session_conversions(transaction_id: str) -> list[dict[str, Any]]:
    """Every conversion and rejection recorded for one session."""
    response = client().query(
        TableName=conversions_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TX#{transaction_id}"}},
        ConsistentRead=True,
    )
    return [from_item(i) for i in response.get("Items", [])]


def get_record(record_id: str) -> dict[str, Any] | None:
    """Any record the reports list, by its id: a conversion, a stored refusal (``-R``) or a
    clawback (``-C``). The latter two are found among their session's records, not by a key
    their id spells (a session stores at most a few dozen)."""
    transaction_id, _, rest = record_id.partition("-")
    if rest.startswith(REFUSAL_MARK):
        prefix = "REJECTED#"
    elif f"-{CLAWBACK_MARK}" in rest:
        prefix = "CLAWBACK#"
    else:
        key = key_of_conversion_id(record_id)
        if key is None:
            return None
        item = client().get_item(TableName=conversions_table(), Key=key, ConsistentRead=True).get("Item")
        return from_item(item) if item else None
    found = all_pages(
        {
            "TableName": conversions_table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "conversion_id = :id",
            "ExpressionAttributeValues": attribute_values(
                {":pk": f"TX#{transaction_id}", ":prefix": prefix, ":id": record_id}
            ),
            "ConsistentRead": True,
        }
    )
    return found[0] if found else None


def session_records(transaction_id: str, *, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """A session's records in key order (conversions, refusals, clawbacks, goal clicks) as
    stored, at most ``limit`` of them in one query; True when there were more."""
    response = client().query(
        TableName=conversions_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TX#{transaction_id}"}},
        ConsistentRead=True,
        Limit=limit,
    )
    return [from_item(i) for i in response.get("Items", [])], "LastEvaluatedKey" in response


def offer_records_with_order_id(
    offer_id: str, order_id: str, day: str, *, pages: int
) -> tuple[list[dict[str, Any]], bool]:
    """An offer's conversions of one UTC day whose ``adv_sub`` is this order id: the offer's
    own partitions of the report projection (every shard) for that day, filtered, reading at
    most ``pages`` pages of each; True when a shard had more to read. The projection follows
    the conversions stream: a conversion shows here seconds after its postback."""
    found: list[dict[str, Any]] = []
    more = False
    for partition in offer_partitions(offer_id):
        query: dict[str, Any] = {
            "TableName": stats_table(),
            "KeyConditionExpression": "pk = :part AND sk BETWEEN :start AND :end",
            "FilterExpression": "adv_subs.adv_sub = :order",
            "ExpressionAttributeValues": attribute_values(
                {":part": partition, ":start": day, ":end": f"{day}T~", ":order": order_id}
            ),
        }
        for _page in range(pages):
            response = client().query(**query)
            found.extend(from_item(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            query = {**query, "ExclusiveStartKey": response["LastEvaluatedKey"]}
        else:
            more = True
    return found, more
