"""Custom partner payouts: one partner's own payout on one goal."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, save
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath, IfMatch
from goalpost.admin.offers import bundle_of, get_offer
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import CustomPayoutIn
from goalpost.admin.views import CustomPayoutOut, Page
from goalpost.model.audit import Audit
from goalpost.model.partner_terms import CustomPayout
from goalpost.store import config_store


def set_custom_payout(
    offer_id: str, partner_id: str, goal_id: str, body: CustomPayoutIn, expected_version: int, caller: Caller
) -> dict[str, Any]:
    """A partner's own payout on one goal; conversions keep the payout they were made with.

    ``expected_version`` 0 creates (412 if one exists); otherwise the version being replaced.
    """
    goal = bundle_of(offer_id).goal(goal_id)
    if goal is None:
        raise not_found("goal", goal_id)
    if goal.private:
        raise ApiError(
            "private_goal",
            f"goal {goal_id} is private: private goals pay nothing, so they take no custom payouts",
        )
    if config_store.get_entity("partner", partner_id) is None:
        raise not_found("partner", partner_id)
    key = f"{partner_id}#{goal_id}"
    current = config_store.get_entity("custom_payout", key, offer_id)
    check_version(current or {"version": 0}, expected_version)
    owned = {"partner_id": partner_id, "goal_id": goal_id, "set_at": caller.at}
    doc = CustomPayout.from_dict({**body.model_dump(), **owned}).to_dict()
    return save(
        "custom_payout",
        key,
        doc,
        caller,
        before=current,
        expected_version=expected_version or None,
        parent_offer_id=offer_id,
    )


def delete_custom_payout(
    offer_id: str, partner_id: str, goal_id: str, expected_version: int, caller: Caller
) -> None:
    """The partner goes back to the goal's tier or default payout, for future conversions."""
    key = f"{partner_id}#{goal_id}"
    current = config_store.get_entity("custom_payout", key, offer_id)
    if current is None:
        raise not_found("custom payout", key)
    check_version(current, expected_version)
    deleted = config_store.delete_entity(
        "custom_payout",
        key,
        audit=Audit(caller.actor, caller.at, "delete", current, None),
        expected_version=expected_version,
        parent_offer_id=offer_id,
    )
    if not deleted:
        raise ApiError("version_conflict", f"custom payout {key} changed or went meanwhile: reload")


def list_custom_payouts(offer_id: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    get_offer(offer_id)
    docs, last = config_store.offer_items_page(
        offer_id, "PAYOUT#", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(docs, last)


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.put("/admin/offers/<offer_id>/partner-payouts/<partner_id>/<goal_id>", **http.documented(writes=True))
def put(
    offer_id: IdPath, partner_id: IdPath, goal_id: IdPath, body: CustomPayoutIn, if_match: IfMatch
) -> Response[CustomPayoutOut]:
    """Set a partner's custom payout: If-Match "0" to create one, else the version you read."""
    saved = set_custom_payout(
        offer_id, partner_id, goal_id, body, http.version(if_match), http.caller(router)
    )
    return http.entity(saved)


@router.delete(
    "/admin/offers/<offer_id>/partner-payouts/<partner_id>/<goal_id>", **http.documented(204, writes=True)
)
def delete(offer_id: IdPath, partner_id: IdPath, goal_id: IdPath, if_match: IfMatch) -> Response[None]:
    delete_custom_payout(offer_id, partner_id, goal_id, http.version(if_match), http.caller(router))
    return http.no_content()


@router.get("/admin/offers/<offer_id>/partner-payouts", **http.documented())
def list_all(
    offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[CustomPayoutOut]]:
    return http.ok(list_custom_payouts(offer_id, limit, cursor))
