"""Payout structures: rules over a conversion's fields that set its payout or revenue."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, save
from goalpost.admin.errors import not_found
from goalpost.admin.http import IdPath, IfMatch
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import PayoutStructureIn
from goalpost.admin.views import Page, PayoutStructureOut
from goalpost.model.offer import PayoutStructure
from goalpost.store import config_store


def create_payout_structure(body: PayoutStructureIn, caller: Caller) -> dict[str, Any]:
    structure_id = config_store.next_id("structure")
    structure = PayoutStructure.from_dict({**body.model_dump(), "structure_id": structure_id})
    return save("structure", structure_id, structure.to_dict(), caller)


def get_payout_structure(structure_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("structure", structure_id)
    if doc is None:
        raise not_found("payout structure", structure_id)
    return doc


def update_payout_structure(
    structure_id: str, body: PayoutStructureIn, expected_version: int, caller: Caller
) -> dict[str, Any]:
    """Its name and rules, replaced as a whole: the rules' order is the order they are tried in
    (the first whose conditions all hold sets the payout)."""
    current = get_payout_structure(structure_id)
    check_version(current, expected_version)
    structure = PayoutStructure.from_dict({**body.model_dump(), "structure_id": structure_id})
    return save(
        "structure",
        structure_id,
        structure.to_dict(),
        caller,
        before=current,
        expected_version=expected_version,
    )


def list_payout_structures(limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    docs, last = config_store.list_entities(
        "structure", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(docs, last)


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.post("/admin/payout-structures", **http.documented(201, writes=True))
def create(body: PayoutStructureIn) -> Response[PayoutStructureOut]:
    return http.create(
        router,
        lambda caller: create_payout_structure(body, caller),
        lambda made: get_payout_structure(made.entity_id),
    )


@router.get("/admin/payout-structures", **http.documented())
def list_all(limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[PayoutStructureOut]]:
    return http.ok(list_payout_structures(limit, cursor))


@router.get("/admin/payout-structures/<structure_id>", **http.documented())
def get(structure_id: IdPath) -> Response[PayoutStructureOut]:
    return http.entity(get_payout_structure(structure_id))


@router.put("/admin/payout-structures/<structure_id>", **http.documented(writes=True))
def replace(structure_id: IdPath, body: PayoutStructureIn, if_match: IfMatch) -> Response[PayoutStructureOut]:
    """Rename it, change its rules or their order (tried first to last); goals using it pay by
    the new rules from the next conversion on (within the configuration cache's lifetime)."""
    return http.entity(
        update_payout_structure(structure_id, body, http.version(if_match), http.caller(router))
    )
