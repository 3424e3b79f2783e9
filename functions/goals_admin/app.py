"""/admin/... - the goals admin API (IAM-authorized in the cloud, bearer token locally)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from goalpost import config_cache, store
from goalpost.admin import service
from goalpost.admin.errors import ApiError
from goalpost.admin.schemas import (
    AdvertiserIn,
    CustomPayoutIn,
    GoalIn,
    OfferIn,
    PartnerIn,
    PayoutStructureIn,
)

logger = Logger(service="goalpost-admin")
app = APIGatewayHttpResolver(enable_validation=True)
store.client()

IdPath = Annotated[str, Path(pattern=r"^[0-9]{1,12}$")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=2000)]


def _json_error(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def _api_error(error: ApiError) -> Response[Any]:
    return _json_error(error.status, error.body())


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _validation_error(error: RequestValidationError) -> Response[Any]:
    details = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in error.errors()
    ]
    return _json_error(422, ApiError(422, "validation_error", "request failed validation", details).body())


@app.not_found
def _not_found(_: Exception) -> Response[Any]:
    return _json_error(404, ApiError(404, "no_route", "no such admin route").body())


# ------------------------------------------------------------------ advertisers


@app.post("/admin/advertisers")
def create_advertiser(body: AdvertiserIn) -> Response[Any]:
    return _created(service.create_advertiser(body))


@app.get("/admin/advertisers")
def list_advertisers(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_advertisers(limit, cursor)


@app.get("/admin/advertisers/<advertiser_id>")
def get_advertiser(advertiser_id: IdPath) -> dict[str, Any]:
    return service.get_advertiser(advertiser_id)


# ------------------------------------------------------------------ partners


@app.post("/admin/partners")
def create_partner(body: PartnerIn) -> Response[Any]:
    return _created(service.create_partner(body))


@app.get("/admin/partners")
def list_partners(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_partners(limit, cursor)


@app.get("/admin/partners/<partner_id>")
def get_partner(partner_id: IdPath) -> dict[str, Any]:
    return service.get_partner(partner_id)


# ------------------------------------------------------------------ offers and goals


@app.post("/admin/offers")
def create_offer(body: OfferIn) -> Response[Any]:
    return _created(service.create_offer(body))


@app.get("/admin/offers")
def list_offers(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_offers(limit, cursor)


@app.get("/admin/offers/<offer_id>")
def get_offer(offer_id: IdPath) -> dict[str, Any]:
    return service.get_offer(offer_id)


@app.post("/admin/offers/<offer_id>/goals")
def create_goal(offer_id: IdPath, body: GoalIn) -> Response[Any]:
    return _created(service.create_goal(offer_id, body, _base_url()))


@app.get("/admin/offers/<offer_id>/goals/<goal_id>")
def get_goal(offer_id: IdPath, goal_id: IdPath) -> dict[str, Any]:
    return service.get_goal(offer_id, goal_id, _base_url())


@app.get("/admin/offers/<offer_id>/goals")
def list_goals(offer_id: IdPath) -> dict[str, Any]:
    return service.list_goals(offer_id)


@app.get("/admin/offers/<offer_id>/conversions")
def list_conversions(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_conversions(offer_id, limit, cursor)


@app.put("/admin/offers/<offer_id>/partner-payouts/<partner_id>/<goal_id>")
def set_custom_payout(
    offer_id: IdPath, partner_id: IdPath, goal_id: IdPath, body: CustomPayoutIn
) -> dict[str, Any]:
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    result = service.set_custom_payout(offer_id, partner_id, goal_id, body, at)
    config_cache.clear()
    return result


@app.get("/admin/offers/<offer_id>/partner-payouts")
def list_custom_payouts(offer_id: IdPath) -> dict[str, Any]:
    return service.list_custom_payouts(offer_id)


# ------------------------------------------------------------------ payout structures


@app.post("/admin/payout-structures")
def create_payout_structure(body: PayoutStructureIn) -> Response[Any]:
    return _created(service.create_payout_structure(body))


@app.get("/admin/payout-structures")
def list_payout_structures(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_payout_structures(limit, cursor)


@app.get("/admin/payout-structures/<structure_id>")
def get_payout_structure(structure_id: IdPath) -> dict[str, Any]:
    return service.get_payout_structure(structure_id)


def _base_url() -> str:
    return service.tracking_base_url(app.current_event.request_context.domain_name or "")


def _created(body: dict[str, Any]) -> Response[Any]:
    config_cache.clear()
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
