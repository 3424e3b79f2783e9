"""GET /aff_c - the partner tracking link: start a session, 302 to the offer URL."""

from __future__ import annotations

import gc
import logging
from typing import Any

gc.disable()  # no garbage collections while the init phase imports: they cost ~30 ms (make bench)

from botocore.exceptions import BotoCoreError, ClientError

from goalpost import settings, telemetry
from goalpost.model import clock
from goalpost.model.ids import visit_cookie_name
from goalpost.model.refusal import Refused
from goalpost.store import dynamo
from goalpost.tracking.clicks import start_session
from goalpost.web.params import cookie_value, query_params, source_ip, user_agent
from goalpost.web.responses import http_response
from goalpost.web.status import http_status

logger = logging.getLogger()
logger.setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(settings.config_table, settings.sessions_table, settings.stats_table)
dynamo.client()  # create the DynamoDB client in the (faster, billed once) init phase
gc.enable()
gc.freeze()  # what init built is permanent: warm invocations never scan it


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        params = query_params(event)
        visit_cookie = cookie_value(event, visit_cookie_name(params.get("offer_id", "")))
        click = start_session(
            params,
            ip=source_ip(event),
            user_agent=user_agent(event),
            now=clock.now(),
            visit_cookie=visit_cookie,
        )
    except Refused as error:
        telemetry.refused(event, "click", error.code, error.reason)
        return http_response(
            http_status(error.code), f"{error.reason}\n", headers={"x-goalpost-reason": error.code}
        )
    except (ClientError, BotoCoreError):
        # The offer could not even be read: nowhere to send the user but a retry.
        logger.exception("click failed reading config")
        telemetry.storage_failed(event, "click")
        headers = {"x-goalpost-reason": "temporarily_unavailable", "retry-after": "1"}
        return http_response(
            http_status("temporarily_unavailable"), "temporarily unavailable, try again\n", headers=headers
        )
    if click.redirected:
        # Not its offer: the fallback (README, Fallback), no cookie, the reason said in a header.
        telemetry.refused(event, "click redirected", click.redirected, click.reason)
        headers = {"location": click.location, "x-goalpost-reason": click.redirected}
        return http_response(302, "", headers=headers)
    if not click.tracked:
        telemetry.storage_failed(event, "click (redirected untracked)", click.session.transaction_id)
        return http_response(302, "", headers={"location": click.location, "x-goalpost-code": "untracked"})
    return http_response(302, "", headers={"location": click.location}, cookies=click.cookies)
