"""Admin use cases for offers and their goals, partner payouts and pixels, and conversions."""

from typing import Any, TypeVar

from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.exports import to_csv
from goalpost.admin.schemas import (
    CustomPayoutIn,
    DecisionIn,
    DefaultGoalIn,
    GoalIn,
    GoalPatch,
    OfferIn,
    OfferPatch,
    PartnerPixelIn,
)
from goalpost.admin.service import (
    Caller,
    check_limit,
    check_version,
    decode_cursor,
    merged,
    page,
    rate,
    save,
)
from goalpost.model.caps import MEASURES, Cap, Measure
from goalpost.model.money import format_money
from goalpost.model.offer import DEFAULT_GOAL_ID, Goal, NetworkSettings, Offer, OfferBundle, Rate
from goalpost.rules.audit import Audit
from goalpost.rules.caps import cap_status, counter_sort_keys
from goalpost.rules.engine import advertiser_of, goals_disabled, offer_goals
from goalpost.rules.links import goal_links, partner_tracking_link
from goalpost.rules.slugs import slug_of
from goalpost.rules.status import adjustment
from goalpost.store import (
    config_store,
    conversion_store,
    counter_store,
    delivery_store,
    report_store,
)

Settings = TypeVar("Settings", DefaultGoalIn, GoalIn)


def _network_allows(network: NetworkSettings, *, approve: bool, encrypted: bool) -> None:
    if approve and not network.approval_enabled:
        raise ApiError(409, "approval_disabled", "conversion approval is disabled on this network")
    if encrypted and not network.encrypted_enabled:
        raise ApiError(409, "encrypted_disabled", "encrypted conversion tracking is disabled on this network")


def _bundle(offer_id: str) -> OfferBundle:
    bundle = config_store.load_offer_bundle(offer_id)
    if bundle is None:
        raise not_found("offer", offer_id)
    return bundle


def _default_goal(offer_id: str, advertiser_id: str, settings: DefaultGoalIn, slug: str = "") -> Goal:
    return Goal(
        goal_id=DEFAULT_GOAL_ID,
        offer_id=offer_id,
        name=settings.name,
        slug=slug or slug_of(settings.name) or "conversion",
        advertiser_id=advertiser_id,
        protocol=settings.protocol,
        ref_id=settings.ref_id,
        payout=rate(settings.payout),
        revenue=rate(settings.revenue),
        allow_multiple=settings.allow_multiple,
        approve=settings.approve,
        encrypted=settings.encrypted,
    )


# ------------------------------------------------------------------ offers


def create_offer(body: OfferIn, caller: Caller) -> dict[str, Any]:
    if config_store.get_entity("advertiser", body.advertiser_id) is None:
        raise ApiError(422, "unknown_advertiser", f"advertiser {body.advertiser_id} does not exist")
    network = config_store.get_network_settings()
    _network_allows(network, approve=body.default_goal.approve, encrypted=body.default_goal.encrypted)
    offer_id = config_store.next_id("offer")
    offer = Offer(
        offer_id=offer_id,
        name=body.name,
        advertiser_id=body.advertiser_id,
        offer_url=body.offer_url,
        default_goal=_default_goal(offer_id, body.advertiser_id, body.default_goal),
        status=body.status,
        session_hours=body.session_hours or network.session_hours,
        currency=body.currency or network.currency,
        goals_enabled=body.goals_enabled,
        ref_id=body.ref_id,
        timezone=body.timezone,
        caps=tuple(Cap.from_dict(c.model_dump()) for c in body.caps),
        cap_action=body.cap_action,
        cap_shards=body.cap_shards,
        min_session_seconds=body.min_session_seconds or 0,
        max_session_seconds=body.max_session_seconds or 0,
    )
    doc = {k: v for k, v in offer.to_dict().items() if k != "version"}
    return save("offer", offer_id, doc, caller)


def get_offer(offer_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("offer", offer_id)
    if doc is None:
        raise not_found("offer", offer_id)
    return doc


def update_offer(offer_id: str, patch: OfferPatch, expected_version: int, caller: Caller) -> dict[str, Any]:
    """Only what the request sends changes, inside the default goal too."""
    current = get_offer(offer_id)
    check_version(current, expected_version)
    doc = merged({k: v for k, v in current.items() if k != "version"}, patch, frozenset({"default_goal"}))
    if patch.default_goal is not None:
        old_goal = current["default_goal"]
        settings = _validated(
            DefaultGoalIn,
            merged(
                {k: v for k, v in old_goal.items() if k in DefaultGoalIn.model_fields},
                patch.default_goal,
                frozenset({"regenerate_slug"}),
            ),
        )
        _network_allows(
            config_store.get_network_settings(),
            approve=settings.approve and not old_goal.get("approve"),
            encrypted=settings.encrypted and not old_goal.get("encrypted"),
        )
        slug = str(old_goal["slug"])
        if patch.default_goal.regenerate_slug:
            slug = _unique_slug(_bundle(offer_id), settings.name, except_goal=DEFAULT_GOAL_ID)
        doc["default_goal"] = _default_goal(offer_id, str(current["advertiser_id"]), settings, slug).to_dict()
    return save("offer", offer_id, doc, caller, before=current, expected_version=expected_version)


def offer_caps(offer_id: str, now: int) -> dict[str, Any]:
    """The offer's caps with what the current day, month or lifetime has counted so far."""
    offer = _bundle(offer_id).offer
    rows = cap_usage(offer, now)
    return {"offer_id": offer_id, "timezone": offer.timezone, "cap_action": offer.cap_action, "caps": rows}


def cap_usage(
    offer: Offer, now: int, partner_id: str | None = None, measures: tuple[Measure, ...] = MEASURES
) -> list[dict[str, Any]]:
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


def list_offers(limit: int, cursor: str | None) -> dict[str, Any]:
    docs, last = config_store.list_entities("offer", limit=check_limit(limit), cursor=decode_cursor(cursor))
    return page(docs, last)


def partner_links(offer_id: str, base_url: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Each partner's tracking link for this offer."""
    get_offer(offer_id)
    docs, last = config_store.list_entities("partner", limit=check_limit(limit), cursor=decode_cursor(cursor))
    items = [
        {
            "partner_id": d["partner_id"],
            "name": d["name"],
            "status": d["status"],
            "tracking_link": partner_tracking_link(base_url, offer_id, d["partner_id"]),
        }
        for d in docs
    ]
    return page(items, last)


# ------------------------------------------------------------------ goals


def _links(base_url: str, goal: Goal, bundle: OfferBundle) -> dict[str, Any]:
    """The goal's links, carrying its advertiser's security token when one is set."""
    advertiser = config_store.get_advertiser(advertiser_of(goal, bundle))
    return goal_links(base_url, goal, advertiser.security_token if advertiser else "")


def _check_references(body: GoalIn) -> None:
    """Payout structures and partner tiers a goal names must exist."""
    for structure_id in body.payout_structure_ids:
        if config_store.get_entity("structure", structure_id) is None:
            raise ApiError(422, "unknown_payout_structure", f"payout structure {structure_id} does not exist")
    for tier_id in {*body.tier_payouts, *body.tier_revenues}:
        if config_store.get_entity("tier", tier_id) is None:
            raise ApiError(422, "unknown_tier", f"partner tier {tier_id} does not exist")


def _goal_from(offer_id: str, goal_id: str, slug: str, body: GoalIn, advertiser_id: str) -> Goal:
    return Goal(
        goal_id=goal_id,
        offer_id=offer_id,
        name=body.name,
        slug=slug,
        status=body.status,
        description=body.description,
        advertiser_id=body.advertiser_id or advertiser_id,
        protocol=body.protocol,
        ref_id=body.ref_id,
        payout=rate(body.payout),
        revenue=rate(body.revenue),
        tiers_enabled=body.tiers_enabled,
        tier_payouts={k: rate(v) for k, v in body.tier_payouts.items()},
        tier_revenues={k: rate(v) for k, v in body.tier_revenues.items()},
        payout_structure_ids=tuple(body.payout_structure_ids),
        allow_multiple=body.allow_multiple,
        end_point=body.end_point,
        approve=body.approve,
        encrypted=body.encrypted,
        private=body.private,
        min_session_seconds=body.min_session_seconds,
        max_session_seconds=body.max_session_seconds,
    )


def _unique_slug(bundle: OfferBundle, name: str, except_goal: str = "") -> str:
    slug = slug_of(name)
    if not slug:
        raise ApiError(422, "bad_name", "goal name has no characters usable in a URL-friendly name")
    everyone = (bundle.offer.default_goal, *bundle.goals.values())
    taken = {g.slug for g in everyone if g.goal_id != except_goal}
    if slug in taken:
        raise ApiError(409, "slug_taken", f"offer {bundle.offer.offer_id} already has a goal named {slug!r}")
    return slug


def create_goal(offer_id: str, body: GoalIn, base_url: str, caller: Caller) -> dict[str, Any]:
    offer_doc = get_offer(offer_id)
    network = config_store.get_network_settings()
    bundle = _bundle(offer_id)
    off = goals_disabled(network, bundle.offer)
    if off is not None:
        raise ApiError(409, "goals_disabled", f"{off}: switch them on before adding goals")
    _network_allows(network, approve=body.approve, encrypted=body.encrypted)
    _check_references(body)
    slug = _unique_slug(bundle, body.name)
    goal_id = config_store.next_id("goal")
    goal = _goal_from(offer_id, goal_id, slug, body, str(offer_doc["advertiser_id"]))
    index = config_store.index_item(f"GOAL#{goal_id}", "OFFER", "goal_index", {"offer_id": offer_id})
    saved = save("goal", goal_id, goal.to_dict(), caller, parent_offer_id=offer_id, extra_items=(index,))
    return {**saved, "links": _links(base_url, goal, bundle)}


def list_goals(offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The default goal first, then additional goals while goals are on for network and offer."""
    bundle = _bundle(offer_id)
    first = [bundle.offer.default_goal.to_dict()] if cursor is None else []
    if goals_disabled(config_store.get_network_settings(), bundle.offer) is not None:
        return {"items": first, "next_cursor": None}
    docs, last = config_store.offer_items_page(
        offer_id, "GOAL#", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(first + docs, last)


def get_goal(offer_id: str, goal_id: str, base_url: str) -> dict[str, Any]:
    """A goal's detail: settings, its slug (the URL-friendly name) and its tracking links."""
    bundle = _bundle(offer_id)
    goal = next(
        (g for g in offer_goals(bundle, config_store.get_network_settings()) if g.goal_id == goal_id), None
    )
    if goal is None:
        raise not_found("goal", goal_id)
    doc = config_store.get_entity("goal", goal_id, offer_id) or {}
    links = _links(base_url, goal, bundle)
    return {**goal.to_dict(), "version": doc.get("version", 0), "links": links}


def update_goal(
    offer_id: str, goal_id: str, patch: GoalPatch, expected_version: int, base_url: str, caller: Caller
) -> dict[str, Any]:
    if goal_id == DEFAULT_GOAL_ID:
        raise ApiError(
            409, "default_goal", "edit the default goal through the offer (PATCH /admin/offers/<id>)"
        )
    current = config_store.get_entity("goal", goal_id, offer_id)
    if current is None:
        raise not_found("goal", goal_id)
    check_version(current, expected_version)
    body = _validated(
        GoalIn,
        merged(
            {k: v for k, v in current.items() if k in GoalIn.model_fields},
            patch,
            frozenset({"regenerate_slug"}),
        ),
    )
    network = config_store.get_network_settings()
    _network_allows(
        network,
        approve=body.approve and not current.get("approve"),
        encrypted=body.encrypted and not current.get("encrypted"),
    )
    _check_references(body)
    bundle = _bundle(offer_id)
    if body.private and not current.get("private"):
        _private_blockers(offer_id, goal_id, bundle)
    slug = _unique_slug(bundle, body.name, except_goal=goal_id) if patch.regenerate_slug else current["slug"]
    goal = _goal_from(offer_id, goal_id, slug, body, str(current["advertiser_id"]))
    saved = save(
        "goal",
        goal_id,
        goal.to_dict(),
        caller,
        before=current,
        expected_version=expected_version,
        parent_offer_id=offer_id,
    )
    return {**saved, "links": _links(base_url, goal, bundle)}


def _validated(model: type[Settings], data: dict[str, Any]) -> Settings:
    """The whole document after a partial change, validated as if it had been sent whole."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
        raise ApiError(422, "validation_error", "the goal after this change is not valid", details) from None


def _private_blockers(offer_id: str, goal_id: str, bundle: OfferBundle) -> None:
    """Private goals pay nothing: refuse while custom payouts or partner pixels would be kept.

    A custom payout of 0 pays nothing either, so it does not stand in the way.
    """
    payouts = [p for (p, g), payout in bundle.custom_payouts.items() if g == goal_id and not payout.is_zero]
    pixels = [p for p in config_store.offer_items(offer_id, "PIXEL#") if p["goal_id"] == goal_id]
    blockers = []
    if payouts:
        blockers.append(f"custom partner payouts for partners {', '.join(sorted(payouts))}")
    if pixels:
        blockers.append(f"partner pixels {', '.join(sorted(p['pixel_id'] for p in pixels))}")
    if blockers:
        raise ApiError(
            409,
            "private_goal_conflict",
            f"before making goal {goal_id} private, remove {' and '.join(blockers)}",
        )


MANAGE_COLUMNS = (
    "ID", "Name", "Status", "Advertiser", "Tracking Pixel Type",
    "Endpoint", "Private", "Allow Multiples", "Payout", "Revenue",
)  # fmt: skip


def _describe(value: Rate) -> str:
    """``2.50``, ``20%`` or ``1.00 + 10%``, as the Manage view shows payouts and revenues."""
    parts = []
    if value.flat:
        parts.append(format_money(value.flat))
    if value.percent:
        parts.append(f"{value.percent.normalize():f}%")
    return " + ".join(parts) or "0"


def manage_view(offer_id: str) -> list[dict[str, Any]]:
    """The Manage Offer Goals table, as TUNE shows it."""
    rows = []
    for goal in offer_goals(_bundle(offer_id), config_store.get_network_settings()):
        rows.append(
            dict(
                zip(
                    MANAGE_COLUMNS,
                    (
                        goal.goal_id,
                        goal.name,
                        goal.status,
                        goal.advertiser_id,
                        goal.protocol,
                        goal.end_point,
                        goal.private,
                        goal.allow_multiple,
                        _describe(goal.payout),
                        _describe(goal.revenue),
                    ),
                    strict=True,
                )
            )
        )
    return rows


def manage_csv(rows: list[dict[str, Any]]) -> str:
    return to_csv(MANAGE_COLUMNS, rows)


# ------------------------------------------------------------------ custom payouts and partner pixels


def set_custom_payout(
    offer_id: str, partner_id: str, goal_id: str, body: CustomPayoutIn, expected_version: int, caller: Caller
) -> dict[str, Any]:
    """A partner's own payout on one goal; conversions keep the payout they were made with.

    ``expected_version`` 0 creates (412 if one exists); otherwise the version being replaced.
    """
    goal = _bundle(offer_id).goal(goal_id)
    if goal is None:
        raise not_found("goal", goal_id)
    if goal.private:
        raise ApiError(
            409,
            "private_goal",
            f"goal {goal_id} is private: private goals pay nothing, so they take no custom payouts",
        )
    if config_store.get_entity("partner", partner_id) is None:
        raise not_found("partner", partner_id)
    key = f"{partner_id}#{goal_id}"
    current = config_store.get_entity("custom_payout", key, offer_id)
    check_version(current or {"version": 0}, expected_version)
    doc = {
        "partner_id": partner_id,
        "goal_id": goal_id,
        "payout": rate(body.payout).to_dict(),
        "set_at": caller.at,
    }
    return save(
        "custom_payout",
        key,
        doc,
        caller,
        before=current,
        expected_version=expected_version or None,
        parent_offer_id=offer_id,
    )


def delete_custom_payout(
    offer_id: str, partner_id: str, goal_id: str, expected_version: int, caller: Caller
) -> None:
    """The partner goes back to the goal's tier or default payout, for future conversions."""
    key = f"{partner_id}#{goal_id}"
    current = config_store.get_entity("custom_payout", key, offer_id)
    if current is None:
        raise not_found("custom payout", key)
    check_version(current, expected_version)
    config_store.delete_entity(
        "custom_payout",
        key,
        audit=Audit(caller.actor, caller.at, "delete", current, None),
        parent_offer_id=offer_id,
    )


def list_custom_payouts(offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    get_offer(offer_id)
    docs, last = config_store.offer_items_page(
        offer_id, "PAYOUT#", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(docs, last)


def create_partner_pixel(offer_id: str, body: PartnerPixelIn, caller: Caller) -> dict[str, Any]:
    goal = _bundle(offer_id).goal(body.goal_id)
    if goal is None:
        raise not_found("goal", body.goal_id)
    if goal.private:
        raise ApiError(
            409, "private_goal", f"goal {body.goal_id} is private: partners get no pixels or postbacks for it"
        )
    if config_store.get_entity("partner", body.partner_id) is None:
        raise not_found("partner", body.partner_id)
    pixel_id = config_store.next_id("pixel")
    doc = {"pixel_id": pixel_id, "offer_id": offer_id, **body.model_dump()}
    return save("partner_pixel", pixel_id, doc, caller, parent_offer_id=offer_id)


def get_partner_pixel(offer_id: str, pixel_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("partner_pixel", pixel_id, offer_id)
    if doc is None:
        raise not_found("partner pixel", pixel_id)
    return doc


def list_partner_pixels(offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    get_offer(offer_id)
    docs, last = config_store.offer_items_page(
        offer_id, "PIXEL#", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(docs, last)


def delete_partner_pixel(offer_id: str, pixel_id: str, caller: Caller) -> None:
    current = get_partner_pixel(offer_id, pixel_id)
    config_store.delete_entity(
        "partner_pixel",
        pixel_id,
        audit=Audit(caller.actor, caller.at, "delete", current, None),
        parent_offer_id=offer_id,
    )


# ------------------------------------------------------------------ conversions


def list_conversions(offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    get_offer(offer_id)
    items, last = report_store.offer_conversions(
        offer_id, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([conversion_store.without_storage_fields(item) for item in items], last)


# ------------------------------------------------------------------ partner postback deliveries


def list_deliveries(offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    get_offer(offer_id)
    items, last = delivery_store.list_deliveries(
        offer_id, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([conversion_store.without_storage_fields(item) for item in items], last)


def retry_delivery(offer_id: str, delivery_id: str, caller: Caller) -> dict[str, Any]:
    """Send a failed partner postback again now (a delivered one is never sent twice)."""
    from goalpost.streams.partner_postbacks import redeliver

    current = delivery_store.get_delivery(offer_id, delivery_id)
    if current is None:
        raise not_found("delivery", delivery_id)
    if current.get("status") == "delivered":
        raise ApiError(409, "already_delivered", f"delivery {delivery_id} already succeeded")
    result = redeliver(offer_id, delivery_id, caller.epoch, caller.at)
    if result is None:
        raise not_found("delivery", delivery_id)
    return conversion_store.without_storage_fields(result)


# ------------------------------------------------------------------ approvals


def list_pending(offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    get_offer(offer_id)
    items, last = report_store.offer_conversions_with_status(
        offer_id, "pending", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([conversion_store.without_storage_fields(item) for item in items], last)


def decide(body: DecisionIn, caller: Caller) -> dict[str, Any]:
    """Approve, reject or re-approve conversions; each change is an adjustment (who, when, why).

    Leaving approved writes a clawback; becoming approved fires the partner's postbacks
    (through the conversions stream).
    """
    results = []
    for conversion_id in body.conversion_ids:
        conversion = conversion_store.get_conversion(conversion_id)
        if conversion is None or conversion.get("kind") != "conversion":
            results.append({"conversion_id": conversion_id, "outcome": "not_found"})
            continue
        old = str(conversion["status"])
        if old == body.status:
            results.append({"conversion_id": conversion_id, "outcome": "unchanged", "status": old})
            continue
        change = adjustment(
            conversion, new_status=body.status, reason=body.note or f"{body.status} by admin", at=caller.at,
            via="admin", actor=caller.actor, amounts={},
        )  # fmt: skip
        changed = conversion_store.adjust_conversion_status(conversion, change, audit_actor=caller.actor)
        outcome = "updated" if changed else "conflict"
        results.append(
            {"conversion_id": conversion_id, "outcome": outcome, "status": body.status if changed else old}
        )
    return {"items": results, "next_cursor": None}
