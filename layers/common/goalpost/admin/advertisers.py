"""Advertisers and their security tokens (only a token's SHA-256 is kept)."""

import secrets
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
from goalpost.rules.engine import token_digest
from goalpost.store import config_store


def advertiser_view(doc: dict[str, Any], *, token: str | None = None) -> dict[str, Any]:
    """Reads say only whether a token is set: only its SHA-256 is kept. The token itself is
    shown once, in the answer of the admin's write that set or rotated it (``token``)."""
    view = {k: v for k, v in doc.items() if k not in ("security_token_sha256", "security_token")}
    advertiser = Advertiser.from_dict(doc)
    view["security_token_set"] = bool(advertiser.security_token or advertiser.security_token_sha256)
    view["security_token_applied"] = advertiser.token_enforced
    if token is not None:
        view["security_token"] = token
    return view


def _keep_hashed(doc: dict[str, Any], token: str | None = None) -> None:
    """Set ``token`` (hashed), or hash a token stored in plain text before issue 26 (whether it
    is applied is written down as it was)."""
    doc["security_token_applied"] = Advertiser.from_dict(doc).security_token_applied
    plain = doc.pop("security_token", "")
    if token is not None:
        doc["security_token_sha256"] = token_digest(token) if token else ""
    elif plain:
        doc["security_token_sha256"] = token_digest(plain)


def create_advertiser(body: AdvertiserIn, caller: Caller) -> dict[str, Any]:
    advertiser_id = config_store.next_id("advertiser")
    sent = body.model_dump(exclude={"security_token"})  # kept only as its hash (below)
    doc = Advertiser.from_dict({**sent, "advertiser_id": advertiser_id}).to_dict()
    _keep_hashed(doc, body.security_token or "")
    saved = save("advertiser", advertiser_id, doc, caller)
    return advertiser_view(saved, token=body.security_token)


def get_advertiser(advertiser_id: str) -> dict[str, Any]:
    doc = config_store.get_entity("advertiser", advertiser_id)
    if doc is None:
        raise not_found("advertiser", advertiser_id)
    return doc


def update_advertiser(
    advertiser_id: str, patch: AdvertiserPatch, expected_version: int, caller: Caller
) -> dict[str, Any]:
    """Set a token, then apply it (TUNE's two steps). Any write of an advertiser whose token is
    still in plain text (stored before issue 26) keeps only its hash from then on."""
    current = get_advertiser(advertiser_id)
    check_version(current, expected_version)
    doc = without_version(current)
    for name in ("name", "status"):
        if getattr(patch, name) is not None:
            doc[name] = getattr(patch, name)
    if patch.postback_ips is not None:
        doc["postback_ips"] = patch.postback_ips
    _keep_hashed(doc, patch.security_token)
    if patch.security_token_applied is not None:
        doc["security_token_applied"] = patch.security_token_applied
    if patch.remove_security_token:
        doc.update(security_token_applied=False, security_token_sha256="")
    if doc.get("security_token_applied") and not doc.get("security_token_sha256"):
        raise ApiError("no_security_token", "set security_token before applying it")
    saved = save("advertiser", advertiser_id, doc, caller, before=current, expected_version=expected_version)
    return advertiser_view(saved, token="" if patch.remove_security_token else patch.security_token)


_ROTATION_ATTEMPTS = 10


def rotate_security_token(
    advertiser_id: str, caller: Caller, expected_version: int | None = None
) -> dict[str, Any]:
    """A new random token (192 bits), shown once; the previous one stops working at once if the
    token is applied (send the new one to the advertiser first, or rotate before applying).

    If-Match as for a partner's API key: that version only, or (without it) the advertiser as
    it is, read again after a concurrent change."""
    for _ in range(_ROTATION_ATTEMPTS):
        current = get_advertiser(advertiser_id)
        version = int(current["version"]) if expected_version is None else expected_version
        check_version(current, version)
        token = secrets.token_urlsafe(24)
        doc = without_version(current)
        _keep_hashed(doc, token)
        try:
            saved = save(
                "advertiser", advertiser_id, doc, caller, before=current, expected_version=version, once=True
            )
        except ApiError as refused:
            if refused.code == "version_conflict" and expected_version is None:
                continue
            raise
        return advertiser_view(saved, token=token)
    raise ApiError("advertiser_busy", f"advertiser {advertiser_id} kept changing: rotate again")


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


@router.post("/admin/advertisers/<advertiser_id>/security-token", **http.documented(writes=True))
def rotate_token(advertiser_id: IdPath, if_match: http.OptionalIfMatch = None) -> Response[AdvertiserOut]:
    """A new random security token, shown once (only its SHA-256 is kept); applied stays as it
    was. If-Match is optional (the version you read, else the current)."""
    return http.entity(
        rotate_security_token(advertiser_id, http.caller(router), http.optional_version(if_match))
    )


@router.patch("/admin/advertisers/<advertiser_id>", **http.documented(writes=True))
def update(advertiser_id: IdPath, body: AdvertiserPatch, if_match: IfMatch) -> Response[AdvertiserOut]:
    return http.entity(update_advertiser(advertiser_id, body, http.version(if_match), http.caller(router)))
