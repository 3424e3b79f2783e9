"""Partners (with their API keys and postback secrets) and partner tiers."""

import secrets
from typing import Any

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, merged, save, without_version
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath, IfMatch
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import PartnerIn, PartnerPatch, TierIn
from goalpost.admin.views import NetworkOut, NewPartnerOut, Page, PartnerOut, RotatedKeyOut, TierOut
from goalpost.model.offer import NetworkSettings, Partner
from goalpost.model.partner_terms import Tier
from goalpost.store import config_store, secret_store


def without_secrets(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("api_key_sha256", "postback_secret")}


def _check_tier(tier_id: str) -> None:
    if tier_id and config_store.get_entity("tier", tier_id) is None:
        raise ApiError("unknown_tier", f"partner tier {tier_id} does not exist")


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
    # the secret goes to the secrets table, which only the postback signer reads (README, Security)
    sent = body.model_dump(exclude={"postback_secret"})
    partner = Partner.from_dict({**sent, "partner_id": partner_id, "api_key_sha256": digest})
    stored = secret_store.partner_secret_put(partner_id, secret)
    doc = {k: v for k, v in partner.to_dict().items() if k != "postback_secret"}
    saved = save("partner", partner_id, doc, caller, extra_items=(lookup, stored))
    return {**without_secrets(saved), "api_key": key, "postback_secret": secret}


def get_partner(partner_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("partner", partner_id)
    if doc is None:
        raise not_found("partner", partner_id)
    return doc


def partner_view(partner_id: str) -> dict[str, Any]:
    return without_secrets(get_partner(partner_id))


def update_partner(
    partner_id: str, patch: PartnerPatch, expected_version: int, caller: Caller
) -> dict[str, Any]:
    current = get_partner(partner_id)
    check_version(current, expected_version)
    if patch.tier_id is not None:
        _check_tier(patch.tier_id)
    doc = merged(without_version(current), patch)
    return without_secrets(
        save("partner", partner_id, doc, caller, before=current, expected_version=expected_version)
    )


_ROTATION_ATTEMPTS = 10


def rotate_api_key(partner_id: str, caller: Caller, expected_version: int | None = None) -> dict[str, Any]:
    """A new key; the previous one stops working at once.

    With If-Match, the rotation applies to that version only (412 otherwise). Without it, it
    applies to the partner as it is: a concurrent change makes it read again and rotate that
    (each rotation retires the key before it, so one key works at the end). With an
    Idempotency-Key, a retry replays the first rotation (one new key, shown once).
    """
    for _ in range(_ROTATION_ATTEMPTS):
        current = get_partner(partner_id)
        version = int(current["version"]) if expected_version is None else expected_version
        check_version(current, version)
        key, digest, lookup = _new_api_key(partner_id)
        doc = {**without_version(current), "api_key_sha256": digest}
        retire = (config_store.retired_api_key_item(current["api_key_sha256"]),)
        try:
            saved = save(
                "partner", partner_id, doc, caller, before=current, expected_version=version,
                extra_items=(lookup, *retire), once=True,
            )  # fmt: skip
        except ApiError as refused:
            if refused.code == "version_conflict" and expected_version is None:
                continue  # another change came first: rotate the partner as it is now
            raise
        return {**without_secrets(saved), "api_key": key}
    raise ApiError("partner_busy", f"partner {partner_id} kept changing: try the rotation again")


def list_partners(limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    docs, last = config_store.list_entities("partner", limit=check_limit(limit), cursor=decode_cursor(cursor))
    return page([without_secrets(d) for d in docs], last)


def create_tier(body: TierIn, caller: Caller) -> dict[str, Any]:
    """Named tiers ordered by level; exactly one is the default (the first one, or the one asked)."""
    tier_id = config_store.next_id("tier")
    tier = Tier.from_dict({**body.model_dump(exclude={"default"}), "tier_id": tier_id})
    saved = save("tier", tier_id, tier.to_dict(), caller)
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
    doc = without_version(network._replace(default_tier_id=tier_id).to_dict())
    return save(
        "network",
        "settings",
        doc,
        caller,
        before=network.to_dict() if network.version else None,
        expected_version=network.version or None,
    )


def list_tiers(limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    """Tiers with their default flag, ordered by level (within a page; networks have a handful)."""
    docs, last = config_store.list_entities("tier", limit=check_limit(limit), cursor=decode_cursor(cursor))
    default = config_store.get_network_settings().default_tier_id
    tiers = sorted(
        ({**d, "default": d["tier_id"] == default} for d in docs), key=lambda t: (t["level"], t["name"])
    )
    return page(tiers, last)


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.post("/admin/partners", **http.documented(201, writes=True))
def create(body: PartnerIn) -> Response[NewPartnerOut | PartnerOut]:
    """A partner, with its API key and postback secret shown once; a retry with the same
    Idempotency-Key answers 200 with the partner as made, without them."""
    return http.create(
        router, lambda caller: create_partner(body, caller), lambda made: partner_view(made.entity_id)
    )


@router.get("/admin/partners", **http.documented())
def list_all(limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[PartnerOut]]:
    return http.ok(list_partners(limit, cursor))


@router.get("/admin/partners/<partner_id>", **http.documented())
def get(partner_id: IdPath) -> Response[PartnerOut]:
    return http.entity(partner_view(partner_id))


@router.patch("/admin/partners/<partner_id>", **http.documented(writes=True))
def update(partner_id: IdPath, body: PartnerPatch, if_match: IfMatch) -> Response[PartnerOut]:
    return http.entity(update_partner(partner_id, body, http.version(if_match), http.caller(router)))


@router.post("/admin/partners/<partner_id>/api-key", **http.documented(writes=True))
def rotate_key(
    partner_id: IdPath, if_match: http.OptionalIfMatch = None
) -> Response[RotatedKeyOut | PartnerOut]:
    """A new API key, shown once. If-Match is optional (the version you read, else the current);
    an Idempotency-Key makes a retry replay the first rotation (the partner, without the key)
    instead of making another key."""
    version = http.optional_version(if_match)
    return http.create(
        router,
        lambda caller: rotate_api_key(partner_id, caller, version),
        lambda made: partner_view(made.entity_id),
        status=200,
    )


@router.post("/admin/tiers", **http.documented(201, writes=True))
def create_partner_tier(body: TierIn) -> Response[TierOut]:
    return http.create(
        router, lambda caller: create_tier(body, caller), lambda made: get_tier(made.entity_id)
    )


@router.get("/admin/tiers", **http.documented())
def list_partner_tiers(limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[TierOut]]:
    return http.ok(list_tiers(limit, cursor))


@router.put("/admin/tiers/<tier_id>/default", **http.documented(writes=True))
def make_default_tier(tier_id: IdPath, if_match: IfMatch) -> Response[NetworkOut]:
    """Make a tier the default: If-Match carries the version of the network settings you read."""
    return http.entity(set_default_tier(tier_id, http.version(if_match), http.caller(router)))
