"""/partner/... (the partner's API key, checked by the PartnerKey authorizer): the partner's view.

Its own function, apart from the admin API's, so that a partner's requests run with a role that
can change nothing but the partner's own postbacks (issue 26, point 7): no conversion writes, no
signing keys. The routes, models and refusals are the admin package's own (``partner_view``).
"""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from goalpost import settings
from goalpost.admin import http, partner_view, refusals
from goalpost.store import dynamo

logger = Logger(service="goalpost-partner")
app = APIGatewayHttpResolver(enable_validation=True, response_validation_error_http_code=500)
app.include_router(partner_view.router)
app.include_router(refusals.router)
app.not_found(refusals.no_route)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(
    settings.config_table, settings.conversions_table, settings.stats_table, settings.secrets_table
)
dynamo.client()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.refused_before_routing(event) or app.resolve(event, context)
