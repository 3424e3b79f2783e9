"""Admin use cases for the network, advertisers, partners, tiers and payout structures.

Every write goes through ``_save``: optimistic concurrency (the caller's If-Match version)
and an audit record (who, when, before, after) in the same DynamoDB transaction.
"""

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import BaseModel

from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.schemas import (
    AdvertiserIn,
    AdvertiserPatch,
    NetworkIn,
    PartnerIn,
    PartnerPatch,
    PayoutStructureIn,
    RateIn,
    TierIn,
)
from goalpost.model.offer import (
    Advertiser,
    Condition,
    NetworkSettings,
    Partner,
    PayoutStructure,
    Rate,
    StructureRule,
)
from goalpost.rules.audit import Audit
from goalpost.store import audit_store, config_store

MAX_PAGE = 100


class Caller(NamedTuple):
    """Who is calling (for the audit trail) and when; a create may carry an Idempotency-Key."""

    actor: str
    at: str
    idempotency_key: str = ""
    request_hash: str = ""
    """SHA-256 of method, path and body: a key reused for another request is refused."""

    @property
    def epoch(self) -> int:
        from datetime import datetime

        return int(datetime.fromisoformat(self.at.replace("Z", "+00:00")).timestamp())


class Replayed(Exception):
    """This create was made before under the same Idempotency-Key: answer what it made."""

    def __init__(self, kind: str, entity_id: str, parent_offer_id: str) -> None:
        super().__init__(f"{kind} {entity_id} was created by an earlier request with this key")
        self.kind, self.entity_id, self.parent_offer_id = kind, entity_id, parent_offer_id


def rate(value: RateIn) -> Rate:
    return Rate(flat=value.flat, percent=value.percent)


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key, default=str, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_cursor", "cursor is not one this API handed out") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | Decimal) for k, v in data.items()
    ):
        raise ApiError(400, "bad_cursor", "cursor is not one this API handed out")
    return data


def page(items: list[dict[str, Any]], last: dict[str, Any] | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor(last)}


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError(400, "bad_limit", f"limit must be between 1 and {MAX_PAGE}")
    return limit


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
) -> dict[str, Any]:
    """Store a configuration document with its audit record; 412 when another admin saved first.

    A create with an Idempotency-Key writes its guard in the same transaction, so a retried
    create makes nothing new (``Replayed``) and a crash can never leave one without the other.
    """
    action = "create" if before is None else "update"
    if action == "create" and caller.idempotency_key:
        key_hash = hashlib.sha256(f"{caller.actor}|{caller.idempotency_key}".encode()).hexdigest()
        guard = config_store.idempotency_item(
            key_hash, caller.request_hash, kind, entity_id, parent_offer_id, caller.epoch
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
        )
    except config_store.AlreadyCreated as done:
        if done.guard.get("request_hash") != caller.request_hash:
            raise ApiError(
                422, "idempotency_key_reused", "this Idempotency-Key was used for a different request"
            ) from None
        raise Replayed(
            str(done.guard["entity_kind"]), str(done.guard["entity_id"]), str(done.guard["parent_offer_id"])
        ) from None
    if not saved:
        if expected_version is None:
            raise ApiError(409, "already_exists", f"{kind} {entity_id} already exists")
        raise ApiError(
            412,
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
            412,
            "version_conflict",
            f"version is {current.get('version', 0)}, not {expected_version}: reload, then apply your change",
        )


def audit_trail(kind: str, subject: str, limit: int, cursor: str | None) -> dict[str, Any]:
    items, last = audit_store.audit_trail(
        kind, subject, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(items, last)


# ------------------------------------------------------------------ network


def get_network() -> dict[str, Any]:
    return config_store.get_network_settings().to_dict()


def put_network(body: NetworkIn, expected_version: int, caller: Caller) -> dict[str, Any]:
    current = config_store.get_network_settings()
    check_version(current.to_dict(), expected_version)
    updated = NetworkSettings.from_dict(merged(current.to_dict(), body))
    before = current.to_dict() if current.version else None
    return save(
        "network",
        "settings",
        _without_version(updated.to_dict()),
        caller,
        before=before,
        expected_version=expected_version or None,
    )


def _without_version(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "version"}


# ------------------------------------------------------------------ advertisers


def advertiser_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The token itself is shown to admins (it goes into the advertiser's postback links)."""
    view = {k: v for k, v in doc.items() if k != "security_token_sha256"}
    view["security_token_applied"] = Advertiser.from_dict(doc).token_enforced
    return view


def create_advertiser(body: AdvertiserIn, caller: Caller) -> dict[str, Any]:
    advertiser_id = config_store.next_id("advertiser")
    advertiser = Advertiser(
        advertiser_id=advertiser_id,
        name=body.name,
        status=body.status,
        security_token=body.security_token or "",
        security_token_applied=body.security_token_applied,
    )
    return advertiser_view(save("advertiser", advertiser_id, advertiser.to_dict(), caller))


def get_advertiser(advertiser_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("advertiser", advertiser_id)
    if doc is None:
        raise not_found("advertiser", advertiser_id)
    return doc


def update_advertiser(
    advertiser_id: str, patch: AdvertiserPatch, expected_version: int, caller: Caller
) -> dict[str, Any]:
    """Set a token, then apply it (TUNE's two steps); a new token replaces an unrecoverable old hash."""
    current = get_advertiser(advertiser_id)
    check_version(current, expected_version)
    doc = _without_version(current)
    for name in ("name", "status"):
        if getattr(patch, name) is not None:
            doc[name] = getattr(patch, name)
    if patch.security_token is not None:
        doc["security_token"] = patch.security_token
        doc["security_token_sha256"] = ""
    if patch.security_token_applied is not None:
        doc["security_token_applied"] = patch.security_token_applied
    if patch.remove_security_token:
        doc.update(security_token="", security_token_applied=False, security_token_sha256="")
    if doc.get("security_token_applied") and not doc.get("security_token"):
        raise ApiError(409, "no_security_token", "set security_token before applying it")
    saved = save("advertiser", advertiser_id, doc, caller, before=current, expected_version=expected_version)
    return advertiser_view(saved)


def list_advertisers(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = config_store.list_entities(
        "advertiser", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([advertiser_view(d) for d in docs], last)


# ------------------------------------------------------------------ partners and tiers


def _partner_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("api_key_sha256", "postback_secret")}


def _check_tier(tier_id: str) -> None:
    if tier_id and config_store.get_entity("tier", tier_id) is None:
        raise ApiError(422, "unknown_tier", f"partner tier {tier_id} does not exist")


def _new_api_key(partner_id: str) -> tuple[str, str, dict[str, Any]]:
    """A fresh partner API key: shown once, stored only as its SHA-256 (and a lookup item)."""
    key = f"gpk_{secrets.token_urlsafe(32)}"
    digest = config_store.api_key_digest(key)
    return key, digest, config_store.api_key_item(digest, partner_id)


def create_partner(body: PartnerIn, caller: Caller) -> dict[str, Any]:
    _check_tier(body.tier_id)
    partner_id = config_store.next_id("partner")
    key, digest, lookup = _new_api_key(partner_id)
    secret = body.postback_secret or secrets.token_urlsafe(32)
    partner = Partner(
        partner_id=partner_id,
        name=body.name,
        status=body.status,
        tier_id=body.tier_id,
        api_key_sha256=digest,
        postback_secret=secret,
    )
    saved = save("partner", partner_id, partner.to_dict(), caller, extra_items=(lookup,))
    return {**_partner_view(saved), "api_key": key, "postback_secret": secret}


def get_partner(partner_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("partner", partner_id)
    if doc is None:
        raise not_found("partner", partner_id)
    return doc


def partner_view(partner_id: str) -> dict[str, Any]:
    return _partner_view(get_partner(partner_id))


def update_partner(
    partner_id: str, patch: PartnerPatch, expected_version: int, caller: Caller
) -> dict[str, Any]:
    current = get_partner(partner_id)
    check_version(current, expected_version)
    if patch.tier_id is not None:
        _check_tier(patch.tier_id)
    doc = merged(_without_version(current), patch)
    return _partner_view(
        save("partner", partner_id, doc, caller, before=current, expected_version=expected_version)
    )


def rotate_api_key(partner_id: str, caller: Caller) -> dict[str, Any]:
    current = get_partner(partner_id)
    key, digest, lookup = _new_api_key(partner_id)
    doc = {**_without_version(current), "api_key_sha256": digest}
    retire = (config_store.retired_api_key_item(current["api_key_sha256"]),)
    saved = save(
        "partner",
        partner_id,
        doc,
        caller,
        before=current,
        expected_version=int(current["version"]),
        extra_items=(lookup, *retire),
    )
    return {**_partner_view(saved), "api_key": key}


def list_partners(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = config_store.list_entities("partner", limit=check_limit(limit), cursor=decode_cursor(cursor))
    return page([_partner_view(d) for d in docs], last)


def create_tier(body: TierIn, caller: Caller) -> dict[str, Any]:
    """Named tiers ordered by level; exactly one is the default (the first one, or the one asked)."""
    tier_id = config_store.next_id("tier")
    saved = save("tier", tier_id, {"tier_id": tier_id, "name": body.name, "level": body.level}, caller)
    network = config_store.get_network_settings()
    if body.default or not network.default_tier_id:
        _make_default(tier_id, network, caller._replace(idempotency_key=""))
    return {**saved, "default": body.default or not network.default_tier_id}


def get_tier(tier_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("tier", tier_id)
    if doc is None:
        raise not_found("partner tier", tier_id)
    return {**doc, "default": config_store.get_network_settings().default_tier_id == tier_id}


def set_default_tier(tier_id: str, expected_version: int, caller: Caller) -> dict[str, Any]:
    """The default tier is a network setting: If-Match carries the network settings' version."""
    if config_store.get_entity("tier", tier_id) is None:
        raise not_found("partner tier", tier_id)
    network = config_store.get_network_settings()
    check_version(network.to_dict(), expected_version)
    return _make_default(tier_id, network, caller)


def _make_default(tier_id: str, network: NetworkSettings, caller: Caller) -> dict[str, Any]:
    doc = _without_version(network._replace(default_tier_id=tier_id).to_dict())
    return save(
        "network",
        "settings",
        doc,
        caller,
        before=network.to_dict() if network.version else None,
        expected_version=network.version or None,
    )


def list_tiers(limit: int, cursor: str | None) -> dict[str, Any]:
    """Tiers with their default flag, ordered by level (within a page; networks have a handful)."""
    docs, last = config_store.list_entities("tier", limit=check_limit(limit), cursor=decode_cursor(cursor))
    default = config_store.get_network_settings().default_tier_id
    tiers = sorted(
        ({**d, "default": d["tier_id"] == default} for d in docs), key=lambda t: (t["level"], t["name"])
    )
    return page(tiers, last)


# ------------------------------------------------------------------ payout structures


def create_payout_structure(body: PayoutStructureIn, caller: Caller) -> dict[str, Any]:
    structure_id = config_store.next_id("structure")
    structure = PayoutStructure(
        structure_id=structure_id,
        name=body.name,
        rules=tuple(
            StructureRule(
                conditions=tuple(Condition(c.field, c.operator, tuple(c.values)) for c in rule.conditions),
                payout=rate(rule.payout) if rule.payout is not None else None,
                revenue=rate(rule.revenue) if rule.revenue is not None else None,
            )
            for rule in body.rules
        ),
    )
    return save("structure", structure_id, structure.to_dict(), caller)


def get_payout_structure(structure_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("structure", structure_id)
    if doc is None:
        raise not_found("payout structure", structure_id)
    return doc


def list_payout_structures(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = config_store.list_entities(
        "structure", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(docs, last)


def tracking_base_url(request_host: str) -> str:
    """The network's tracking domain setting, else the stack's custom domain, else the request's host.

    Links handed to partners must outlive the stack: the execute-api host changes when the
    stack is recreated, a custom domain (template parameter ``DomainName``) does not.
    """
    domain = config_store.get_network_settings().tracking_domain
    host = domain or os.environ.get("GOALPOST_TRACKING_DOMAIN", "") or request_host
    if not host:
        return ""
    local = host.startswith(("127.0.0.1", "localhost"))
    return f"{'http' if local else 'https'}://{host}"
