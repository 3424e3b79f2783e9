"""Advertisers and their security tokens."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, save, without_version
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import IdPath, IfMatch
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import AdvertiserIn, AdvertiserPatch
from goalpost.admin.views import AdvertiserOut, Page
from goalpost.model.offer import Advertiser
from goalpost.store import config_store


def advertiser_view(doc: dict[str, Any], *, show_token: bool = False) -> dict[str, Any]:
    """The token itself is shown once, in the answer of the admin's write that set it; reads say
    only whether one is set (it reaches the advertiser through the goal's postback links, which
    console viewers see without it)."""
    view = {k: v for k, v in doc.items() if k not in ("security_token_sha256", "security_token")}
    advertiser = Advertiser.from_dict(doc)
    view["security_token_set"] = bool(advertiser.security_token or advertiser.security_token_sha256)
    view["security_token_applied"] = advertiser.token_enforced
    if show_token:
        view["security_token"] = advertiser.security_token
    return view


def create_advertiser(body: AdvertiserIn, caller: Caller) -> dict[str, Any]:
    advertiser_id = config_store.next_id("advertiser")
    advertiser = Advertiser.from_dict({**body.model_dump(), "advertiser_id": advertiser_id})
    saved = save("advertiser", advertiser_id, advertiser.to_dict(), caller)
    return advertiser_view(saved, show_token=bool(body.security_token))


def get_advertiser(advertiser_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("advertiser", advertiser_id)
    if doc is None:
        raise not_found("advertiser", advertiser_id)
    return doc


def update_advertiser(
    advertiser_id: str, patch: AdvertiserPatch, expected_version: int, caller: Caller
) -> dict[str, Any]:
    """Set a token, then apply it (TUNE's two steps); a new token replaces an unrecoverable old hash."""
    current = get_advertiser(advertiser_id)
    check_version(current, expected_version)
    doc = without_version(current)
    for name in ("name", "status"):
        if getattr(patch, name) is not None:
            doc[name] = getattr(patch, name)
    if patch.postback_ips is not None:
        doc["postback_ips"] = patch.postback_ips
    if patch.security_token is not None:
        doc["security_token"] = patch.security_token
        doc["security_token_sha256"] = ""
    if patch.security_token_applied is not None:
        doc["security_token_applied"] = patch.security_token_applied
    if patch.remove_security_token:
        doc.update(security_token="", security_token_applied=False, security_token_sha256="")
    if doc.get("security_token_applied") and not doc.get("security_token"):
        raise ApiError("no_security_token", "set security_token before applying it")
    saved = save("advertiser", advertiser_id, doc, caller, before=current, expected_version=expected_version)
    return advertiser_view(saved, show_token=patch.security_token is not None or patch.remove_security_token)


def list_advertisers(limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    docs, last = config_store.list_entities(
        "advertiser", limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([advertiser_view(d) for d in docs], last)


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.post("/admin/advertisers", **http.documented(201, writes=True))
def create(body: AdvertiserIn) -> Response[AdvertiserOut]:
    return http.create(
        router,
        lambda caller: create_advertiser(body, caller),
        lambda made: advertiser_view(get_advertiser(made.entity_id)),
    )


@router.get("/admin/advertisers", **http.documented())
def list_all(limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[AdvertiserOut]]:
    return http.ok(list_advertisers(limit, cursor))


@router.get("/admin/advertisers/<advertiser_id>", **http.documented())
def get(advertiser_id: IdPath) -> Response[AdvertiserOut]:
    return http.entity(advertiser_view(get_advertiser(advertiser_id)))


@router.patch("/admin/advertisers/<advertiser_id>", **http.documented(writes=True))
def update(advertiser_id: IdPath, body: AdvertiserPatch, if_match: IfMatch) -> Response[AdvertiserOut]:
    return http.entity(update_advertiser(advertiser_id, body, http.version(if_match), http.caller(router)))
