"""Partner pixels and postbacks: what fires for a partner when its conversion is approved."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, save
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath, IfMatch
from goalpost.admin.offers import bundle_of, get_offer
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import PartnerPixelIn
from goalpost.admin.views import Page, PartnerPixelOut
from goalpost.model.audit import Audit
from goalpost.store import config_store

PIXELS_PER_PARTNER_AND_OFFER = 20
"""Each offer's pixels are read with it by every click, postback and pixel (the offer bundle,
cached 30 s), and a conversion calls all of its partner's: a partner keeps at most 20 per offer,
each at most ``PIXEL_CODE_BYTES`` (README, Security: what that costs to read)."""


def _slot_scope(offer_id: str, partner_id: str) -> str:
    return f"PIXELS#{offer_id}#{partner_id}"


def create_partner_pixel(offer_id: str, body: PartnerPixelIn, caller: Caller) -> dict[str, Any]:
    goal = bundle_of(offer_id).goal(body.goal_id)
    if goal is None:
        raise not_found("goal", body.goal_id)
    if goal.private:
        raise ApiError(
            "private_goal", f"goal {body.goal_id} is private: partners get no pixels or postbacks for it"
        )
    if config_store.get_entity("partner", body.partner_id) is None:
        raise not_found("partner", body.partner_id)
    pixel_id = config_store.next_id("pixel")
    doc = {"pixel_id": pixel_id, "offer_id": offer_id, **body.model_dump()}
    slot = config_store.slot_item(_slot_scope(offer_id, body.partner_id), PIXELS_PER_PARTNER_AND_OFFER)
    try:
        return save("partner_pixel", pixel_id, doc, caller, parent_offer_id=offer_id, extra_items=(slot,))
    except config_store.LimitReached:
        raise ApiError(
            "too_many_pixels",
            f"partner {body.partner_id} has {PIXELS_PER_PARTNER_AND_OFFER} postbacks and pixels on offer"
            f" {offer_id}, the most it may have: remove one first",
        ) from None


def get_partner_pixel(offer_id: str, pixel_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("partner_pixel", pixel_id, offer_id)
    if doc is None:
        raise not_found("partner pixel", pixel_id)
    return doc


def list_partner_pixels(offer_id: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    get_offer(offer_id)
    docs, last = config_store.offer_items_page(
        offer_id, "PIXEL#", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(docs, last)


def delete_partner_pixel(offer_id: str, pixel_id: str, expected_version: int | None, caller: Caller) -> None:
    """Remove a pixel at the version the caller read (None: as it is now); 412 if it changed."""
    current = get_partner_pixel(offer_id, pixel_id)
    wanted = int(current.get("version", 0)) if expected_version is None else expected_version
    check_version(current, wanted)
    deleted = config_store.delete_entity(
        "partner_pixel",
        pixel_id,
        audit=Audit(caller.actor, caller.at, "delete", current, None),
        expected_version=wanted,
        parent_offer_id=offer_id,
        extra_items=(config_store.slot_release(_slot_scope(offer_id, str(current["partner_id"]))),),
    )
    if not deleted:
        raise ApiError("version_conflict", f"partner pixel {pixel_id} changed or went meanwhile: reload")


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.post("/admin/offers/<offer_id>/partner-pixels", **http.documented(201, writes=True))
def create(offer_id: IdPath, body: PartnerPixelIn) -> Response[PartnerPixelOut]:
    return http.create(
        router,
        lambda caller: create_partner_pixel(offer_id, body, caller),
        lambda made: get_partner_pixel(offer_id, made.entity_id),
    )


@router.get("/admin/offers/<offer_id>/partner-pixels", **http.documented())
def list_all(
    offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[PartnerPixelOut]]:
    return http.ok(list_partner_pixels(offer_id, limit, cursor))


@router.delete("/admin/offers/<offer_id>/partner-pixels/<pixel_id>", **http.documented(204, writes=True))
def delete(offer_id: IdPath, pixel_id: IdPath, if_match: IfMatch) -> Response[None]:
    delete_partner_pixel(offer_id, pixel_id, http.version(if_match), http.caller(router))
    return http.no_content()
