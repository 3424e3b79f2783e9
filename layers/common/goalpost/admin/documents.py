"""Configuration documents as admins change them: optimistic concurrency (If-Match), the
audit record in the same transaction, Idempotency-Key on creates, partial updates."""

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel

from goalpost.admin.errors import ApiError
from goalpost.model.audit import Audit
from goalpost.store import config_store


class Caller(NamedTuple):
    """Who is calling (for the audit trail) and when; a create may carry an Idempotency-Key."""

    actor: str
    at: str
    idempotency_key: str = ""
    request_hash: str = ""
    """SHA-256 of method, path and body: a key reused for another request is refused."""

    @property
    def epoch(self) -> int:

        return int(datetime.fromisoformat(self.at.replace("Z", "+00:00")).timestamp())


class Replayed(Exception):
    """This create was made before under the same Idempotency-Key: answer what it made."""

    def __init__(self, kind: str, entity_id: str, parent_offer_id: str) -> None:
        super().__init__(f"{kind} {entity_id} was created by an earlier request with this key")
        self.kind, self.entity_id, self.parent_offer_id = kind, entity_id, parent_offer_id


def _key_hash(caller: Caller) -> str:
    """Keys are per caller: two admins' "retry-1" are two keys."""
    return hashlib.sha256(f"{caller.actor}|{caller.idempotency_key}".encode()).hexdigest()


def _replay(guard: Mapping[str, Any], caller: Caller) -> Replayed:
    if guard.get("request_hash") != caller.request_hash:
        raise ApiError("idempotency_key_reused", "this Idempotency-Key was used for a different request")
    return Replayed(str(guard["entity_kind"]), str(guard["entity_id"]), str(guard["parent_offer_id"]))


def check_replay(caller: Caller) -> None:
    """Before any rule: a request whose Idempotency-Key already made something replays it
    (``Replayed``); the key on a different request is refused. Nothing made yet: go on."""
    if not caller.idempotency_key:
        return
    guard = config_store.get_idempotency(_key_hash(caller), caller.epoch)
    if guard is not None:
        raise _replay(guard, caller)


def save(
    kind: str,
    entity_id: str,
    doc: dict[str, Any],
    caller: Caller,
    *,
    before: dict[str, Any] | None = None,
    expected_version: int | None = None,
    parent_offer_id: str = "",
    extra_items: tuple[dict[str, Any], ...] = (),
    once: bool | None = None,
    listed_as: str = "",
) -> dict[str, Any]:
    """Store a configuration document with its audit record; 412 when another admin saved first.

    A create (or, with ``once``, another POST such as a key rotation) with an Idempotency-Key
    writes its guard in the same transaction, so a retry makes nothing new (``Replayed``) and a
    crash can never leave one without the other.
    """
    action = "create" if before is None else "update"
    if (action == "create" if once is None else once) and caller.idempotency_key:
        guard = config_store.idempotency_item(
            _key_hash(caller), caller.request_hash, kind, entity_id, parent_offer_id, caller.epoch
        )
        extra_items = (*extra_items, guard)
    try:
        saved = config_store.save_entity(
            kind,
            entity_id,
            doc,
            audit=Audit(actor=caller.actor, at=caller.at, action=action, before=before, after=None),
            parent_offer_id=parent_offer_id,
            expected_version=expected_version,
            extra_items=extra_items,
            listed_as=listed_as,
        )
    except config_store.AlreadyCreated as done:
        raise _replay(done.guard, caller) from None
    if not saved:
        if expected_version is None:
            raise ApiError("already_exists", f"{kind} {entity_id} already exists")
        raise ApiError(
            "version_conflict",
            f"{kind} {entity_id} changed since version {expected_version}: reload, then apply your change",
        )
    return {**doc, "version": (expected_version or 0) + 1}


def merged(
    current: Mapping[str, Any], patch: BaseModel, exclude: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A document with only the fields the request sent changed (nested objects too).

    Partial means partial: ``{"default_goal": {"payout": {"flat": 2}}}`` changes that one
    amount and leaves name, slug, revenue and the payout's percent as they were.
    """

    def merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in changes.items():
            old = out.get(key)
            out[key] = merge(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
        return out

    return merge(current, patch.model_dump(exclude_unset=True, exclude=set(exclude)))


def check_version(current: dict[str, Any], expected_version: int) -> None:
    if int(current.get("version", 0)) != expected_version:
        raise ApiError(
            "version_conflict",
            f"version is {current.get('version', 0)}, not {expected_version}: reload, then apply your change",
        )


def without_version(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "version"}
