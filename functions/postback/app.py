"""GET /aff_lsr and /aff_goal - advertiser server postbacks (and goal pixels, a=l).

API Gateway routes by path only, so /aff_goal lands here for both of its forms; the
pixel form (a=l) is answered by the same layer function as /aff_l.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

gc.disable()  # no garbage collections while the init phase imports: they cost ~30 ms (make bench)

from botocore.exceptions import BotoCoreError, ClientError

from goalpost import telemetry
from goalpost.model import clock
from goalpost.model.refusal import Refused
from goalpost.store import dynamo, signing_keys
from goalpost.tracking.postbacks import record_conversion
from goalpost.web.conversion_request import conversion_request
from goalpost.web.params import lenient_params, query_params, source_ip, user_agent
from goalpost.web.responses import postback_response
from goalpost.web.status import http_status

logger = logging.getLogger()
logger.setLevel(logging.INFO)
dynamo.client()  # create the DynamoDB client in the init phase
signing_keys.check_environment_keys()  # malformed keys in the environment fail the cold start loudly
gc.enable()
gc.freeze()  # what init built is permanent: warm invocations never scan it


def _unavailable(event: dict[str, Any], fmt: str, transaction_id: str = "") -> dict[str, Any]:
    """Our side failed (DynamoDB or SSM throttled or timed out): said honestly; every write is
    conditional or idempotent, so the advertiser's retry cannot count twice."""
    logger.exception("postback failed on storage; safe to retry")
    telemetry.storage_failed(event, "postback", transaction_id)
    reason = "temporarily unavailable, retry"
    return postback_response(
        http_status("temporarily_unavailable"),
        success=False,
        code="temporarily_unavailable",
        reason=reason,
        fmt=fmt,
    )


def _pixel(
    event: dict[str, Any], *, goal_click: bool, params: dict[str, str] | None = None
) -> dict[str, Any]:
    """/aff_goal's pixel forms (a=l, a=lc): imported on first use, most postback containers
    never answer one (/aff_l, the default goal's pixel, is the pixel function's)."""
    from goalpost.web.pixels import pixel_response

    return pixel_response(event, default_goal=False, goal_click=goal_click, params=params)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    default_goal = event.get("rawPath", "") == "/aff_lsr"
    try:
        params = query_params(event)
    except Refused as error:
        # Refused parameters: a pixel still answers its GIF, format=json still answers JSON.
        asked = lenient_params(event)
        if not default_goal and asked.get("a") in ("l", "lc"):
            return _pixel(event, goal_click=asked["a"] == "lc")
        fmt = "json" if asked.get("format") == "json" else "text"
        telemetry.refused(event, "postback", error.code, error.reason)
        return postback_response(
            http_status(error.code), success=False, code=error.code, reason=error.reason, fmt=fmt
        )
    fmt = "json" if params.get("format") == "json" else "text"
    action = "lsr" if default_goal else params.get("a", "lsr")
    if action in ("l", "lc"):
        return _pixel(event, goal_click=action == "lc", params=params)
    try:
        if action != "lsr":
            raise Refused(f"a must be lsr (postback), l (pixel) or lc (goal click), got {action[:20]!r}")
        request = conversion_request(
            params,
            default_goal=default_goal,
            via="server_postback",
            ip=source_ip(event),
            user_agent=user_agent(event),
        )
    except Refused as error:
        telemetry.refused(event, "postback", error.code, error.reason, params.get("transaction_id", "")[:64])
        return postback_response(
            http_status(error.code), success=False, code=error.code, reason=error.reason, fmt=fmt
        )
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
