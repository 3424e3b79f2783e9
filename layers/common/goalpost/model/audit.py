"""An audit entry: who changed what, when, which fields changed, secrets redacted."""

from collections.abc import Mapping
from typing import Any, NamedTuple


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


def audit_entry(kind: str, subject: str, audit: Audit) -> dict[str, Any]:
    """The entry of one change: the fields that changed (the version aside), both sides redacted."""
    before, after = dict(audit.before or {}), dict(audit.after or {})
    changed = sorted(
        k for k in before.keys() | after.keys() if before.get(k) != after.get(k) and k != "version"
    )
    return {
        "kind": kind,
        "id": subject,
        "actor": audit.actor,
        "at": audit.at,
        "action": audit.action,
        "changed": changed,
        "before": _redacted(audit.before),
        "after": _redacted(audit.after),
    }
