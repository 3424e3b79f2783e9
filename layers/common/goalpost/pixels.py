"""Advertiser conversion pixels (/aff_l, /aff_goal?a=l): the session comes from the cookie.

A pixel never breaks the advertiser's page: every answer is a valid 1x1 GIF (or empty
HTML for iframe goals), with the outcome in the ``x-goalpost-code`` header and the log.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from goalpost.params import BadRequest, optional_id, query_params, source_ip, user_agent
from goalpost.postbacks import parse_request, record_conversion, record_goal_click
from goalpost.responses import http_response

logger = logging.getLogger("goalpost.pixels")

GIF = base64.b64encode(
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
).decode()
COOKIE_PREFIX = "gp_o"
MAX_COOKIE_CHARS = 4096


def gif_response(code: str, reason: str = "") -> dict[str, Any]:
    headers = {"x-goalpost-code": code}
    if reason:
        headers["x-goalpost-reason"] = reason[:200]
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
    params: Mapping[str, str] | None = None,
    goal_click: bool = False,
) -> dict[str, Any]:
    """Record a pixel conversion (or, ``goal_click``, a goal click) and answer the GIF whatever happens."""
    try:
        if params is None:
            params = query_params(event)
        transaction_id = params.get("transaction_id") or session_from_cookies(
            event.get("cookies") or [], optional_id(params, "offer_id")
        )
        if not transaction_id:
            raise BadRequest("no tracking cookie and no transaction_id", code="no_session")
        request = parse_request(
            params,
            default_goal=default_goal,
            via="client_cookie",
            ip=source_ip(event),
            user_agent=user_agent(event),
            transaction_id=transaction_id,
        )
    except BadRequest as error:
        logger.info("pixel refused: %s", error.reason)
        return gif_response(error.code, error.reason)
    try:
        outcome = (record_goal_click if goal_click else record_conversion)(request, time.time())
    except (ClientError, BotoCoreError):
        logger.exception("pixel failed on storage")
        return gif_response("temporarily_unavailable", "temporarily unavailable")
    logger.info("pixel %s: %s", outcome.code, outcome.conversion_id or outcome.reason)
    return gif_response(outcome.code, outcome.reason)
