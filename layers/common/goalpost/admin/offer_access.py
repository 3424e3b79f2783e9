"""Offer access (README, Offer access): partners' applications for offers that require approval,
and admins' decisions — approve, reject, give access without an application, revoke.

One item per partner and offer (``OfferAccess``) in the offer's partition, written with its audit
record in one transaction, so the click reads it with the offer (``rules.access``).
"""

from typing import Any, cast

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, save
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath, OptionalIfMatch
from goalpost.admin.offers import get_offer
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import AccessApplicationIn, AccessDecisionIn
from goalpost.admin.views import OfferAccessOut, Page
from goalpost.model.offer import AccessState, OfferAccessSetting
from goalpost.model.partner_terms import OfferAccess
from goalpost.rules.access import application_refusal, decision_refusal, may_see
from goalpost.store import config_store

KIND = "offer_access"


def _stored(offer_id: str, partner_id: str) -> dict[str, Any] | None:
    return config_store.get_entity(KIND, partner_id, offer_id)


def get_access(offer_id: str, partner_id: str) -> dict[str, Any]:
    doc = _stored(offer_id, partner_id)
    if doc is None:
        raise not_found("offer access", f"{offer_id}/{partner_id}")
    return doc


def list_offer_access(offer_id: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    """Every partner's application or grant on the offer (by partner id)."""
    get_offer(offer_id)
    docs, last = config_store.offer_access_page(
        offer_id, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(docs, last)


def pending_applications(limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    """The network's applications waiting for a decision (every offer)."""
    docs, last = config_store.pending_access_page(limit=check_limit(limit), cursor=decode_cursor(cursor))
    return page(docs, last)


def decide(
    offer_id: str, partner_id: str, body: AccessDecisionIn, expected_version: int | None, caller: Caller
) -> dict[str, Any]:
    """Approve (or give access), reject or revoke, at the version the caller read (None: as it is now)."""
    get_offer(offer_id)
    if config_store.get_entity("partner", partner_id) is None:
        raise not_found("partner", partner_id)
    current = _stored(offer_id, partner_id)
    if current is not None and expected_version is not None:
        check_version(current, expected_version)
    elif current is None and expected_version not in (None, 0):
        raise ApiError("version_conflict", f"partner {partner_id} has no access item on offer {offer_id} yet")
    state = cast("AccessState | None", current["state"] if current else None)
    refusal = decision_refusal(body.state, state)
    if refusal:
        raise ApiError("access_conflict", f"partner {partner_id} on offer {offer_id}: {refusal}")
    access = OfferAccess.from_dict(
        {
            **(current or {}),
            "offer_id": offer_id,
            "partner_id": partner_id,
            "state": body.state,
            "decision_note": body.note,
            "decided_at": caller.at,
            "decided_by": caller.actor,
        }
    )
    return save(
        KIND,
        partner_id,
        access.to_dict(),
        caller,
        before=current,
        expected_version=None if current is None else int(current["version"]),
        parent_offer_id=offer_id,
        listed_as=config_store.access_listed_as(body.state),
    )


def apply(partner_id: str, offer_id: str, body: AccessApplicationIn, caller: Caller) -> dict[str, Any]:
    """A partner's application for an active offer it sees: only for one that requires approval,
    once (a decided application is the network's to change)."""
    bundle = config_store.load_offer_bundle(offer_id)
    if bundle is None or bundle.offer.status != "active":
        raise not_found("offer", offer_id)
    setting: OfferAccessSetting = bundle.offer.access
    state = bundle.access.get(partner_id)
    if not may_see(setting, state):
        raise not_found("offer", offer_id)
    refusal = application_refusal(setting, state)
    if refusal:
        raise ApiError("access_conflict", f"offer {offer_id}: {refusal}")
    access = OfferAccess(
        offer_id=offer_id, partner_id=partner_id, state="applied", note=body.note, applied_at=caller.at
    )
    try:
        return save(
            KIND,
            partner_id,
            access.to_dict(),
            caller,
            parent_offer_id=offer_id,
            listed_as=config_store.access_listed_as("applied"),
        )
    except ApiError as error:
        if error.code == "already_exists":  # decided or applied meanwhile
            message = f"offer {offer_id}: your access changed meanwhile: reload"
            raise ApiError("access_conflict", message) from None
        raise


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.get("/admin/offers/<offer_id>/access", **http.documented())
def list_all(
    offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[OfferAccessOut]]:
    """Partners' applications and grants on the offer."""
    return http.ok(list_offer_access(offer_id, limit, cursor))


@router.get("/admin/offers/<offer_id>/access/<partner_id>", **http.documented())
def get_one(offer_id: IdPath, partner_id: IdPath) -> Response[OfferAccessOut]:
    return http.entity(get_access(offer_id, partner_id))


@router.put("/admin/offers/<offer_id>/access/<partner_id>", **http.documented(writes=True))
def put_decision(
    offer_id: IdPath, partner_id: IdPath, body: AccessDecisionIn, if_match: OptionalIfMatch = None
) -> Response[OfferAccessOut]:
    """Approve an application (or give access without one), reject it, or revoke access; with
    the note kept in the audit trail. If-Match optional (the version read, "0" when there is none)."""
    return http.entity(
        decide(offer_id, partner_id, body, http.optional_version(if_match), http.caller(router, replay=False))
    )


@router.get("/admin/access-applications", **http.documented())
def pending(limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[OfferAccessOut]]:
    """Applications waiting for a decision, across the network."""
    return http.ok(pending_applications(limit, cursor))
