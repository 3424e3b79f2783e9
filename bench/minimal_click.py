"""A minimal hand-written click: the same single PutItem, nothing else. The CPU floor."""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

import boto3

client = boto3.client("dynamodb")
TABLE = os.environ["SESSIONS_TABLE"]


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    query = event.get("queryStringParameters") or {}
    transaction_id = secrets.token_hex(16)
    now = int(time.time())
    client.put_item(
        TableName=TABLE,
        Item={
            "transaction_id": {"S": transaction_id},
            "offer_id": {"S": query.get("offer_id", "")},
            "partner_id": {"S": query.get("aff_id", "")},
            "created_at": {"N": str(now)},
            "expires_at": {"N": str(now + 86400)},
        },
    )
    return {"statusCode": 302, "headers": {"location": f"https://shop.example.com/?tid={transaction_id}"}}
