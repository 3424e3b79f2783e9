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
from aws_lambda_powertools.utilities.typing import LambdaContext

from goalpost import settings
from goalpost.admin import (
    advertisers,
    console_users,
    conversions,
    deliveries,
    exchange_rates,
    goals,
    http,
    network,
    offer_access,
    offers,
    partner_payouts,
    partner_pixels,
    partner_view,
    partners,
    payout_structures,
    postback_tester,
    refusals,
    reports,
    trace,
)  # fmt: skip
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
    conversions, deliveries, reports, partner_view, offer_access, exchange_rates, console_users, trace,
    postback_tester,
    refusals,
):  # fmt: skip
    app.include_router(resource.router)
app.not_found(refusals.no_route)
app.enable_swagger(path="/admin/swagger", **OPENAPI)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(
    settings.config_table,
    settings.conversions_table,
    settings.secrets_table,
    settings.sessions_table,
    settings.stats_table,
)
dynamo.client()


def _forget_changed_config(router: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """A change is seen at once by this container's next request (reads keep the cache)."""
    response = next_middleware(router)
    if router.current_event.http_method not in ("GET", "HEAD", "OPTIONS"):
        config_cache.clear()
    return response


app.use(middlewares=[_forget_changed_config])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.bodiless(http.refused_before_routing(event) or app.resolve(event, context))
