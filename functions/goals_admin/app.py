"""/admin/... (IAM auth), /console/api/admin/... (console users' Cognito token) and
/partner/... (partner API key): the goals admin API.

Thin: Powertools' resolver validates paths, queries and bodies with pydantic; every
route calls one use case of ``goalpost.admin`` and returns its result.
"""

import base64
import hashlib
import json
import re
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from goalpost.admin import access, offers, partner_view, reports, service
from goalpost.admin.errors import ApiError
from goalpost.admin.schemas import (
    AdvertiserIn,
    AdvertiserPatch,
    ConversionPatch,
    CustomPayoutIn,
    DecisionIn,
    GoalIn,
    GoalPatch,
    NetworkIn,
    OfferIn,
    OfferPatch,
    PartnerIn,
    PartnerPatch,
    PartnerPixelIn,
    PartnerPostbackIn,
    PayoutStructureIn,
    TierIn,
)
from goalpost.model.ids import iso_timestamp
from goalpost.rules.stats import Window
from goalpost.store import config_cache, dynamo

logger = Logger(service="goalpost-admin")
# The console reaches the same routes under /console/api (its own authorizer, same API).
app = APIGatewayHttpResolver(enable_validation=True, strip_prefixes=["/console/api"])
dynamo.client()

IdPath = Annotated[str, Path(pattern=r"^[0-9]{1,12}$")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=2000)]
OptionalId = Annotated[str, Query(pattern=r"^([0-9]{1,12})?$")]
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
Day = Annotated[str | None, Query(pattern=_DAY, description="last day, YYYY-MM-DD (default: today)")]
FromDay = Annotated[
    str | None, Query(alias="from", pattern=_DAY, description="first day, YYYY-MM-DD (default: 7 days back)")
]
TimeZone = Annotated[
    str,
    Query(
        pattern=r"^[A-Za-z0-9_+/: -]{0,64}$",
        description="IANA name (America/New_York) or UTC offset (+05:00); default UTC",
    ),
]
IntervalQuery = Annotated[str, Query(pattern=r"^(hour|day|total)$")]
GroupBy = Annotated[
    str, Query(pattern=r"^[a-z,]{0,60}$", description="comma-separated: offer, goal, partner, advertiser")
]
StatusQuery = Annotated[str, Query(pattern=r"^[a-z,]{0,40}$", description="comma-separated statuses")]
Format = Annotated[str, Query(pattern=r"^(json|csv)$")]
ConversionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}-[0-9]+(-[0-9a-f]{1,16})?$")]
IfMatch = Annotated[
    str | None,
    Header(alias="if-match", description="The version (ETag) you read; required on updates."),
]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def _api_error(error: ApiError) -> Response[Any]:
    return _json(error.status, error.body())


@app.exception_handler(dynamo.InvalidCursor)  # type: ignore[untyped-decorator]
def _invalid_cursor(error: dynamo.InvalidCursor) -> Response[Any]:
    return _json(400, ApiError(400, "bad_cursor", str(error)).body())


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _validation_error(error: RequestValidationError) -> Response[Any]:
    details = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in error.errors()
    ]
    return _json(422, ApiError(422, "validation_error", "request failed validation", details).body())


@app.not_found
def _not_found(_: Exception) -> Response[Any]:
    return _json(404, ApiError(404, "no_route", "no such route").body())


_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def _caller(partner_id: str = "") -> service.Caller:
    """The IAM principal, the console user, or the partner (its id as the partner routes
    checked it), for the audit trail."""
    event = app.current_event
    authorizer = event.raw_event.get("requestContext", {}).get("authorizer") or {}
    raw_path = str(event.raw_event.get("rawPath", ""))
    if partner_id:
        actor = f"partner:{partner_id}"
    else:
        actor = access.admin_actor(raw_path, event.http_method, authorizer)
    key = event.headers.get("idempotency-key") or ""
    if key and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(400, "bad_idempotency_key", "Idempotency-Key is 1 to 255 visible ASCII characters")
    request = f"{event.http_method} {event.path}\n{event.body or ''}"
    return service.Caller(
        actor=str(actor),
        at=iso_timestamp(time.time()),
        idempotency_key=key,
        request_hash=hashlib.sha256(request.encode()).hexdigest() if key else "",
    )


@app.exception_handler(service.Replayed)  # type: ignore[untyped-decorator]
def _replayed(replay: service.Replayed) -> Response[Any]:
    """A create retried with its Idempotency-Key: what the first request made, created nothing new.

    Secrets shown once (a partner's API key) are not shown again: rotate the key if the
    first answer was lost.
    """
    entity_id, offer_id = replay.entity_id, replay.parent_offer_id
    views = {
        "advertiser": lambda: service.advertiser_view(service.get_advertiser(entity_id)),
        "partner": lambda: service.partner_view(entity_id),
        "tier": lambda: service.get_tier(entity_id),
        "structure": lambda: service.get_payout_structure(entity_id),
        "offer": lambda: offers.get_offer(entity_id),
        "goal": lambda: offers.get_goal(offer_id, entity_id, _base_url()),
        "partner_pixel": lambda: offers.get_partner_pixel(offer_id, entity_id),
    }
    doc = views[replay.kind]()
    return _json(200, doc, {"etag": f'"{doc.get("version", 0)}"', "idempotent-replayed": "true"})


def _version(if_match: str | None) -> int:
    """Optimistic concurrency: updates say which version they change (If-Match: "3")."""
    if not if_match:
        raise ApiError(
            428, "if_match_required", 'send If-Match with the version you read (e.g. If-Match: "3")'
        )
    raw = if_match.removeprefix("W/").strip().strip('"')
    if not raw.isdigit() or len(raw) > 12:
        raise ApiError(400, "bad_if_match", "If-Match must be the version number you read")
    return int(raw)


def _entity(doc: dict[str, Any], status: int = 200) -> Response[Any]:
    config_cache.clear()
    return _json(status, doc, {"etag": f'"{doc.get("version", 0)}"'})


def _base_url() -> str:
    return service.tracking_base_url(app.current_event.request_context.domain_name or "")


# ------------------------------------------------------------------ network, audit


@app.get("/admin/network")
def get_network() -> Response[Any]:
    return _entity(service.get_network())


@app.put("/admin/network")
def put_network(body: NetworkIn, if_match: IfMatch = None) -> Response[Any]:
    return _entity(service.put_network(body, _version(if_match), _caller()))


AuditKind = Annotated[str, Path(pattern=r"^[a-z_]{1,20}$")]
AuditSubject = Annotated[str, Path(pattern=r"^[0-9a-z#-]{1,80}$")]


@app.get("/admin/audit/<kind>/<subject>")
def audit_trail(
    kind: AuditKind, subject: AuditSubject, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    """An entity's changes, newest first (offer/3, partner/2, network/settings, conversion/<id>)."""
    return service.audit_trail(kind, subject, limit, cursor)


@app.get("/admin/audit/<kind>/<offer_id>/<subject>")
def offer_item_audit_trail(
    kind: AuditKind, offer_id: IdPath, subject: AuditSubject, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    """Changes of what lives inside an offer: goal/3/7, partner_pixel/3/12, custom_payout/3/2#7."""
    return service.audit_trail(kind, f"{offer_id}/{subject}", limit, cursor)


# ------------------------------------------------------------------ advertisers


@app.post("/admin/advertisers")
def create_advertiser(body: AdvertiserIn) -> Response[Any]:
    return _entity(service.create_advertiser(body, _caller()), 201)


@app.get("/admin/advertisers")
def list_advertisers(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_advertisers(limit, cursor)


@app.get("/admin/advertisers/<advertiser_id>")
def get_advertiser(advertiser_id: IdPath) -> Response[Any]:
    return _entity(service.advertiser_view(service.get_advertiser(advertiser_id)))


@app.patch("/admin/advertisers/<advertiser_id>")
def update_advertiser(
    advertiser_id: IdPath, body: AdvertiserPatch, if_match: IfMatch = None
) -> Response[Any]:
    return _entity(service.update_advertiser(advertiser_id, body, _version(if_match), _caller()))


# ------------------------------------------------------------------ partners and tiers


@app.post("/admin/partners")
def create_partner(body: PartnerIn) -> Response[Any]:
    return _entity(service.create_partner(body, _caller()), 201)


@app.get("/admin/partners")
def list_partners(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_partners(limit, cursor)


@app.get("/admin/partners/<partner_id>")
def get_partner(partner_id: IdPath) -> Response[Any]:
    return _entity(service.partner_view(partner_id))


@app.patch("/admin/partners/<partner_id>")
def update_partner(partner_id: IdPath, body: PartnerPatch, if_match: IfMatch = None) -> Response[Any]:
    return _entity(service.update_partner(partner_id, body, _version(if_match), _caller()))


@app.post("/admin/partners/<partner_id>/api-key")
def rotate_api_key(partner_id: IdPath) -> Response[Any]:
    return _entity(service.rotate_api_key(partner_id, _caller()))


@app.post("/admin/tiers")
def create_tier(body: TierIn) -> Response[Any]:
    return _entity(service.create_tier(body, _caller()), 201)


@app.get("/admin/tiers")
def list_tiers(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_tiers(limit, cursor)


@app.put("/admin/tiers/<tier_id>/default")
def set_default_tier(tier_id: IdPath, if_match: IfMatch = None) -> Response[Any]:
    """Make a tier the default: If-Match carries the version of the network settings you read."""
    return _entity(service.set_default_tier(tier_id, _version(if_match), _caller()))


# ------------------------------------------------------------------ payout structures


@app.post("/admin/payout-structures")
def create_payout_structure(body: PayoutStructureIn) -> Response[Any]:
    return _entity(service.create_payout_structure(body, _caller()), 201)


@app.get("/admin/payout-structures")
def list_payout_structures(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return service.list_payout_structures(limit, cursor)


@app.get("/admin/payout-structures/<structure_id>")
def get_payout_structure(structure_id: IdPath) -> Response[Any]:
    return _entity(service.get_payout_structure(structure_id))


# ------------------------------------------------------------------ offers


@app.post("/admin/offers")
def create_offer(body: OfferIn) -> Response[Any]:
    return _entity(offers.create_offer(body, _caller()), 201)


@app.get("/admin/offers")
def list_offers(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return offers.list_offers(limit, cursor)


@app.get("/admin/offers/<offer_id>")
def get_offer(offer_id: IdPath) -> Response[Any]:
    return _entity(offers.get_offer(offer_id))


@app.patch("/admin/offers/<offer_id>")
def update_offer(offer_id: IdPath, body: OfferPatch, if_match: IfMatch = None) -> Response[Any]:
    return _entity(offers.update_offer(offer_id, body, _version(if_match), _caller()))


@app.get("/admin/offers/<offer_id>/caps")
def offer_caps(offer_id: IdPath) -> dict[str, Any]:
    """Each cap with what its current period has counted and what is left."""
    return offers.offer_caps(offer_id, int(time.time()))


@app.get("/admin/offers/<offer_id>/tracking-links")
def offer_tracking_links(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return offers.partner_links(offer_id, _base_url(), limit, cursor)


@app.get("/admin/offers/<offer_id>/conversions")
def list_conversions(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return offers.list_conversions(offer_id, limit, cursor)


# ------------------------------------------------------------------ goals


@app.post("/admin/offers/<offer_id>/goals")
def create_goal(offer_id: IdPath, body: GoalIn) -> Response[Any]:
    return _entity(offers.create_goal(offer_id, body, _base_url(), _caller()), 201)


@app.get("/admin/offers/<offer_id>/goals")
def list_goals(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return offers.list_goals(offer_id, limit, cursor)


@app.get("/admin/offers/<offer_id>/goals/manage")
def manage_goals(
    offer_id: IdPath, output: Annotated[str, Query(alias="format", pattern="^(json|csv)$")] = "json"
) -> Response[Any]:
    rows = offers.manage_view(offer_id)
    if output == "csv":
        return Response(200, "text/csv; charset=utf-8", offers.manage_csv(rows))
    return _json(200, {"items": rows, "next_cursor": None})


@app.get("/admin/offers/<offer_id>/goals/<goal_id>")
def get_goal(offer_id: IdPath, goal_id: IdPath) -> Response[Any]:
    return _entity(offers.get_goal(offer_id, goal_id, _base_url()))


@app.patch("/admin/offers/<offer_id>/goals/<goal_id>")
def update_goal(
    offer_id: IdPath, goal_id: IdPath, body: GoalPatch, if_match: IfMatch = None
) -> Response[Any]:
    return _entity(offers.update_goal(offer_id, goal_id, body, _version(if_match), _base_url(), _caller()))


# ------------------------------------------------------------------ partner payouts and pixels


@app.put("/admin/offers/<offer_id>/partner-payouts/<partner_id>/<goal_id>")
def set_custom_payout(
    offer_id: IdPath, partner_id: IdPath, goal_id: IdPath, body: CustomPayoutIn, if_match: IfMatch = None
) -> Response[Any]:
    """Set a partner's custom payout: If-Match "0" to create one, else the version you read."""
    return _entity(
        offers.set_custom_payout(offer_id, partner_id, goal_id, body, _version(if_match), _caller())
    )


@app.delete("/admin/offers/<offer_id>/partner-payouts/<partner_id>/<goal_id>")
def delete_custom_payout(
    offer_id: IdPath, partner_id: IdPath, goal_id: IdPath, if_match: IfMatch = None
) -> Response[Any]:
    offers.delete_custom_payout(offer_id, partner_id, goal_id, _version(if_match), _caller())
    config_cache.clear()
    return Response(204, content_types.APPLICATION_JSON, "")


@app.get("/admin/offers/<offer_id>/partner-payouts")
def list_custom_payouts(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return offers.list_custom_payouts(offer_id, limit, cursor)


@app.post("/admin/offers/<offer_id>/partner-pixels")
def create_partner_pixel(offer_id: IdPath, body: PartnerPixelIn) -> Response[Any]:
    return _entity(offers.create_partner_pixel(offer_id, body, _caller()), 201)


@app.get("/admin/offers/<offer_id>/partner-pixels")
def list_partner_pixels(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return offers.list_partner_pixels(offer_id, limit, cursor)


@app.delete("/admin/offers/<offer_id>/partner-pixels/<pixel_id>")
def delete_partner_pixel(offer_id: IdPath, pixel_id: IdPath) -> Response[Any]:
    offers.delete_partner_pixel(offer_id, pixel_id, _caller())
    config_cache.clear()
    return Response(204, content_types.APPLICATION_JSON, "")


@app.get("/admin/offers/<offer_id>/conversions/pending")
def list_pending(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    """Conversions waiting for approval (excluded from partner postbacks until approved)."""
    return offers.list_pending(offer_id, limit, cursor)


@app.post("/admin/conversions/decisions")
def decide(body: DecisionIn) -> dict[str, Any]:
    """Approve, reject or re-approve one or many conversions, with a note."""
    return offers.decide(body, _caller())


@app.get("/admin/offers/<offer_id>/deliveries")
def list_deliveries(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    """Partner postback deliveries: attempts, last status, response code, time."""
    return offers.list_deliveries(offer_id, limit, cursor)


@app.post("/admin/offers/<offer_id>/deliveries/<delivery_id>/retry")
def retry_delivery(
    offer_id: IdPath,
    delivery_id: Annotated[
        str, Path(pattern=r"^[0-9a-f]{32}-[0-9]+(-[0-9a-f]+)?\.(approved|reversal)(-[0-9]{1,4})?\.[0-9]+$")
    ],
) -> dict[str, Any]:
    return offers.retry_delivery(offer_id, delivery_id, _caller())


# ------------------------------------------------------------------ reports


def _window(day_from: str | None, day_to: str | None, zone: str) -> Window:
    return reports.report_window(day_from, day_to, zone, datetime.now(UTC))


def _report_response(report: dict[str, Any], format_: str) -> Response[Any]:
    """JSON, or CSV with the next page's cursor in X-Next-Cursor."""
    if format_ != "csv":
        return _json(200, report)
    headers = {"content-disposition": 'attachment; filename="conversions.csv"'}
    if report.get("next_cursor"):
        headers["x-next-cursor"] = report["next_cursor"]
    return Response(200, "text/csv; charset=utf-8", reports.report_csv(report), headers)


@app.get("/admin/stats")
def stats(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    interval: IntervalQuery = "day",
    group_by: GroupBy = "offer",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
    partner_id: OptionalId = "",
    advertiser_id: OptionalId = "",
) -> dict[str, Any]:
    """Clicks, impressions, goal clicks, conversions (approved, pending, rejected), payout,
    revenue, profit, sale amount and conversion rate, by hour or day in the caller's time zone.

    Eventually consistent: aggregated from the tracking streams, a few seconds behind.
    Pending and rejected conversions add no money; grouped by goal, the offer's clicks and
    impressions are on the row with an empty goal_id.
    """
    span = _window(from_, to, timezone)
    return reports.stats(
        span,
        timezone,
        interval,  # type: ignore[arg-type]
        reports.parse_group_by(group_by),
        reports.Filters(offer_id, goal_id, partner_id, advertiser_id),
    )


@app.get("/admin/conversions")
def conversion_report(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
    partner_id: OptionalId = "",
    advertiser_id: OptionalId = "",
    status: StatusQuery = "",
    limit: Limit = 50,
    cursor: Cursor = None,
    format: Format = "json",  # noqa: A002 - the query parameter's name
) -> Response[Any]:
    """The conversion report, newest first, read through an index for the range asked.

    CSV with format=csv (the next page's cursor in the X-Next-Cursor header).
    """
    span = _window(from_, to, timezone)
    report = reports.conversion_report(
        span,
        timezone,
        reports.Filters(offer_id, goal_id, partner_id, advertiser_id),
        reports.parse_statuses(status, ("approved", "pending", "rejected")),
        limit,
        cursor,
    )
    return _report_response(report, format)


@app.get("/admin/conversions/<conversion_id>")
def get_conversion(conversion_id: ConversionId) -> dict[str, Any]:
    """One conversion with its adjustments (who, when, from, to, before, after, why)."""
    return reports.get_conversion(conversion_id)


@app.patch("/admin/conversions/<conversion_id>")
def adjust_conversion(conversion_id: ConversionId, body: ConversionPatch) -> dict[str, Any]:
    """Adjust payout, revenue, sale amount or status; recorded with an audit entry."""
    return reports.adjust(conversion_id, body, _caller())


@app.get("/admin/offers/<offer_id>/funnel")
def offer_funnel(
    offer_id: IdPath,
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    partner_id: OptionalId = "",
    goals: Annotated[str, Query(pattern=r"^[0-9,]{0,200}$", description="flow order, e.g. 0,3,5")] = "",
) -> dict[str, Any]:
    """Sessions, then each goal in flow order (private goals too) with drop-off between steps."""
    span = _window(from_, to, timezone)
    return reports.funnel(offer_id, span, timezone, partner_id, goals)


# ------------------------------------------------------------------ partner view (API key)


def _partner_id() -> str:
    """Set by the partner API-key authorizer (never taken from the request), and the key re-checked."""
    event = app.current_event
    context = (event.raw_event.get("requestContext", {}).get("authorizer") or {}).get("lambda") or {}
    return partner_view.authenticated_partner(
        str(context.get("partner_id") or ""), event.headers.get("x-api-key") or ""
    )


@app.get("/partner/offers")
def partner_offers(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return partner_view.list_offers(_partner_id(), _base_url(), limit, cursor)


@app.get("/partner/offers/<offer_id>")
def partner_offer(offer_id: IdPath) -> dict[str, Any]:
    return partner_view.get_offer(_partner_id(), offer_id, _base_url())


@app.get("/partner/stats")
def partner_stats(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    interval: IntervalQuery = "day",
    group_by: GroupBy = "offer",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
) -> dict[str, Any]:
    """The partner's own stats: no private goals, no revenue or profit (eventually consistent)."""
    span = _window(from_, to, timezone)
    return partner_view.stats(
        _partner_id(),
        span,
        timezone,
        interval,  # type: ignore[arg-type]
        reports.parse_group_by(group_by),
        offer_id,
        goal_id,
    )


@app.get("/partner/conversions")
def partner_conversions(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
    status: StatusQuery = "",
    limit: Limit = 50,
    cursor: Cursor = None,
    format: Format = "json",  # noqa: A002 - the query parameter's name
) -> Response[Any]:
    """The partner's own conversions (approved; pending too if the network allows)."""
    span = _window(from_, to, timezone)
    report = partner_view.conversion_report(
        _partner_id(), span, timezone, offer_id, goal_id, status, limit, cursor
    )
    return _report_response(report, format)


@app.get("/partner/offers/<offer_id>/postbacks")
def partner_postbacks(offer_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    """The partner's own postbacks and pixels on an offer (when the network lets partners manage them)."""
    return partner_view.list_postbacks(_partner_id(), offer_id, limit, cursor)


@app.post("/partner/offers/<offer_id>/postbacks")
def add_partner_postback(offer_id: IdPath, body: PartnerPostbackIn) -> Response[Any]:
    partner_id = _partner_id()
    return _entity(partner_view.add_postback(partner_id, offer_id, body, _caller(partner_id)), 201)


@app.delete("/partner/offers/<offer_id>/postbacks/<pixel_id>")
def remove_partner_postback(offer_id: IdPath, pixel_id: IdPath) -> Response[Any]:
    partner_id = _partner_id()
    partner_view.remove_postback(partner_id, offer_id, pixel_id, _caller(partner_id))
    config_cache.clear()
    return Response(204, content_types.APPLICATION_JSON, "")


# ------------------------------------------------------------------ OpenAPI


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API, generated from the routes and pydantic models.

    Powertools generates it; we describe what the API really answers on errors (our one
    error shape, for 422 and every other 4xx) and how each half is authenticated.
    """
    spec: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title="Goalpost admin API",
            version="1.0.0",
            description=(
                "Offers, goals, payouts and partners (IAM-signed requests under /admin) and the "
                "partner's own view (x-api-key under /partner). Updates take If-Match with the "
                "version (ETag) you read; every list is cursor-paginated."
            ),
        )
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["HTTPValidationError"] = ERROR_SCHEMA
    schemas["Error"] = ERROR_SCHEMA
    spec["components"]["securitySchemes"] = {
        "iam": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "AWS SigV4 (IAM)"},
        "partnerKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
        "consoleUser": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Console users: a Cognito access token, on /console/api/admin/... (same routes)",
        },
    }
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            operation["security"] = (
                [{"partnerKey": []}] if path.startswith("/partner") else [{"iam": []}, {"consoleUser": []}]
            )
            operation["responses"]["4XX"] = {
                "description": "Refused: the error says why (API Gateway's own 401/403 carry only a message)",
                "content": {
                    "application/json": {
                        "schema": {"anyOf": [{"$ref": "#/components/schemas/Error"}, GATEWAY_ERROR]}
                    }
                },
            }
    return spec


GATEWAY_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}


@app.get("/admin/openapi.json", include_in_schema=False)
def openapi_json() -> dict[str, Any]:
    return openapi_document()


@app.get("/admin/swagger", include_in_schema=False)
def swagger_ui() -> Response[str]:
    """Swagger UI with its assets inlined from Powertools' package (works offline)."""
    from pathlib import Path as FilePath

    from aws_lambda_powertools.event_handler.openapi import swagger_ui as assets
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    folder = FilePath(assets.__file__).parent
    html = generate_swagger_html(
        json.dumps(openapi_document()).replace("</", "<\\/"),
        (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (folder / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
    return Response(200, "text/html; charset=utf-8", html)


def _refuse_non_json_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """Bodies are UTF-8 JSON only: anything else is a 415 or 400 here, before any parsing."""
    body = event.get("body")
    if not body:
        return None
    content_type = (event.get("headers") or {}).get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        error = ApiError(415, "unsupported_media_type", "send the body as application/json")
    else:
        try:
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
            json.loads(raw.decode("utf-8"))
            return None
        except (ValueError, UnicodeDecodeError):
            error = ApiError(400, "invalid_json", "the body is not valid UTF-8 JSON")
    return _error_response(error)


def _error_response(error: ApiError) -> dict[str, Any]:
    """A refusal answered before the resolver runs, in the API's one error shape."""
    return {
        "statusCode": error.status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(error.body()),
    }


def _refuse_unsigned_admin(event: dict[str, Any]) -> dict[str, Any] | None:
    """Defence in depth: an admin request API Gateway did not authenticate (IAM or the console's
    token), or a console user outside the group that may make it, is refused here."""
    raw_path = str(event.get("rawPath", ""))
    if not raw_path.startswith(("/admin", "/console/api")):
        return None
    context = event.get("requestContext") or {}
    method = str((context.get("http") or {}).get("method", ""))
    try:
        access.admin_actor(raw_path, method, context.get("authorizer") or {})
    except ApiError as refused:
        return _error_response(refused)
    return None


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _refuse_unsigned_admin(event) or _refuse_non_json_body(event) or app.resolve(event, context)
