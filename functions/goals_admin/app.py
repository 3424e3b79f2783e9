"""/admin/... (IAM auth), /console/api/admin/... (console users' Cognito token) and
/partner/... (partner API key): the goals admin API.

Thin: one Powertools Router per resource of ``goalpost.admin``, included here. The resolver
validates paths, queries, bodies and every answer against its model, and serves Swagger UI
at /admin/swagger (the OpenAPI document at /admin/swagger?format=json).
"""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from goalpost.admin import (
    advertisers,
    conversions,
    deliveries,
    goals,
    http,
    network,
    offers,
    partner_payouts,
    partner_pixels,
    partner_view,
    partners,
    payout_structures,
    reports,
)  # fmt: skip
from goalpost.admin.documents import Replayed
from goalpost.admin.errors import ApiError
from goalpost.admin.openapi import OPENAPI
from goalpost.store import config_cache, dynamo

logger = Logger(service="goalpost-admin")
# The console reaches the same routes under /console/api (its own authorizer, same API).
# An answer that contradicts its own model is our bug: a 500, never a silently different body.
app = APIGatewayHttpResolver(
    enable_validation=True, strip_prefixes=["/console/api"], response_validation_error_http_code=500
)
for resource in (
    network, advertisers, partners, payout_structures, offers, goals, partner_payouts, partner_pixels,
    conversions, deliveries, reports, partner_view,
):  # fmt: skip
    app.include_router(resource.router)
app.enable_swagger(path="/admin/swagger", **OPENAPI)
dynamo.client()


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def _api_error(error: ApiError) -> Response[Any]:
    return http.json_response(error.status, error.body())


@app.exception_handler(dynamo.InvalidCursor)  # type: ignore[untyped-decorator]
def _invalid_cursor(error: dynamo.InvalidCursor) -> Response[Any]:
    return http.json_response(400, ApiError(400, "bad_cursor", str(error)).body())


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _validation_error(error: RequestValidationError) -> Response[Any]:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in error.errors()
    ]
    refusal = (
        http.IF_MATCH_REQUIRED
        if http.if_match_missing(errors)
        else ApiError(422, "validation_error", "request failed validation", errors)
    )
    return http.json_response(refusal.status, refusal.body())


@app.exception_handler(Replayed)  # type: ignore[untyped-decorator]
def _replayed(replay: Replayed) -> Response[Any]:
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
        "goal": lambda: goals.get_goal(offer_id, made, network.base_url(app)),
        "partner_pixel": lambda: partner_pixels.get_partner_pixel(offer_id, made),
    }
    doc = views[replay.kind]()
    return http.json_response(200, doc, {"etag": f'"{doc.get("version", 0)}"', "idempotent-replayed": "true"})


@app.not_found
def _no_route(_: Exception) -> Response[Any]:
    return http.json_response(404, ApiError(404, "no_route", "no such route").body())


def _forget_changed_config(router: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """A change is seen at once by this container's next request (reads keep the cache)."""
    response = next_middleware(router)
    if router.current_event.http_method not in ("GET", "HEAD", "OPTIONS"):
        config_cache.clear()
    return response


app.use(middlewares=[_forget_changed_config])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.refused_before_routing(event) or app.resolve(event, context)
