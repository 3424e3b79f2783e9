"""Network settings (TUNE's network-wide switches), the audit trail, the tracking domain."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.openapi.params import Path

from goalpost import settings
from goalpost.admin import http
from goalpost.admin.documents import Caller, check_version, merged, save, without_version
from goalpost.admin.http import IfMatch
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import NetworkIn
from goalpost.admin.views import AuditEntryOut, NetworkOut, Page
from goalpost.model.offer import NetworkSettings
from goalpost.rules.screening import bot_list_version
from goalpost.store import audit_store, config_store


def audit_trail(kind: str, subject: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    items, last = audit_store.audit_trail(
        kind, subject, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page(items, last)


def get_network() -> dict[str, Any]:
    """The settings, and (read-only) the version of the bot list the screening rules use."""
    return {**config_store.get_network_settings().to_dict(), "bot_list_version": bot_list_version()}


def put_network(body: NetworkIn, expected_version: int, caller: Caller) -> dict[str, Any]:
    current = config_store.get_network_settings()
    check_version(current.to_dict(), expected_version)
    updated = NetworkSettings.from_dict(merged(current.to_dict(), body))
    before = current.to_dict() if current.version else None
    return save(
        "network",
        "settings",
        without_version(updated.to_dict()),
        caller,
        before=before,
        expected_version=expected_version or None,
    )


def tracking_base_url(request_host: str) -> str:
    """The network's tracking domain setting, else the stack's custom domain, else the request's host.

    Links handed to partners must outlive the stack: the execute-api host changes when the
    stack is recreated, a custom domain (template parameter ``DomainName``) does not.
    """
    domain = config_store.get_network_settings().tracking_domain
    host = domain or settings.tracking_domain() or request_host
    if not host:
        return ""
    local = host.startswith(("127.0.0.1", "localhost"))
    return f"{'http' if local else 'https'}://{host}"


# ------------------------------------------------------------------ routes

router = http.resource_router()


def base_url(answering: BaseRouter) -> str:
    """The tracking base URL for links handed out in this request's answer."""
    context = answering.current_event.raw_event.get("requestContext") or {}
    return tracking_base_url(str(context.get("domainName") or ""))


@router.get("/admin/network", **http.documented())
def get_network_settings() -> Response[NetworkOut]:
    return http.entity(get_network())


@router.put("/admin/network", **http.documented(writes=True))
def put_network_settings(body: NetworkIn, if_match: IfMatch) -> Response[NetworkOut]:
    return http.entity(put_network(body, http.version(if_match), http.caller(router)))


AuditKind = Annotated[str, Path(pattern=r"^[a-z_]{1,20}$")]
AuditSubject = Annotated[str, Path(pattern=r"^[0-9a-z#-]{1,80}$")]


@router.get("/admin/audit/<kind>/<subject>", **http.documented())
def entity_audit_trail(
    kind: AuditKind, subject: AuditSubject, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[AuditEntryOut]]:
    """An entity's changes, newest first (offer/3, partner/2, network/settings, conversion/<id>)."""
    return http.ok(audit_trail(kind, subject, limit, cursor))


@router.get("/admin/audit/<kind>/<offer_id>/<subject>", **http.documented())
def offer_item_audit_trail(
    kind: AuditKind,
    offer_id: http.IdPath,
    subject: AuditSubject,
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
) -> Response[Page[AuditEntryOut]]:
    """Changes of what lives inside an offer: goal/3/7, partner_pixel/3/12, custom_payout/3/2#7."""
    return http.ok(audit_trail(kind, f"{offer_id}/{subject}", limit, cursor))
