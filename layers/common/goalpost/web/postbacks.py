"""Advertiser server postbacks (/aff_lsr, /aff_goal?a=lsr) over HTTP, and /aff_goal's pixel forms.

API Gateway routes by path only, so /aff_goal lands in the postback function for all of its
forms: ``a=lsr`` (the default) is a server postback, answered in text or, with
``format=json``, JSON; ``a=l`` (pixel) and ``a=lc`` (goal click) are answered by
``web.pixels``, imported on first use (most postback containers never answer one).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from goalpost import telemetry
from goalpost.model import clock
from goalpost.model.refusal import Refused
from goalpost.tracking.postbacks import record_conversion
from goalpost.web.conversion_request import request_of
from goalpost.web.params import lenient_params, query_params
from goalpost.web.responses import postback_response
from goalpost.web.status import http_status

logger = logging.getLogger("goalpost.postbacks")

PIXEL_ACTIONS = ("l", "lc")
"""``a=`` on /aff_goal answered as a pixel: ``l`` records a conversion, ``lc`` a goal click."""


def postback_answer(event: Mapping[str, Any]) -> dict[str, Any]:
    """Record the conversion a postback reports and answer it (or hand a pixel form to the pixel).

    /aff_lsr reports the default goal; /aff_goal names its goal. Refused parameters still
    answer in the format asked for (a pixel form its GIF, ``format=json`` JSON).
    """
    default_goal = event.get("rawPath", "") == "/aff_lsr"
    try:
        params = query_params(event)
    except Refused as error:
        asked = lenient_params(event)
        if not default_goal and asked.get("a") in PIXEL_ACTIONS:
            return _pixel(event, goal_click=asked["a"] == "lc")
        telemetry.refused(event, "postback", error.code, error.reason)
        return _refused(error, _format(asked))
    action = "lsr" if default_goal else params.get("a", "lsr")
    if action in PIXEL_ACTIONS:
        return _pixel(event, goal_click=action == "lc", params=params)
    fmt = _format(params)
    try:
        if action != "lsr":
            raise Refused(f"a must be lsr (postback), l (pixel) or lc (goal click), got {action[:20]!r}")
        request = request_of(event, params, default_goal=default_goal, via="server_postback")
    except Refused as error:
        telemetry.refused(event, "postback", error.code, error.reason, params.get("transaction_id", "")[:64])
        return _refused(error, fmt)
    except (ClientError, BotoCoreError):  # the signing keys (SSM) could not be read
        return _unavailable(event, fmt)
    try:
        outcome = record_conversion(request, clock.now())
    except (ClientError, BotoCoreError):
        return _unavailable(event, fmt, request.transaction_id)
    telemetry.answered(
        event, "postback", code=outcome.code, success=outcome.success, transaction_id=request.transaction_id,
        conversion_id=outcome.conversion_id, reason=outcome.reason,
    )  # fmt: skip
    return postback_response(
        http_status(outcome.code, outcome.success),
        success=outcome.success,
        code=outcome.code,
        reason=outcome.reason,
        fmt=fmt,
        conversion_id=outcome.conversion_id,
        conversion_status=outcome.conversion_status,
    )


def _format(params: Mapping[str, str]) -> str:
    return "json" if params.get("format") == "json" else "text"


def _refused(error: Refused, fmt: str) -> dict[str, Any]:
    return postback_response(
        http_status(error.code), success=False, code=error.code, reason=error.reason, fmt=fmt
    )


def _unavailable(event: Mapping[str, Any], fmt: str, transaction_id: str = "") -> dict[str, Any]:
    """Our side failed (DynamoDB or SSM throttled or timed out): said honestly; every write is
    conditional or idempotent, so the advertiser's retry cannot count twice."""
    logger.exception("postback failed on storage; safe to retry")
    telemetry.storage_failed(event, "postback", transaction_id)
    code = "temporarily_unavailable"
    return postback_response(
        http_status(code), success=False, code=code, reason="temporarily unavailable, retry", fmt=fmt
    )


def _pixel(
    event: Mapping[str, Any], *, goal_click: bool, params: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """/aff_goal's pixel forms, imported on first use: /aff_l (the default goal's pixel) is the
    pixel function's, so most postback containers never answer one."""
    from goalpost.web.pixels import pixel_response

    return pixel_response(event, default_goal=False, goal_click=goal_click, params=params)
