"""An offer's additional goals (TUNE's Offer Goals) and the Manage Offer Goals table."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, merged, save
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.exports import to_csv
from goalpost.admin.http import IdPath, IfMatch
from goalpost.admin.network import base_url
from goalpost.admin.offers import (
    bundle_of,
    check_references,
    get_offer,
    network_allows,
    unique_slug,
    update_offer,
    validated,
)
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import DefaultGoalPatch, GoalIn, GoalPatch, OfferPatch
from goalpost.admin.views import GoalDetailOut, GoalOut, ManageGoalsOut, Page
from goalpost.model.money import format_money
from goalpost.model.offer import DEFAULT_GOAL_ID, Goal, OfferBundle, Rate
from goalpost.rules.engine import advertiser_of, goals_disabled, offer_goals
from goalpost.rules.links import goal_links
from goalpost.store import config_store, signing_keys

TOKEN_PLACEHOLDER = "HIDDEN"  # noqa: S105 (a placeholder, not a secret)
"""Stands for the advertiser's security token in the links: only its SHA-256 is kept (the admin
saw the token once, when it was set or rotated, and puts it in place of the placeholder)."""


def _links(base_url: str, goal: Goal, bundle: OfferBundle) -> dict[str, str]:
    """The goal's links, with ``security_token=HIDDEN`` when its advertiser has a token."""
    advertiser = config_store.get_advertiser(advertiser_of(goal, bundle))
    token_set = advertiser is not None and bool(advertiser.security_token or advertiser.security_token_sha256)
    token = TOKEN_PLACEHOLDER if token_set else ""
    return goal_links(base_url, goal, token, signing_keys.signing_key() if goal.encrypted else None)


def _goal_from(offer_id: str, goal_id: str, slug: str, body: GoalIn, advertiser_id: str) -> Goal:
    """The goal as the request sets it; ids, slug and (unless the goal names its own) the
    advertiser are the server's."""
    owned = {"goal_id": goal_id, "offer_id": offer_id, "slug": slug}
    advertiser = body.advertiser_id or advertiser_id
    return Goal.from_dict({**body.model_dump(), **owned, "advertiser_id": advertiser})


def create_goal(offer_id: str, body: GoalIn, base_url: str, caller: Caller) -> dict[str, Any]:
    offer_doc = get_offer(offer_id)
    network = config_store.get_network_settings()
    bundle = bundle_of(offer_id)
    off = goals_disabled(network, bundle.offer)
    if off is not None:
        raise ApiError("goals_disabled", f"{off}: switch them on before adding goals")
    network_allows(network, approve=body.approve, encrypted=body.encrypted)
    check_references(body)
    slug = unique_slug(bundle, body.name)
    goal_id = config_store.next_id("goal")
    goal = _goal_from(offer_id, goal_id, slug, body, str(offer_doc["advertiser_id"]))
    index = config_store.index_item(f"GOAL#{goal_id}", "OFFER", "goal_index", {"offer_id": offer_id})
    saved = save("goal", goal_id, goal.to_dict(), caller, parent_offer_id=offer_id, extra_items=(index,))
    return {**saved, "links": _links(base_url, goal, bundle)}


def list_goals(offer_id: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    """The default goal first, then additional goals while goals are on for network and offer."""
    bundle = bundle_of(offer_id)
    first = [bundle.offer.default_goal.to_dict()] if cursor is None else []
    if goals_disabled(config_store.get_network_settings(), bundle.offer) is not None:
        return {"items": first, "next_cursor": None}
    docs, last = config_store.offer_items_page(
        offer_id, "GOAL#", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(first + docs, last)


def get_goal(offer_id: str, goal_id: str, base_url: str) -> dict[str, Any]:
    """A goal's detail: settings, its slug (the URL-friendly name) and its tracking links."""
    bundle = bundle_of(offer_id)
    goal = next(
        (g for g in offer_goals(bundle, config_store.get_network_settings()) if g.goal_id == goal_id), None
    )
    if goal is None:
        raise not_found("goal", goal_id)
    if goal.is_default:  # it lives on the offer: its version is the offer's
        doc = config_store.get_entity("offer", offer_id) or {}
    else:
        doc = config_store.get_entity("goal", goal_id, offer_id) or {}
    links = _links(base_url, goal, bundle)
    return {**goal.to_dict(), "version": doc.get("version", 0), "links": links}


_ADDITIONAL_ONLY = {
    "end_point": "only additional goals can be an end point",
    "private": "the default goal cannot be private",
    "status": "the default goal follows the offer's status: change the offer's",
    "advertiser_id": "the default goal's advertiser is the offer's",
    "min_session_seconds": "the default goal's lookback is the offer's: change the offer's",
    "max_session_seconds": "the default goal's lookback is the offer's: change the offer's",
}


def _default_goal_patch(patch: GoalPatch, current: dict[str, Any]) -> DefaultGoalPatch:
    """A goal PATCH of the default goal, as the offer's ``default_goal`` change it is.

    What only additional goals have is refused when it would change anything (sending the
    default goal's own value back, as an edit form does, is no change)."""
    sent = patch.model_dump(exclude_unset=True)
    problems = [
        {"loc": ["body", name], "msg": _ADDITIONAL_ONLY[name], "type": "additional_goal_only"}
        for name in _ADDITIONAL_ONLY
        if name in sent and sent[name] != current.get(name)
    ]
    if problems:
        raise ApiError("default_goal", "these settings belong to additional goals only", problems)
    return DefaultGoalPatch.model_validate(
        {k: v for k, v in sent.items() if k in DefaultGoalPatch.model_fields}
    )


def update_goal(
    offer_id: str, goal_id: str, patch: GoalPatch, expected_version: int, base_url: str, caller: Caller
) -> dict[str, Any]:
    if goal_id == DEFAULT_GOAL_ID:
        offer = get_offer(offer_id)
        change = _default_goal_patch(patch, offer["default_goal"])
        update_offer(offer_id, OfferPatch(default_goal=change), expected_version, caller)
        return get_goal(offer_id, goal_id, base_url)
    current = config_store.get_entity("goal", goal_id, offer_id)
    if current is None:
        raise not_found("goal", goal_id)
    check_version(current, expected_version)
    body = validated(
        GoalIn,
        merged(
            {k: v for k, v in current.items() if k in GoalIn.model_fields},
            patch,
            frozenset({"regenerate_slug"}),
        ),
    )
    network = config_store.get_network_settings()
    network_allows(
        network,
        approve=body.approve and not current.get("approve"),
        encrypted=body.encrypted and not current.get("encrypted"),
    )
    check_references(body)
    bundle = bundle_of(offer_id)
    if body.private and not current.get("private"):
        _private_blockers(offer_id, goal_id, bundle)
    slug = unique_slug(bundle, body.name, except_goal=goal_id) if patch.regenerate_slug else current["slug"]
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


def manage_view(offer_id: str) -> list[dict[str, object]]:
    """The Manage Offer Goals table, as TUNE shows it."""
    rows: list[dict[str, object]] = []
    for goal in offer_goals(bundle_of(offer_id), config_store.get_network_settings()):
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


def manage_csv(rows: list[dict[str, object]]) -> str:
    return to_csv(MANAGE_COLUMNS, rows)


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.post("/admin/offers/<offer_id>/goals", **http.documented(201, writes=True))
def create(offer_id: IdPath, body: GoalIn) -> Response[GoalDetailOut]:
    links_base = base_url(router)
    return http.create(
        router,
        lambda caller: create_goal(offer_id, body, links_base, caller),
        lambda made: get_goal(offer_id, made.entity_id, links_base),
    )


@router.get("/admin/offers/<offer_id>/goals", **http.documented())
def list_all(offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[GoalOut]]:
    return http.ok(list_goals(offer_id, limit, cursor))


@router.get("/admin/offers/<offer_id>/goals/manage", **http.documented(csv=ManageGoalsOut))
def manage(
    offer_id: IdPath, output: Annotated[str, Query(alias="format", pattern="^(json|csv)$")] = "json"
) -> Response[ManageGoalsOut | str]:
    rows = manage_view(offer_id)
    if output == "csv":
        return http.csv_text(manage_csv(rows))
    return http.ok({"items": rows, "next_cursor": None})


@router.get("/admin/offers/<offer_id>/goals/<goal_id>", **http.documented())
def get(offer_id: IdPath, goal_id: IdPath) -> Response[GoalDetailOut]:
    return http.entity(get_goal(offer_id, goal_id, base_url(router)))


@router.patch("/admin/offers/<offer_id>/goals/<goal_id>", **http.documented(writes=True))
def update(offer_id: IdPath, goal_id: IdPath, body: GoalPatch, if_match: IfMatch) -> Response[GoalDetailOut]:
    changed = update_goal(
        offer_id, goal_id, body, http.version(if_match), base_url(router), http.caller(router)
    )
    return http.entity(changed)
