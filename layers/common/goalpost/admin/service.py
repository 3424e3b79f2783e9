"""Admin use cases: validated input in, stored domain documents out."""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from typing import Any

from goalpost import store
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.schemas import (
    AdvertiserIn,
    CustomPayoutIn,
    GoalIn,
    OfferIn,
    PartnerIn,
    PayoutStructureIn,
    RateIn,
)
from goalpost.domain import (
    DEFAULT_GOAL_ID,
    Advertiser,
    Condition,
    Goal,
    Offer,
    Partner,
    PayoutStructure,
    Rate,
    StructureRule,
)
from goalpost.links import goal_links
from goalpost.slugs import slug_of

MAX_PAGE = 100


def _rate(rate: RateIn) -> Rate:
    return Rate(flat=rate.flat, percent=rate.percent)


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
    if not isinstance(data, dict) or not all(isinstance(v, str | int | Decimal) for v in data.values()):
        raise ApiError(400, "bad_cursor", "cursor is not one this API handed out")
    return data


def page(items: list[dict[str, Any]], last: dict[str, Any] | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor(last)}


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError(400, "bad_limit", f"limit must be between 1 and {MAX_PAGE}")
    return limit


# ------------------------------------------------------------------ advertisers


def _advertiser_view(doc: dict[str, Any]) -> dict[str, Any]:
    view = {k: v for k, v in doc.items() if k != "security_token_sha256"}
    view["security_token_applied"] = bool(doc.get("security_token_sha256"))
    return view


def create_advertiser(body: AdvertiserIn) -> dict[str, Any]:
    advertiser_id = store.next_id("advertiser")
    token_hash = hashlib.sha256(body.security_token.encode()).hexdigest() if body.security_token else ""
    advertiser = Advertiser(
        advertiser_id=advertiser_id, name=body.name, status=body.status, security_token_sha256=token_hash
    )
    store.put_entity("advertiser", advertiser_id, advertiser.to_dict())
    return _advertiser_view({**advertiser.to_dict(), "version": 1})


def get_advertiser(advertiser_id: str) -> dict[str, Any]:
    doc = store.get_entity("advertiser", advertiser_id)
    if doc is None:
        raise not_found("advertiser", advertiser_id)
    return _advertiser_view(doc)


def list_advertisers(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = store.list_entities("advertiser", limit=_limit(limit), cursor=decode_cursor(cursor))
    return page([_advertiser_view(d) for d in docs], last)


# ------------------------------------------------------------------ partners


def create_partner(body: PartnerIn) -> dict[str, Any]:
    partner_id = store.next_id("partner")
    partner = Partner(partner_id=partner_id, name=body.name, status=body.status, tier_id=body.tier_id)
    store.put_entity("partner", partner_id, partner.to_dict())
    return {**partner.to_dict(), "version": 1}


def get_partner(partner_id: str) -> dict[str, Any]:
    doc = store.get_entity("partner", partner_id)
    if doc is None:
        raise not_found("partner", partner_id)
    return doc


def list_partners(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = store.list_entities("partner", limit=_limit(limit), cursor=decode_cursor(cursor))
    return page(docs, last)


# ------------------------------------------------------------------ offers


def create_offer(body: OfferIn) -> dict[str, Any]:
    if store.get_entity("advertiser", body.advertiser_id) is None:
        raise ApiError(422, "unknown_advertiser", f"advertiser {body.advertiser_id} does not exist")
    offer_id = store.next_id("offer")
    settings = body.default_goal
    default_goal = Goal(
        goal_id=DEFAULT_GOAL_ID,
        offer_id=offer_id,
        name=settings.name,
        slug=slug_of(settings.name),
        advertiser_id=body.advertiser_id,
        protocol=settings.protocol,
        ref_id=settings.ref_id,
        payout=_rate(settings.payout),
        revenue=_rate(settings.revenue),
        allow_multiple=settings.allow_multiple,
        approve=settings.approve,
        encrypted=settings.encrypted,
    )
    offer = Offer(
        offer_id=offer_id,
        name=body.name,
        advertiser_id=body.advertiser_id,
        offer_url=body.offer_url,
        default_goal=default_goal,
        status=body.status,
        session_hours=body.session_hours,
        currency=body.currency,
        goals_enabled=body.goals_enabled,
        ref_id=body.ref_id,
    )
    store.put_entity("offer", offer_id, offer.to_dict())
    return offer.to_dict()


def get_offer(offer_id: str) -> dict[str, Any]:
    doc = store.get_entity("offer", offer_id)
    if doc is None:
        raise not_found("offer", offer_id)
    return doc


def list_offers(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = store.list_entities("offer", limit=_limit(limit), cursor=decode_cursor(cursor))
    return page(docs, last)


# ------------------------------------------------------------------ goals


def create_goal(offer_id: str, body: GoalIn, base_url: str = "") -> dict[str, Any]:
    offer_doc = get_offer(offer_id)
    if not store.get_network_settings().goals_enabled:
        raise ApiError(409, "goals_disabled", "offer goals are disabled on this network")
    if not offer_doc.get("goals_enabled"):
        raise ApiError(
            409,
            "goals_disabled",
            f"enable Multiple Conversion Goals on offer {offer_id} before adding goals",
        )
    for structure_id in body.payout_structure_ids:
        if store.get_entity("structure", structure_id) is None:
            raise ApiError(422, "unknown_payout_structure", f"payout structure {structure_id} does not exist")
    slug = slug_of(body.name)
    if not slug:
        raise ApiError(422, "bad_name", "goal name has no characters usable in a URL-friendly name")
    bundle = store.load_offer_bundle(offer_id)
    assert bundle is not None
    taken = {g.slug for g in bundle.goals.values()} | {bundle.offer.default_goal.slug}
    if slug in taken:
        raise ApiError(409, "slug_taken", f"offer {offer_id} already has a goal named {slug!r}")
    goal_id = store.next_id("goal")
    goal = Goal(
        goal_id=goal_id,
        offer_id=offer_id,
        name=body.name,
        slug=slug,
        status=body.status,
        description=body.description,
        advertiser_id=body.advertiser_id or str(offer_doc["advertiser_id"]),
        protocol=body.protocol,
        ref_id=body.ref_id,
        payout=_rate(body.payout),
        revenue=_rate(body.revenue),
        tiers_enabled=body.tiers_enabled,
        tier_payouts={k: _rate(v) for k, v in body.tier_payouts.items()},
        tier_revenues={k: _rate(v) for k, v in body.tier_revenues.items()},
        payout_structure_ids=tuple(body.payout_structure_ids),
        allow_multiple=body.allow_multiple,
        end_point=body.end_point,
        approve=body.approve,
        encrypted=body.encrypted,
        private=body.private,
    )
    store.put_entity("goal", goal_id, goal.to_dict(), parent_offer_id=offer_id)
    store.put_goal_index(goal_id, offer_id)
    return {**goal.to_dict(), "version": 1, "links": goal_links(base_url, goal)}


def list_goals(offer_id: str) -> dict[str, Any]:
    bundle = store.load_offer_bundle(offer_id)
    if bundle is None:
        raise not_found("offer", offer_id)
    goals = [bundle.offer.default_goal.to_dict()] + [g.to_dict() for g in bundle.goals.values()]
    return {"items": goals, "next_cursor": None}


def get_goal(offer_id: str, goal_id: str, base_url: str) -> dict[str, Any]:
    """A goal's detail: settings, its slug (the URL-friendly name) and its tracking links."""
    bundle = store.load_offer_bundle(offer_id)
    if bundle is None:
        raise not_found("offer", offer_id)
    goal = bundle.goal(goal_id)
    if goal is None:
        raise not_found("goal", goal_id)
    return {**goal.to_dict(), "links": goal_links(base_url, goal)}


def tracking_base_url(request_host: str) -> str:
    """The network's tracking domain, else the host this admin request came in on."""
    domain = store.get_network_settings().tracking_domain
    if domain:
        return domain if domain.startswith("http") else f"https://{domain}"
    return f"https://{request_host}" if request_host else ""


# ------------------------------------------------------------------ conversions


def list_conversions(offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    get_offer(offer_id)
    items, last = store.offer_conversions(offer_id, limit=_limit(limit), cursor=decode_cursor(cursor))
    for item in items:
        for key in ("pk", "sk", "offer_key", "created_key", "kind"):
            item.pop(key, None)
    return page(items, last)


# ------------------------------------------------------------------ payout structures


def create_payout_structure(body: PayoutStructureIn) -> dict[str, Any]:
    structure_id = store.next_id("structure")
    structure = PayoutStructure(
        structure_id=structure_id,
        name=body.name,
        rules=tuple(
            StructureRule(
                conditions=tuple(Condition(c.field, c.operator, tuple(c.values)) for c in rule.conditions),
                payout=_rate(rule.payout),
                revenue=_rate(rule.revenue),
            )
            for rule in body.rules
        ),
    )
    store.put_entity("structure", structure_id, structure.to_dict())
    return {**structure.to_dict(), "version": 1}


def get_payout_structure(structure_id: str) -> dict[str, Any]:
    doc = store.get_entity("structure", structure_id)
    if doc is None:
        raise not_found("payout structure", structure_id)
    return doc


def list_payout_structures(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = store.list_entities("structure", limit=_limit(limit), cursor=decode_cursor(cursor))
    return page(docs, last)


# ------------------------------------------------------------------ custom partner payouts


def set_custom_payout(
    offer_id: str, partner_id: str, goal_id: str, body: CustomPayoutIn, at: str
) -> dict[str, Any]:
    """A partner's own payout on one goal; conversions keep the payout they were made with."""
    bundle = store.load_offer_bundle(offer_id)
    if bundle is None:
        raise not_found("offer", offer_id)
    goal = bundle.goal(goal_id)
    if goal is None:
        raise not_found("goal", goal_id)
    if goal.private:
        raise ApiError(
            409,
            "private_goal",
            f"goal {goal_id} is private: private goals pay nothing, so they take no custom partner payouts",
        )
    if store.get_entity("partner", partner_id) is None:
        raise not_found("partner", partner_id)
    doc = {"partner_id": partner_id, "goal_id": goal_id, "payout": _rate(body.payout).to_dict(), "set_at": at}
    store.put_custom_payout(offer_id, partner_id, goal_id, doc)
    return doc


def list_custom_payouts(offer_id: str) -> dict[str, Any]:
    bundle = store.load_offer_bundle(offer_id)
    if bundle is None:
        raise not_found("offer", offer_id)
    items = [
        {"partner_id": partner_id, "goal_id": goal_id, "payout": rate.to_dict()}
        for (partner_id, goal_id), rate in sorted(bundle.custom_payouts.items())
    ]
    return {"items": items, "next_cursor": None}
