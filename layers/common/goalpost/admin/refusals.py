"""How the admin API refuses: every error in its one shape, and a retried create's replay.

A router of exception handlers only; the app includes it like the resources' routers.
"""

import logging
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
    ResponseValidationError,
)

from goalpost.admin import (
    advertisers,
    goals,
    http,
    network,
    offers,
    partner_pixels,
    partners,
    payout_structures,
)
from goalpost.admin.documents import Replayed
from goalpost.admin.errors import ApiError
from goalpost.store import dynamo

router = http.resource_router()
logger = logging.getLogger("goalpost.admin")


@router.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def api_error(error: ApiError) -> Response[Any]:
    made = _made_meanwhile(error)
    return replayed(made) if made is not None else http.refused(error)


def _made_meanwhile(error: ApiError) -> Replayed | None:
    """A create refused by a rule (a taken slug...) because a concurrent request with the same
    Idempotency-Key made it first: that request's replay, not the refusal."""
    event = router.current_event
    if (
        event.http_method != "POST"
        or not event.headers.get("idempotency-key")
        or error.code in ("idempotency_key_reused", "bad_idempotency_key")
        or str(event.raw_event.get("rawPath", "")).startswith("/partner")
    ):
        return None
    try:
        http.caller(router)
    except Replayed as replay:
        return replay
    except ApiError:
        return None
    return None


@router.exception_handler(dynamo.InvalidCursor)  # type: ignore[untyped-decorator]
def invalid_cursor(error: dynamo.InvalidCursor) -> Response[Any]:
    return http.refused(ApiError("bad_cursor", str(error)))


@router.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def validation_error(error: RequestValidationError) -> Response[Any]:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in error.errors()
    ]
    refusal = (
        http.IF_MATCH_REQUIRED
        if http.if_match_missing(errors)
        else ApiError("validation_error", "request failed validation", errors)
    )
    return http.refused(refusal)


@router.exception_handler(ResponseValidationError)  # type: ignore[untyped-decorator]
def answer_broke_its_model(error: ResponseValidationError) -> Response[Any]:
    """An answer that contradicts its own model is our bug: a 500, in the one error shape (the
    caller learns nothing of the answer; the log has what broke)."""
    logger.error("answer broke its model: %s", error.errors())
    return http.refused(ApiError("internal_error", "the answer broke its own schema: our bug, reported"))


@router.exception_handler(Replayed)  # type: ignore[untyped-decorator]
def replayed(replay: Replayed) -> Response[Any]:
    """A create retried with its Idempotency-Key: what the first request made, created nothing new.

    Secrets shown once (a partner's API key) are not shown again: rotate the key if the
    first answer was lost.
    """
    made, offer_id = replay.entity_id, replay.parent_offer_id
    views = {
        "advertiser": lambda: advertisers.advertiser_view(advertisers.get_advertiser(made)),
        "partner": lambda: partners.partner_view(made),
        "tier": lambda: partners.get_tier(made),
        "structure": lambda: payout_structures.get_payout_structure(made),
        "offer": lambda: offers.get_offer(made),
        "goal": lambda: goals.get_goal(offer_id, made, network.base_url(router)),
        "partner_pixel": lambda: partner_pixels.get_partner_pixel(offer_id, made),
    }
    doc = views[replay.kind]()
    answer = http.entity(doc)
    answer.headers["idempotent-replayed"] = "true"
    return answer


def no_route(_: Exception) -> Response[Any]:
    return http.refused(ApiError("no_route", "no such route"))
