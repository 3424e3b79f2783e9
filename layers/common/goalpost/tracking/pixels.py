"""What a converting pixel shows, and the impression pixel's count (HTTP is ``web.pixels``)."""

import html
import logging
import secrets
import time
from collections.abc import Mapping
from typing import NamedTuple

from goalpost.model.conversion import TEST, Conversion
from goalpost.model.ids import require_id
from goalpost.model.refusal import Refused
from goalpost.rules.macros import (
    UnsafeUrl,
    conversion_macros,
    expand_macros,
    expand_url,
    html_template_problem,
)
from goalpost.store import config_cache, counter_store

logger = logging.getLogger("goalpost.pixels")


class PartnerPixels(NamedTuple):
    """The partner's pixels a conversion fires: HTML (iframe goals) and image URLs, expanded."""

    iframe: bool
    html: tuple[str, ...]
    images: tuple[str, ...]


def partner_pixels(conversion: Conversion) -> PartnerPixels | None:
    """What TUNE answers a converting pixel: the partner's pixels for this offer and goal.

    Only approved, non-private conversions show partner pixels (None otherwise), and test
    conversions the tester asked to tell (``{test}`` is 1 in their macros). HTML code
    gets its values HTML-escaped, image pixels URL-encoded; pixels saved before the HTML rule
    existed are checked again, so unsafe code never runs.
    """
    bundle = config_cache.offer_bundle(conversion.offer_id)
    goal_id = conversion.goal_id
    goal = bundle.goal(goal_id) if bundle else None
    told = conversion.status == "approved" or (conversion.status == TEST and conversion.test_delivery)
    if bundle is None or goal is None or goal.private or not told:
        return None
    partner_id = conversion.partner_id
    mine = [p for p in bundle.pixels if p["partner_id"] == partner_id and p["goal_id"] == goal_id]
    values = conversion_macros(conversion, bundle, goal_id)
    images = []
    for pixel in mine:
        if pixel["kind"] == "image":
            try:
                images.append(expand_url(pixel["code"], values))
            except UnsafeUrl:
                logger.warning("partner image pixel %s skipped: macros in its host", pixel["pixel_id"])
    iframe = goal.protocol == "iframe"
    safe = [
        expand_macros(p["code"], values, html.escape)
        for p in mine
        if iframe and p["kind"] == "html" and html_template_problem(p["code"]) is None
    ]
    return PartnerPixels(iframe=iframe, html=tuple(safe), images=tuple(images))


IMPRESSION_SHARDS = 10
"""Impression counters are spread over shards so a hot offer makes no hot item."""


def count_impression(params: Mapping[str, str], now: float) -> None:
    """``/aff_i``: count an impression for an active offer and partner (hourly, sharded)."""
    offer_id = require_id(params, "offer_id")
    partner_id = require_id(params, "aff_id")
    bundle = config_cache.offer_bundle(offer_id)
    if bundle is None or bundle.offer.status != "active":
        raise Refused(f"offer {offer_id} is unknown or not active", code="offer_inactive")
    partner = config_cache.partner(partner_id)
    if partner is None or partner.status != "active":
        raise Refused(f"partner {partner_id} is unknown or not active", code="partner_inactive")
    counter_store.count_impression(
        offer_id=offer_id,
        partner_id=partner_id,
        hour=time.strftime("%Y-%m-%dT%H", time.gmtime(now)),
        shard=secrets.randbelow(IMPRESSION_SHARDS),
    )
