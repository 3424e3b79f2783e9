"""Audit trail of configuration and conversion changes (config table)."""

import secrets
from collections.abc import Mapping
from typing import Any

from goalpost.model.audit import Audit, audit_entry
from goalpost.store.dynamo import Page, config_table, query_page, to_item


def audit_put(kind: str, entity_id: str, parent_offer_id: str, audit: Audit) -> dict[str, Any]:
    """The audit entry's Put, for the transaction of the change it records."""
    subject = f"{parent_offer_id}/{entity_id}" if parent_offer_id else entity_id
    doc = audit_entry(kind, subject, audit)
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


def audit_trail(kind: str, subject: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """An entity's changes, newest first."""
    query = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"AUDIT#{kind}#{subject}"}},
        "ScanIndexForward": False,
    }
    return query_page(query, limit, cursor, docs=True)
