"""Partner postback deliveries: their log, the network's failing ones, and a retry of one."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from goalpost.admin import http
from goalpost.admin.documents import Caller
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath
from goalpost.admin.offers import get_offer
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.views import DeliveryOut, FailingDeliveryOut, Page
from goalpost.model import clock
from goalpost.model.ids import iso_timestamp
from goalpost.store import conversion_store, delivery_store


def list_deliveries(offer_id: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    get_offer(offer_id)
    items, last = delivery_store.list_deliveries(
        offer_id, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([conversion_store.without_storage_fields(item) for item in items], last)


def failing_state(item: dict[str, Any], at: str) -> str:
    """``retrying`` while the queue will try again (its next try is due later), ``failed`` once
    it will not (out of tries, or an admin's retry failed), ``refused`` (a destination the SSRF
    guard refuses: no retry helps until the URL changes)."""
    if item.get("status") == "refused":
        return "refused"
    return "retrying" if str(item.get("next_retry_at") or "") > at else "failed"


def list_failing(limit: int, cursor: str | None, at: str) -> Listed[dict[str, Any]]:
    """The network's failing partner deliveries: those whose last try failed or was refused
    (one query of each of their shards, in parallel, merged by offer, then delivery; no scan)."""
    items, last = delivery_store.failing_deliveries(limit=check_limit(limit), cursor=decode_cursor(cursor))
    shown = [
        {**conversion_store.without_storage_fields(item), "state": failing_state(item, at)} for item in items
    ]
    return page(shown, last)


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


@router.get("/admin/deliveries", **http.documented())
def list_failing_deliveries(
    limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[FailingDeliveryOut]]:
    """The network's failing partner postback deliveries (last try failed or refused), with
    their ``state``: ``retrying`` (the queue tries again at ``next_retry_at``), ``failed`` (no
    try pending: retry it with POST .../deliveries/<delivery_id>/retry) or ``refused``. A
    delivered retry takes it off the list."""
    return http.ok(list_failing(limit, cursor, iso_timestamp(clock.now())))


@router.post("/admin/offers/<offer_id>/deliveries/<delivery_id>/retry", **http.documented(writes=True))
def retry(offer_id: IdPath, delivery_id: DeliveryId) -> Response[DeliveryOut]:
    return http.ok(retry_delivery(offer_id, delivery_id, http.caller(router)))
