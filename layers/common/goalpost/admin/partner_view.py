"""The partner's own view: offers and goals it may run, its effective payout, its links.

Never revenue, never private goals, never another partner's data: everything here is
computed for the partner the API-key authorizer identified.
"""

from decimal import Decimal
from typing import Any, TypedDict

from aws_lambda_powertools.event_handler import Response

from goalpost.admin import http, offer_access, offers, partner_pixels, postback_tester, reports
from goalpost.admin.documents import Caller
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import (
    Day,
    Format,
    FromDay,
    GroupBy,
    IdPath,
    IntervalQuery,
    OptionalId,
    StatusQuery,
    TimeZone,
)
from goalpost.admin.network import base_url
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.postback_tester import PostbackTestIn, PostbackTestOut
from goalpost.admin.schemas import AccessApplicationIn, PartnerPixelIn, PartnerPostbackIn
from goalpost.admin.trace import TRACE_DELIVERIES, TRACE_RECORDS, TransactionPath, delivery_view
from goalpost.admin.views import (
    ConversionReportOut,
    OfferAccessOut,
    Page,
    PartnerOfferOut,
    PartnerPostbackOut,
    PartnerTraceOut,
    StatsOut,
)
from goalpost.model import clock
from goalpost.model.caps import Measure
from goalpost.model.conversion import TEST
from goalpost.model.offer import Goal, NetworkSettings, OfferBundle, Partner, Rate
from goalpost.model.screening import REASONS, SCREENING_RULE_CODES
from goalpost.model.session import CLICK_CONTEXT_FIELDS, MAX_CLICK_SUB_CHARS
from goalpost.rules.access import may_run, may_see
from goalpost.rules.engine import offer_goals
from goalpost.rules.links import partner_tracking_link
from goalpost.rules.payouts import custom_payout_of, listed_payout, partner_tier
from goalpost.rules.stats import SUB_DIMENSIONS, Interval, Window
from goalpost.store import config_store
from goalpost.web.params import MAX_QUERY_BYTES, TRACKING_VALUE


def _effective_payout(goal: Goal, bundle: OfferBundle, partner: Partner, network: NetworkSettings) -> Rate:
    return listed_payout(
        goal,
        tier_id=partner_tier(partner, network),
        custom=custom_payout_of(goal, bundle, partner.partner_id),
    )


class PartnerGoal(TypedDict):
    goal_id: str
    name: str
    goal_name: str
    description: str
    ref_id: str
    payout: dict[str, Decimal]
    allow_multiple: bool
    end_point: bool
    approve: bool


class LinkRules(TypedDict):
    sub_ids: list[str]
    allowed: str
    max_chars: int
    max_query_chars: int


class PartnerOffer(TypedDict):
    offer_id: str
    name: str
    currency: str
    access: str
    access_state: str
    may_run: bool
    session_hours: int
    tracking_link: str
    link_rules: LinkRules
    manage_postbacks: bool
    goals: list[PartnerGoal]
    timezone: str
    caps: list[dict[str, object]]


def _goal_view(goal: Goal, payout: Rate) -> PartnerGoal:
    return {
        "goal_id": goal.goal_id,
        "name": goal.name,
        "goal_name": goal.slug,
        "description": goal.description,
        "ref_id": goal.ref_id,
        "payout": payout.to_dict(),
        "allow_multiple": goal.allow_multiple,
        "end_point": goal.end_point,
        "approve": goal.approve,
    }


def _visible_goals(bundle: OfferBundle, network: NetworkSettings) -> list[Goal]:
    """The goals a partner sees and converts on: active, not private, goals switched on."""
    return [g for g in offer_goals(bundle, network) if g.status == "active" and not g.private]


def _offer_view(
    bundle: OfferBundle, partner: Partner, network: NetworkSettings, base_url: str
) -> PartnerOffer:
    offer = bundle.offer
    visible = _visible_goals(bundle, network)
    state = bundle.access.get(partner.partner_id)
    runs = may_run(offer.access, state)
    return {
        "offer_id": offer.offer_id,
        "name": offer.name,
        "currency": offer.currency,
        "access": offer.access,
        "access_state": state or "",
        "may_run": runs,
        "session_hours": offer.session_hours,
        "tracking_link": partner_tracking_link(base_url, offer.offer_id, partner.partner_id) if runs else "",
        "link_rules": LINK_RULES,
        "manage_postbacks": network.partners_manage_postbacks,
        "goals": [_goal_view(g, _effective_payout(g, bundle, partner, network)) for g in visible],
        "timezone": offer.timezone,
        "caps": _caps_view(bundle, partner),
    }


LINK_RULES: LinkRules = {
    "sub_ids": list(CLICK_CONTEXT_FIELDS),
    "allowed": TRACKING_VALUE,
    "max_chars": MAX_CLICK_SUB_CHARS,
    "max_query_chars": MAX_QUERY_BYTES,
}
"""The click's own rule for a tracking link's sub ids (``tracking.clicks``, ``web.params``)."""

_PARTNER_MEASURES: tuple[Measure, ...] = ("conversions", "payout", "clicks")
"""Never revenue caps: revenue is the network's. Click caps: a partner sees where its clicks stop
reaching the offer."""


def _caps_view(bundle: OfferBundle, partner: Partner) -> list[dict[str, object]]:
    """The caps that bind this partner, with what is left."""
    if not bundle.offer.caps:
        return []
    return offers.cap_usage(bundle.offer, int(clock.now()), partner.partner_id, _PARTNER_MEASURES)


def authenticated_partner(authorized_id: str, api_key: str) -> str:
    """The partner whose key this request carries, checked again on every request.

    API Gateway caches the authorizer's answer per key (up to ReauthorizeEvery): a rotated or
    revoked key would keep working that long. One GetItem here makes rotation immediate.
    """
    if not authorized_id or config_store.partner_for_api_key(api_key) != authorized_id:
        raise ApiError(
            "unauthorized", "this API key is not (or no longer) valid: use the partner's current key"
        )
    return authorized_id


def _partner(partner_id: str) -> Partner:
    doc = config_store.get_entity("partner", partner_id)
    if doc is None or doc.get("status") != "active":
        raise ApiError("partner_inactive", "this partner account is not active")
    return Partner.from_dict(doc)


def list_offers(partner_id: str, base_url: str, limit: int, cursor: str | None) -> Listed[PartnerOffer]:
    partner = _partner(partner_id)
    network = config_store.get_network_settings()
    docs, last = config_store.list_entities("offer", limit=check_limit(limit), cursor=decode_cursor(cursor))
    items = []
    for doc in docs:
        if doc.get("status") != "active":
            continue
        bundle = config_store.load_offer_bundle(str(doc["offer_id"]))
        if bundle is not None and _sees(bundle, partner_id):
            items.append(_offer_view(bundle, partner, network, base_url))
    return page(items, last)


def get_offer(partner_id: str, offer_id: str, base_url: str) -> PartnerOffer:
    partner = _partner(partner_id)
    bundle = config_store.load_offer_bundle(offer_id)
    if bundle is None or bundle.offer.status != "active" or not _sees(bundle, partner_id):
        raise not_found("offer", offer_id)
    return _offer_view(bundle, partner, config_store.get_network_settings(), base_url)


def _sees(bundle: OfferBundle, partner_id: str) -> bool:
    """A private offer is shown only to partners given access (to others it does not exist)."""
    return may_see(bundle.offer.access, bundle.access.get(partner_id))


def apply_for_offer(
    partner_id: str, offer_id: str, body: AccessApplicationIn, caller: Caller
) -> dict[str, Any]:
    _partner(partner_id)
    return offer_access.apply(partner_id, offer_id, body, caller)


# ------------------------------------------------------------------ the partner's reports


def _partner_hidden(network: NetworkSettings) -> frozenset[str]:
    hidden = {"revenue", "profit", "rejected"}
    if not network.partners_see_pending:
        hidden.add("pending")
    return frozenset(hidden)


def stats(
    partner_id: str,
    span: Window,
    zone_name: str,
    interval: Interval,
    group_by: tuple[str, ...],
    offer_id: str,
    goal_id: str,
) -> reports.StatsReport:
    """The partner's own stats: its cells only, no private goals, no revenue or profit.

    Privacy is judged as recorded: what a goal paid while it was public stays in the
    partner's figures after the goal is made private (it was paid); nothing recorded while
    it was private ever shows.
    """
    _partner(partner_id)
    if any(d not in ("offer", "goal", *SUB_DIMENSIONS) for d in group_by):
        raise ApiError("bad_group_by", "partners group stats by offer and goal, or by a sub id")
    return reports.stats(
        span,
        zone_name,
        interval,
        group_by,
        reports.Filters(offer_id=offer_id, goal_id=goal_id, partner_id=partner_id),
        visible=lambda c: not c.get("private"),
        hidden=_partner_hidden(config_store.get_network_settings()),
        view="partner",
    )


SCREENED = frozenset(r.code for r in REASONS if r.on == "conversion" and r.code in SCREENING_RULE_CODES)
"""Codes a partner sees on its own held or refused conversions: the traffic-quality verdicts
of the screening rules (README, Traffic screening), never the advertiser's side (tokens, IP
allow-lists) or other gates."""


def conversion_report(
    partner_id: str,
    span: Window,
    zone_name: str,
    offer_id: str,
    goal_id: str,
    status: str,
    limit: int,
    cursor: str | None,
) -> reports.ConversionReport:
    """The partner's own conversions: approved ones (and pending, if the network allows), and
    those held or refused by a screening rule, each with its ``reason`` code.

    Conversions recorded on a private goal never show; those recorded while it was public do.
    A page may hold fewer rows than ``limit`` (the other refusals are left out); its cursor
    still goes on from where the page ended.
    """
    _partner(partner_id)
    network = config_store.get_network_settings()
    # A status filter names what the partner may see by status (pending only where the network
    # shows pending); unfiltered, the held ones come too (their reason shown, nothing else).
    choosable = (
        ("approved", "pending", "rejected") if network.partners_see_pending else ("approved", "rejected")
    )
    statuses = reports.parse_statuses(status, choosable) if status else ("approved", "pending", "rejected")
    report = reports.conversion_report(
        span,
        zone_name,
        reports.Filters(offer_id=offer_id, goal_id=goal_id, partner_id=partner_id),
        statuses,
        limit,
        cursor,
        columns=(*reports.PARTNER_COLUMNS, "status_code"),
        partners=True,
    )

    def shown(row: dict[str, Any]) -> bool:
        if row["status"] == "approved":
            return True
        if row["status"] == "pending" and network.partners_see_pending:
            return True
        return row["status_code"] in SCREENED

    rows = []
    for row in report["items"]:
        if shown(row):
            code = row.pop("status_code")
            rows.append({**row, "reason": code if code in SCREENED else ""})
    return {**report, "columns": [*reports.PARTNER_COLUMNS, "reason"], "items": rows}


def partner_trace(partner_id: str, transaction_id: str) -> dict[str, Any]:
    """The partner's trace of one of its own clicks: its conversions as its report shows them
    (approved; pending if the network allows; no revenue, no advertiser fields, no private
    goal), the test conversions it was told of (status ``test``), and its own postbacks'
    deliveries (status, tries, answer head, time, next retry).

    Read from the conversion records (one bounded query) and the deliveries (one more): this
    role reads no session. A click of another partner, or one with nothing the partner may
    see, is not found (the same answer: nothing tells a partner another's click exists)."""
    from goalpost.store import conversion_store, delivery_store

    _partner(partner_id)
    network = config_store.get_network_settings()
    allowed = ("approved", "pending") if network.partners_see_pending else ("approved",)
    records, _more = conversion_store.session_records(transaction_id, limit=TRACE_RECORDS)
    if any(str(r.get("partner_id")) != partner_id for r in records):
        raise not_found("transaction", transaction_id)
    told_tests = [  # a test its tester asked to tell the partner: the partner got a postback for it
        r for r in records if r.get("status") == TEST and r.get("test_delivery")
    ]  # fmt: skip
    visible = [
        r for r in records
        if r.get("kind") == "conversion" and (r.get("status") in allowed or r in told_tests)
        and not r.get("private") and str(r.get("sk", "")).startswith("CONV#")
    ]  # fmt: skip
    if not visible:
        raise not_found("transaction", transaction_id)
    offer_id = str(visible[0]["offer_id"])
    deliveries = [
        delivery_view(d)
        for d in delivery_store.session_deliveries(offer_id, transaction_id, limit=TRACE_DELIVERIES)
        if str(d.get("partner_id")) == partner_id
    ]
    events = []
    for record in sorted(visible, key=lambda r: str(r.get("created_at", ""))):
        row = reports.report_row(record, reports.PARTNER_COLUMNS, partners=True)
        prefix = f"{record['conversion_id']}."
        row["adjustments"] = [
            {"at": a.get("at", ""), "from": a.get("from", ""), "to": a.get("to", "")}
            for a in record.get("adjustments") or []
        ]
        row["goal_by"] = str(record.get("goal_by", ""))  # how the advertiser named the goal
        row["deliveries"] = [d for d in deliveries if str(d["delivery_id"]).startswith(prefix)]
        events.append(row)
    return {"transaction_id": transaction_id, "offer_id": offer_id, "events": events, "reads": {"query": 2}}


# ------------------------------------------------------------------ the partner's own postbacks


def _manageable_offer(partner_id: str, offer_id: str) -> tuple[OfferBundle, NetworkSettings]:
    """An active offer the partner runs, when the network lets partners manage their postbacks."""
    _partner(partner_id)
    network = config_store.get_network_settings()
    if not network.partners_manage_postbacks:
        raise ApiError(
            "postbacks_managed_by_network", "this network sets partners' postbacks: ask your manager"
        )
    bundle = config_store.load_offer_bundle(offer_id)
    if (
        bundle is None
        or bundle.offer.status != "active"
        or not may_run(bundle.offer.access, bundle.access.get(partner_id))
    ):
        raise not_found("offer", offer_id)
    return bundle, network


def list_postbacks(partner_id: str, offer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The partner's own postbacks and pixels on an offer (a page may hold fewer than ``limit``)."""
    _manageable_offer(partner_id, offer_id)
    listed = partner_pixels.list_partner_pixels(offer_id, limit, cursor)
    mine = [p for p in listed["items"] if p.get("partner_id") == partner_id]
    return {**listed, "items": [_own_postback(p) for p in mine]}


def add_postback(partner_id: str, offer_id: str, body: PartnerPostbackIn, caller: Caller) -> dict[str, Any]:
    """Only for goals the partner sees (never a private or inactive goal)."""
    bundle, network = _manageable_offer(partner_id, offer_id)
    if body.goal_id not in {g.goal_id for g in _visible_goals(bundle, network)}:
        raise not_found("goal", body.goal_id)
    if body.kind == "html" and not network.partners_html_pixels:
        raise ApiError(
            "html_pixels_managed_by_network", "this network does not take HTML pixel code from partners"
        )
    pixel = PartnerPixelIn(partner_id=partner_id, **body.model_dump())
    return _own_postback(partner_pixels.create_partner_pixel(offer_id, pixel, caller))


def _own_postback(pixel: dict[str, Any]) -> dict[str, Any]:
    """A partner's postback as the partner sees it (its own id is implied)."""
    return {k: v for k, v in pixel.items() if k != "partner_id"}


def remove_postback(partner_id: str, offer_id: str, pixel_id: str, caller: Caller) -> None:
    _manageable_offer(partner_id, offer_id)
    current = config_store.get_entity("partner_pixel", pixel_id, offer_id)
    if current is None or current.get("partner_id") != partner_id:
        raise not_found("postback", pixel_id)
    partner_pixels.delete_partner_pixel(offer_id, pixel_id, None, caller)


def test_own_postback(partner_id: str, offer_id: str, pixel_id: str, body: PostbackTestIn) -> dict[str, Any]:
    """The postback tester on one of the partner's own postbacks (when the network lets partners
    manage them): the admin tester's own code, SSRF guard and signing; another partner's pixel
    is not found, as an unknown one."""
    _manageable_offer(partner_id, offer_id)
    current = config_store.get_entity("partner_pixel", pixel_id, offer_id)
    if current is None or current.get("partner_id") != partner_id:
        raise not_found("postback", pixel_id)
    return postback_tester.test_postback(offer_id, pixel_id, body, partner_id=partner_id)


# ------------------------------------------------------------------ routes (API key)

router = http.resource_router()


def _partner_id() -> str:
    """Set by the partner API-key authorizer (never taken from the request), and the key re-checked."""
    event = router.current_event
    context = (event.raw_event.get("requestContext", {}).get("authorizer") or {}).get("lambda") or {}
    return authenticated_partner(str(context.get("partner_id") or ""), event.headers.get("x-api-key") or "")


@router.get("/partner/offers", **http.documented(partner=True))
def my_offers(limit: http.Limit = 50, cursor: http.Cursor = None) -> Response[Page[PartnerOfferOut]]:
    return http.ok(list_offers(_partner_id(), base_url(router), limit, cursor))


@router.get("/partner/offers/<offer_id>", **http.documented(partner=True))
def my_offer(offer_id: IdPath) -> Response[PartnerOfferOut]:
    return http.ok(get_offer(_partner_id(), offer_id, base_url(router)))


@router.post("/partner/offers/<offer_id>/application", **http.documented(201, partner=True, writes=True))
def apply_for_my_offer(offer_id: IdPath, body: AccessApplicationIn) -> Response[OfferAccessOut]:
    """Apply for an offer that requires approval (once; the network approves or rejects it)."""
    partner_id = _partner_id()
    return http.create(
        router,
        lambda caller: apply_for_offer(partner_id, offer_id, body, caller),
        lambda made: offer_access.get_access(offer_id, made.entity_id),
        partner_id=partner_id,
    )


@router.get("/partner/stats", **http.documented(partner=True))
def my_stats(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    interval: IntervalQuery = "day",
    group_by: GroupBy = "offer",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
) -> Response[StatsOut]:
    """The partner's own stats: no private goals, no revenue or profit (eventually consistent)."""
    span = reports.window_of(from_, to, timezone)
    groups = reports.parse_group_by(group_by)
    return http.ok(stats(_partner_id(), span, timezone, interval, groups, offer_id, goal_id))  # type: ignore[arg-type]


@router.get("/partner/conversions", **http.documented(partner=True, csv=ConversionReportOut))
def my_conversions(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
    status: StatusQuery = "",
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    format: Format = "json",  # noqa: A002 - the query parameter's name
) -> Response[ConversionReportOut | str]:
    """The partner's own conversions (approved; pending too if the network allows; held or
    refused by a screening rule, with the reason)."""
    span = reports.window_of(from_, to, timezone)
    report = conversion_report(_partner_id(), span, timezone, offer_id, goal_id, status, limit, cursor)
    return reports.report_response(report, format)


@router.get("/partner/offers/<offer_id>/postbacks", **http.documented(partner=True))
def my_postbacks(
    offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[PartnerPostbackOut]]:
    """The partner's own postbacks and pixels on an offer (when the network lets partners manage them)."""
    return http.ok(list_postbacks(_partner_id(), offer_id, limit, cursor))


@router.post("/partner/offers/<offer_id>/postbacks", **http.documented(201, partner=True, writes=True))
def add_my_postback(offer_id: IdPath, body: PartnerPostbackIn) -> Response[PartnerPostbackOut]:
    partner_id = _partner_id()
    return http.create(
        router,
        lambda caller: add_postback(partner_id, offer_id, body, caller),
        lambda made: _own_postback(partner_pixels.get_partner_pixel(offer_id, made.entity_id)),
        partner_id=partner_id,
    )


@router.delete(
    "/partner/offers/<offer_id>/postbacks/<pixel_id>", **http.documented(204, partner=True, writes=True)
)
def remove_my_postback(offer_id: IdPath, pixel_id: IdPath) -> Response[None]:
    partner_id = _partner_id()
    remove_postback(partner_id, offer_id, pixel_id, http.caller(router, partner_id))
    return http.no_content()


@router.post("/partner/offers/<offer_id>/postbacks/<pixel_id>/test", **http.documented(partner=True))
def test_my_postback(offer_id: IdPath, pixel_id: IdPath, body: PostbackTestIn) -> Response[PostbackTestOut]:
    """Send one of the partner's own postbacks once now with sample macros (``macros``
    overrides them): the expanded URL, the answer's status, headers, first 1 KB and the time.
    Same SSRF guard, deadline and signature as a real delivery (``X-Goalpost-Test: 1``);
    nothing is recorded."""
    return http.ok(test_own_postback(_partner_id(), offer_id, pixel_id, body))


@router.get("/partner/trace/<transaction_id>", **http.documented(partner=True))
def my_trace(transaction_id: TransactionPath) -> Response[PartnerTraceOut]:
    """The trace of one of the partner's own clicks: its conversions (as its report shows them)
    and the deliveries of its own postbacks (status, tries, first 1 KB of its answer, time)."""
    return http.ok(partner_trace(_partner_id(), transaction_id.lower()))
