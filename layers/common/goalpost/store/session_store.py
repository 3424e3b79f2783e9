"""Sessions table: one item per click (TTL on expires_at)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from goalpost.model.session import Session
from goalpost.store.dynamo import client, from_item, sessions_table, to_item


def put_session(session: Session) -> None:
    """One PutItem per click; the condition guards against a (practically impossible) id reuse."""
    data: dict[str, Any] = {
        "transaction_id": session.transaction_id,
        "offer_id": session.offer_id,
        "partner_id": session.partner_id,
        "created_at": Decimal(f"{session.created_at:.3f}"),  # to the millisecond, as every instant
        "expires_at": session.expires_at,
    }
    if session.subs:
        data["subs"] = dict(session.subs)
    if session.ip:
        data["ip"] = session.ip
    if session.user_agent:
        data["user_agent"] = session.user_agent
    if session.flags:
        data["flags"] = list(session.flags)
    if session.redirected:
        data["redirected"] = session.redirected
    if session.test_link:
        data["test_link"] = session.test_link
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


def session_from(data: Mapping[str, Any]) -> Session:
    return Session(
        transaction_id=data["transaction_id"],
        offer_id=str(data["offer_id"]),
        partner_id=str(data["partner_id"]),
        created_at=float(data["created_at"]),
        expires_at=int(data["expires_at"]),
        subs={str(k): str(v) for k, v in data.get("subs", {}).items()},
        ip=data.get("ip", ""),
        user_agent=data.get("user_agent", ""),
        closed_at=int(data.get("closed_at", 0)),
        closed_by_goal=data.get("closed_by_goal", ""),
        closed_by_sk=data.get("closed_by_sk", ""),
        flags=tuple(data.get("flags") or ()),
        redirected=data.get("redirected", ""),
        test_link=data.get("test_link", ""),
    )


def get_session(transaction_id: str) -> Session | None:
    """Strongly consistent, so a pixel fired right after the click finds its session."""
    response = client().get_item(
        TableName=sessions_table(),
        Key={"transaction_id": {"S": transaction_id}},
        ConsistentRead=True,
    )
    item = response.get("Item")
    return session_from(from_item(item)) if item else None


def session_item(transaction_id: str) -> dict[str, Any] | None:
    """The session as stored, every attribute (the trace shows fields later issues add, such as
    screening flags, without this module knowing them): one strongly consistent GetItem."""
    item = (
        client()
        .get_item(
            TableName=sessions_table(), Key={"transaction_id": {"S": transaction_id}}, ConsistentRead=True
        )
        .get("Item")
    )
    return from_item(item) if item else None
