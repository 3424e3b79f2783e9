"""Audit trail of configuration and conversion changes (config table)."""

import secrets
from collections.abc import Mapping
from typing import Any, NamedTuple

from goalpost.store.dynamo import Page, config_table, query_page, to_item


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


def audit_put(kind: str, entity_id: str, parent_offer_id: str, audit: Audit) -> dict[str, Any]:
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


def audit_trail(kind: str, subject: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """An entity's changes, newest first."""
    query = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"AUDIT#{kind}#{subject}"}},
        "ScanIndexForward": False,
    }
    return query_page(query, limit, cursor, docs=True)
