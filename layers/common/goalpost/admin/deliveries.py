"""Partner postback deliveries: their log, and a retry of a failed one."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from goalpost.admin import http
from goalpost.admin.documents import Caller
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath
from goalpost.admin.offers import get_offer
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.views import DeliveryOut, Page
from goalpost.store import conversion_store, delivery_store


def list_deliveries(offer_id: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    get_offer(offer_id)
    items, last = delivery_store.list_deliveries(
        offer_id, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([conversion_store.without_storage_fields(item) for item in items], last)


def retry_delivery(offer_id: str, delivery_id: str, caller: Caller) -> dict[str, Any]:
    """Send a failed partner postback again now (a delivered one is never sent twice)."""
    from goalpost.streams.partner_postbacks import redeliver

    current = delivery_store.get_delivery(offer_id, delivery_id)
    if current is None:
        raise not_found("delivery", delivery_id)
    if current.get("status") == "delivered":
        raise ApiError("already_delivered", f"delivery {delivery_id} already succeeded")
    result = redeliver(offer_id, delivery_id, caller.epoch, caller.at)
    if result is None:
        raise not_found("delivery", delivery_id)
    return conversion_store.without_storage_fields(result)


# ------------------------------------------------------------------ routes

router = http.resource_router()


DeliveryId = Annotated[
    str, Path(pattern=r"^[0-9a-f]{32}-[0-9]+(-[0-9a-f]+)?\.(approved|reversal)(-[0-9]{1,4})?\.[0-9]+$")
]


@router.get("/admin/offers/<offer_id>/deliveries", **http.documented())
def list_all(
    offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[DeliveryOut]]:
    """Partner postback deliveries: attempts, last status, response code, time."""
    return http.ok(list_deliveries(offer_id, limit, cursor))


@router.post("/admin/offers/<offer_id>/deliveries/<delivery_id>/retry", **http.documented(writes=True))
def retry(offer_id: IdPath, delivery_id: DeliveryId) -> Response[DeliveryOut]:
    return http.ok(retry_delivery(offer_id, delivery_id, http.caller(router)))
