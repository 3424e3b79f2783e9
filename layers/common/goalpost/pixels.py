"""Advertiser conversion pixels (/aff_l, /aff_goal?a=l): the session comes from the cookie.

A pixel never breaks the advertiser's page: every answer is a valid 1x1 GIF (or empty
HTML for iframe goals), with the outcome in the ``x-goalpost-code`` header and the log.
"""

from __future__ import annotations

import base64
import html
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from goalpost import config_cache, store, telemetry
from goalpost.macros import UnsafeUrl, conversion_macros, expand_macros, expand_url, html_template_problem
from goalpost.params import BadRequest, optional_id, query_params, require_id, source_ip, user_agent
from goalpost.postbacks import parse_request, record_conversion, record_goal_click
from goalpost.responses import header_value, http_response

logger = logging.getLogger("goalpost.pixels")

GIF = base64.b64encode(
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
).decode()
COOKIE_PREFIX = "gp_o"
MAX_COOKIE_CHARS = 4096


def gif_response(code: str, reason: str = "") -> dict[str, Any]:
    headers = {"x-goalpost-code": header_value(code)}
    if reason:
        headers["x-goalpost-reason"] = header_value(reason)
    response = http_response(200, GIF, "image/gif", headers=headers)
    response["isBase64Encoded"] = True
    return response


def session_from_cookies(cookies: Sequence[str], offer_id: str | None) -> str | None:
    """The transaction id from the per-offer tracking cookie (or the only one, if one)."""
    found: dict[str, str] = {}
    for cookie in cookies:
        if len(cookie) > MAX_COOKIE_CHARS:
            continue
        name, _, value = cookie.strip().partition("=")
        if name.startswith(COOKIE_PREFIX):
            found[name.removeprefix(COOKIE_PREFIX)] = value
    if offer_id is not None:
        return found.get(offer_id)
    if len(found) == 1:
        return next(iter(found.values()))
    return None


def pixel_response(
    event: Mapping[str, Any],
    *,
    default_goal: bool,
    goal_click: bool = False,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Record a pixel conversion (or, ``goal_click``, a goal click) and answer the GIF whatever happens.

    ``params``: the query already parsed by the caller (parsed here otherwise).
    """
    try:
        if params is None:
            params = query_params(event)
        from_cookie = None
        if not params.get("transaction_id"):
            from_cookie = session_from_cookies(event.get("cookies") or [], optional_id(params, "offer_id"))
            if not from_cookie:
                raise BadRequest("no tracking cookie and no transaction_id", code="no_session")
        request = parse_request(
            params,
            default_goal=default_goal,
            via="client_cookie",
            ip=source_ip(event),
            user_agent=user_agent(event),
            transaction_id=from_cookie,
        )
    except BadRequest as error:
        telemetry.refused(event, "pixel", error.code, error.reason)
        return gif_response(error.code, error.reason)
    except (ClientError, BotoCoreError):  # the session or the signing keys could not be read
        return _unavailable(event)
    try:
        outcome = (record_goal_click if goal_click else record_conversion)(request, time.time())
    except (ClientError, BotoCoreError):
        return _unavailable(event, request.transaction_id)
    telemetry.answered(
        event, "pixel", code=outcome.code, success=outcome.success, transaction_id=request.transaction_id,
        conversion_id=outcome.conversion_id, reason=outcome.reason,
    )  # fmt: skip
    if outcome.record is not None:
        return partner_pixel_response(outcome.record, outcome.code)
    return gif_response(outcome.code, outcome.reason)


def _unavailable(event: Mapping[str, Any], transaction_id: str = "") -> dict[str, Any]:
    """Our side failed: the GIF still answers (a broken image helps nobody), the code says why."""
    logger.exception("pixel failed on storage")
    telemetry.storage_failed(event, "pixel", transaction_id)
    return gif_response("temporarily_unavailable", "temporarily unavailable")


def partner_pixel_response(conversion: Mapping[str, Any], code: str) -> dict[str, Any]:
    """What TUNE answers a converting pixel: the partner's pixels for this offer and goal.

    An iframe goal answers HTML carrying the partner's HTML code (values HTML-escaped) and
    image pixels (values URL-encoded); an image goal answers a 302 to the partner's image
    pixel, or the GIF. Only approved, non-private conversions show partner pixels.
    """
    bundle = config_cache.offer_bundle(str(conversion["offer_id"]))
    goal_id = str(conversion["goal_id"])
    goal = bundle.goal(goal_id) if bundle else None
    if bundle is None or goal is None or goal.private or conversion.get("status") != "approved":
        return gif_response(code)
    partner_id = str(conversion["partner_id"])
    mine = [p for p in bundle.pixels if p["partner_id"] == partner_id and p["goal_id"] == goal_id]
    values = conversion_macros(conversion, bundle, goal_id)
    images = []
    for pixel in mine:
        if pixel["kind"] == "image":
            try:
                images.append(expand_url(pixel["code"], values))
            except UnsafeUrl:
                logger.warning("partner image pixel %s skipped: macros in its host", pixel["pixel_id"])
    if goal.protocol == "iframe":
        # Pixels saved before the HTML rule existed are checked again: never run unsafe code.
        safe_html = [p for p in mine if p["kind"] == "html" and html_template_problem(p["code"]) is None]
        parts = [expand_macros(p["code"], values, html.escape) for p in safe_html]
        parts += [f'<img src="{html.escape(url)}" width="1" height="1" alt="">' for url in images]
        body = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            + "".join(parts)
            + "</body></html>"
        )
        return http_response(200, body, "text/html; charset=utf-8", headers={"x-goalpost-code": code})
    if images:
        return http_response(302, "", headers={"location": images[0], "x-goalpost-code": code})
    return gif_response(code)


IMPRESSION_SHARDS = 10
"""Impression counters are spread over shards so a hot offer makes no hot item."""


def impression_response(event: Mapping[str, Any]) -> dict[str, Any]:
    """``/aff_i``: count an impression for offer and partner (hourly, sharded); always a GIF."""
    try:
        params = query_params(event)
        offer_id = require_id(params, "offer_id")
        partner_id = require_id(params, "aff_id")
        bundle = config_cache.offer_bundle(offer_id)
        if bundle is None or bundle.offer.status != "active":
            raise BadRequest(f"offer {offer_id} is unknown or not active", code="offer_inactive")
        partner = config_cache.partner(partner_id)
        if partner is None or partner.status != "active":
            raise BadRequest(f"partner {partner_id} is unknown or not active", code="partner_inactive")
    except BadRequest as error:
        return gif_response(error.code, error.reason)
    now = time.time()
    try:
        store.count_impression(
            offer_id=offer_id,
            partner_id=partner_id,
            hour=time.strftime("%Y-%m-%dT%H", time.gmtime(now)),
            shard=secrets.randbelow(IMPRESSION_SHARDS),
        )
    except (ClientError, BotoCoreError):
        logger.exception("impression not counted")
        return gif_response("temporarily_unavailable", "temporarily unavailable")
    return gif_response("impression")
