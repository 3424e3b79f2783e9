"""Offers with their default goal, caps and partners' tracking links."""

from typing import Any, TypedDict, TypeVar

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, merged, save
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath, IfMatch
from goalpost.admin.network import base_url
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import CapIn, DefaultGoalIn, GoalIn, GoalSettingsIn, OfferIn, OfferPatch
from goalpost.admin.views import OfferCapsOut, OfferOut, Page, TrackingLinkOut
from goalpost.model import clock
from goalpost.model.caps import MEASURES, Measure
from goalpost.model.offer import DEFAULT_GOAL_ID, Goal, NetworkSettings, Offer, OfferBundle
from goalpost.rules.caps import cap_status, counter_sort_keys
from goalpost.rules.links import partner_tracking_link
from goalpost.rules.slugs import slug_of
from goalpost.store import config_store, counter_store

Settings = TypeVar("Settings", DefaultGoalIn, GoalIn)


def network_allows(network: NetworkSettings, *, approve: bool, encrypted: bool) -> None:
    if approve and not network.approval_enabled:
        raise ApiError("approval_disabled", "conversion approval is disabled on this network")
    if encrypted and not network.encrypted_enabled:
        raise ApiError("encrypted_disabled", "encrypted conversion tracking is disabled on this network")


def bundle_of(offer_id: str) -> OfferBundle:
    bundle = config_store.load_offer_bundle(offer_id)
    if bundle is None:
        raise not_found("offer", offer_id)
    return bundle


def check_references(settings: GoalSettingsIn) -> None:
    """Payout structures and partner tiers a goal (the default goal too) names must exist."""
    for structure_id in settings.payout_structure_ids:
        if config_store.get_entity("structure", structure_id) is None:
            raise ApiError("unknown_payout_structure", f"payout structure {structure_id} does not exist")
    for tier_id in {*settings.tier_payouts, *settings.tier_revenues}:
        if config_store.get_entity("tier", tier_id) is None:
            raise ApiError("unknown_tier", f"partner tier {tier_id} does not exist")


def _default_goal(offer_id: str, advertiser_id: str, settings: DefaultGoalIn, slug: str = "") -> Goal:
    """The default goal: every setting of an additional goal but end point and private (TUNE:
    "only additional goals can be set as an endpoint"), tiers and payout structures included."""
    return Goal.from_dict(
        {
            **settings.model_dump(),
            "goal_id": DEFAULT_GOAL_ID,
            "offer_id": offer_id,
            "slug": slug or slug_of(settings.name) or "conversion",
            "advertiser_id": advertiser_id,
        }
    )


def check_cap_partners(caps: list[CapIn] | None) -> None:
    """A cap for one partner names a partner that exists ("" and "*" name no one)."""
    for cap in caps or ():
        if cap.partner_id not in ("", "*") and config_store.get_entity("partner", cap.partner_id) is None:
            raise ApiError("unknown_partner", f"cap for partner {cap.partner_id}: no such partner")


def check_fallback_offer(fallback_offer_id: str | None, offer_id: str = "") -> None:
    """A fallback offer is another offer that exists ("" and None name none). It may be paused:
    the click path then skips it (as one paused or deleted later), on to the fallback URLs."""
    if not fallback_offer_id:
        return
    if fallback_offer_id == offer_id:
        raise ApiError("own_fallback", f"offer {offer_id} cannot be its own fallback offer")
    if config_store.get_entity("offer", fallback_offer_id) is None:
        raise ApiError("unknown_offer", f"fallback offer {fallback_offer_id} does not exist")


def offer_from(body: OfferIn, offer_id: str, network: NetworkSettings) -> Offer:
    """The offer as the request sets it: its id is the server's, the session lifespan and
    currency it leaves out the network's."""
    return Offer.from_dict(
        {
            **body.model_dump(),
            "offer_id": offer_id,
            "default_goal": _default_goal(offer_id, body.advertiser_id, body.default_goal).to_dict(),
            "session_hours": body.session_hours or network.session_hours,
            "currency": body.currency or network.currency,
            "screening": body.screening.model_dump(exclude_none=True) if body.screening else {},
        }
    )


def create_offer(body: OfferIn, caller: Caller) -> dict[str, Any]:
    if config_store.get_entity("advertiser", body.advertiser_id) is None:
        raise ApiError("unknown_advertiser", f"advertiser {body.advertiser_id} does not exist")
    check_cap_partners(body.caps)
    check_fallback_offer(body.fallback_offer_id)  # before this offer's id exists: never itself
    network = config_store.get_network_settings()
    network_allows(network, approve=body.default_goal.approve, encrypted=body.default_goal.encrypted)
    check_references(body.default_goal)
    offer = offer_from(body, config_store.next_id("offer"), network)
    doc = {k: v for k, v in offer.to_dict().items() if k != "version"}
    return save("offer", offer.offer_id, doc, caller)


def get_offer(offer_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("offer", offer_id)
    if doc is None:
        raise not_found("offer", offer_id)
    return doc


def update_offer(offer_id: str, patch: OfferPatch, expected_version: int, caller: Caller) -> dict[str, Any]:
    """Only what the request sends changes, inside the default goal too."""
    current = get_offer(offer_id)
    check_version(current, expected_version)
    check_cap_partners(patch.caps)
    check_fallback_offer(patch.fallback_offer_id, offer_id)
    doc = merged({k: v for k, v in current.items() if k != "version"}, patch, frozenset({"default_goal"}))
    if patch.default_goal is not None:
        old_goal = current["default_goal"]
        settings = validated(
            DefaultGoalIn,
            merged(
                {k: v for k, v in old_goal.items() if k in DefaultGoalIn.model_fields},
                patch.default_goal,
                frozenset({"regenerate_slug"}),
            ),
        )
        network_allows(
            config_store.get_network_settings(),
            approve=settings.approve and not old_goal.get("approve"),
            encrypted=settings.encrypted and not old_goal.get("encrypted"),
        )
        check_references(settings)
        slug = str(old_goal["slug"])
        if patch.default_goal.regenerate_slug:
            slug = unique_slug(bundle_of(offer_id), settings.name, except_goal=DEFAULT_GOAL_ID)
        doc["default_goal"] = _default_goal(offer_id, str(current["advertiser_id"]), settings, slug).to_dict()
    return save("offer", offer_id, doc, caller, before=current, expected_version=expected_version)


class OfferCaps(TypedDict):
    offer_id: str
    timezone: str
    cap_action: str
    caps: list[dict[str, object]]


def offer_caps(offer_id: str, now: int) -> OfferCaps:
    """The offer's caps with what the current day, month or lifetime has counted so far."""
    offer = bundle_of(offer_id).offer
    rows = cap_usage(offer, now)
    return {"offer_id": offer_id, "timezone": offer.timezone, "cap_action": offer.cap_action, "caps": rows}


def cap_usage(
    offer: Offer, now: int, partner_id: str | None = None, measures: tuple[Measure, ...] = MEASURES
) -> list[dict[str, object]]:
    """Each cap (every one, or those binding ``partner_id``) with its current period's use,
    read from exactly the counters of the current periods."""
    keys = counter_sort_keys(
        offer.caps, now=now, timezone=offer.timezone, shards=offer.cap_shards,
        partner_id=partner_id, measures=measures,
    )  # fmt: skip
    return cap_status(
        offer.caps, counter_store.cap_counters(offer.offer_id, keys), now=now, timezone=offer.timezone,
        partner_id=partner_id, measures=measures,
    )  # fmt: skip


def list_offers(limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    docs, last = config_store.list_entities("offer", limit=check_limit(limit), cursor=decode_cursor(cursor))
    return page(docs, last)


class TrackingLink(TypedDict):
    partner_id: str
    name: str
    status: str
    tracking_link: str


def partner_links(offer_id: str, base_url: str, limit: int, cursor: str | None) -> Listed[TrackingLink]:
    """Each partner's tracking link for this offer."""
    get_offer(offer_id)
    docs, last = config_store.list_entities("partner", limit=check_limit(limit), cursor=decode_cursor(cursor))
    items: list[TrackingLink] = [
        {
            "partner_id": d["partner_id"],
            "name": d["name"],
            "status": d["status"],
            "tracking_link": partner_tracking_link(base_url, offer_id, d["partner_id"]),
        }
        for d in docs
    ]
    return page(items, last)


def unique_slug(bundle: OfferBundle, name: str, except_goal: str = "") -> str:
    slug = slug_of(name)
    if not slug:
        raise ApiError("bad_name", "goal name has no characters usable in a URL-friendly name")
    everyone = (bundle.offer.default_goal, *bundle.goals.values())
    taken = {g.slug for g in everyone if g.goal_id != except_goal}
    if slug in taken:
        raise ApiError("slug_taken", f"offer {bundle.offer.offer_id} already has a goal named {slug!r}")
    return slug


def validated(model: type[Settings], data: dict[str, Any]) -> Settings:
    """The whole document after a partial change, validated as if it had been sent whole."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
        raise ApiError("validation_error", "the goal after this change is not valid", details) from None


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.post("/admin/offers", **http.documented(201, writes=True))
def create(body: OfferIn) -> Response[OfferOut]:
    return http.create(
        router, lambda caller: create_offer(body, caller), lambda made: get_offer(made.entity_id)
    )


@router.get("/admin/offers", **http.documented())
def list_all(limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[OfferOut]]:
    return http.ok(list_offers(limit, cursor))


@router.get("/admin/offers/<offer_id>", **http.documented())
def get(offer_id: IdPath) -> Response[OfferOut]:
    return http.entity(get_offer(offer_id))


@router.patch("/admin/offers/<offer_id>", **http.documented(writes=True))
def update(offer_id: IdPath, body: OfferPatch, if_match: IfMatch) -> Response[OfferOut]:
    return http.entity(update_offer(offer_id, body, http.version(if_match), http.caller(router)))


@router.get("/admin/offers/<offer_id>/caps", **http.documented())
def caps(offer_id: IdPath) -> Response[OfferCapsOut]:
    """Each cap with what its current period has counted and what is left."""
    return http.ok(offer_caps(offer_id, int(clock.now())))


@router.get("/admin/offers/<offer_id>/tracking-links", **http.documented())
def tracking_links(
    offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[TrackingLinkOut]]:
    return http.ok(partner_links(offer_id, base_url(router), limit, cursor))
