"""Reports: stats, the conversion report and the funnel.

Stats come from hourly cells the stats consumer keeps from the streams (eventually
consistent, seconds behind tracking); the conversion report reads conversions through an
index for the range asked. The partner's view (``partner_view``) calls the same functions
with its own restrictions.
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Annotated, Any, NamedTuple, TypedDict

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from goalpost.admin import http
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.exports import to_csv
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
from goalpost.admin.paging import check_limit, decode_cursor, page
from goalpost.admin.views import ConversionReportOut, DashboardOut, FunnelOut, StatsOut
from goalpost.model import clock
from goalpost.model.conversion import CONVERSION, STATUSES
from goalpost.model.ids import iso_timestamp
from goalpost.model.money import format_money
from goalpost.model.offer import DEFAULT_GOAL_ID, OfferBundle
from goalpost.model.session import ADV_SUB_FIELDS, CLICK_CONTEXT_FIELDS
from goalpost.rules.stats import (
    AMOUNTS,
    CLICK_COUNTS,
    COUNTS,
    DIMENSIONS,
    SUB_DIMENSIONS,
    Dimension,
    FunnelStep,
    Interval,
    MoneyView,
    Sums,
    Window,
    column_of,
    metrics,
    rollup_reads,
    rollup_sums,
    summarize,
    window,
)
from goalpost.rules.stats import funnel as funnel_of
from goalpost.store import config_store, report_store, stats_store

MAX_RANGE_DAYS = 93


DEFAULT_RANGE_DAYS = 7


CONSISTENCY = (
    "Stats are aggregated asynchronously from the tracking streams: they trail clicks and "
    "conversions by a few seconds. The conversion report reads conversions themselves."
)


_OFFSET = re.compile(r"([+-])([0-9]{2}):?([0-9]{2})")


def parse_zone(raw: str) -> tzinfo:
    """``UTC``, an offset (``+05:00``, ``-0300``) or an IANA name (``America/New_York``)."""
    if not raw or raw.upper() in ("UTC", "Z"):
        return UTC
    if raw.startswith(" "):
        raw = "+" + raw[1:]  # an unencoded "+05:00" in a query string arrives as " 05:00"
    match = _OFFSET.fullmatch(raw)
    if match:
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        if offset > timedelta(hours=14) or int(minutes) >= 60:
            raise ApiError("bad_timezone", f"{raw!r} is not a UTC offset between -14:00 and +14:00")
        return timezone(-offset if sign == "-" else offset)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError("bad_timezone", f"{raw[:64]!r} is not a time zone name or UTC offset") from None


def _day(raw: str, name: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError("bad_date", f"{name} must be a date (YYYY-MM-DD), got {raw[:20]!r}") from None
    if not 2000 <= day.year <= 2100:
        raise ApiError("bad_date", f"{name} must be between 2000 and 2100")
    return day


def report_window(day_from: str | None, day_to: str | None, zone_name: str, now: datetime) -> Window:
    """The caller's date range (inclusive, in their zone); the last 7 days by default."""
    zone = parse_zone(zone_name)
    today = now.astimezone(zone).date()
    last = _day(day_to, "to") if day_to else today
    first = _day(day_from, "from") if day_from else last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise ApiError("bad_range", "from must not be after to")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ApiError("bad_range", f"a report covers at most {MAX_RANGE_DAYS} days")
    return window(first, last, zone)


ReportRange = TypedDict("ReportRange", {"from": str, "to": str, "timezone": str, "exact": bool})
"""The range a report covers, in the caller's zone (``exact``: it is whole hours)."""


class StatsReport(ReportRange):
    interval: str
    group_by: list[str]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    money: MoneyView
    consistency: str


class ConversionReport(ReportRange):
    columns: list[str]
    items: list[dict[str, Any]]
    next_cursor: str | None


class FunnelReport(ReportRange):
    offer_id: str
    partner_id: str | None
    steps: list[dict[str, Any]]
    consistency: str


def _window_info(span: Window, zone_name: str) -> ReportRange:
    local_end = (span.end - timedelta(microseconds=1)).astimezone(span.zone)
    return {
        "from": span.start.astimezone(span.zone).date().isoformat(),
        "to": local_end.date().isoformat(),
        "timezone": zone_name or "UTC",
        "exact": span.exact,
    }


class Filters(NamedTuple):
    offer_id: str = ""
    goal_id: str = ""
    partner_id: str = ""
    advertiser_id: str = ""


def read_cells(span: Window, filters: Filters) -> list[dict[str, Any]]:
    """The cells of the range: a partner's through its index, else one offer's or all."""
    if filters.goal_id and filters.goal_id != DEFAULT_GOAL_ID and not filters.offer_id:
        # Goal ids are network-wide: the goal names its offer (whose clicks its rate is over);
        # an unknown goal gets an offer id no cell has, so nothing.
        filters = filters._replace(offer_id=config_store.get_goal_offer(filters.goal_id) or "-")
    days = span.utc_days()
    if filters.partner_id:
        cells = stats_store.partner_stats_cells(filters.partner_id, days)
    else:
        cells = stats_store.stats_cells(days, offer_id=filters.offer_id)
    kept = [
        c
        for c in cells
        if (not filters.offer_id or c["offer_id"] == filters.offer_id)
        and (not filters.advertiser_id or c.get("advertiser_id") == filters.advertiser_id)
        and (not filters.goal_id or c.get("goal_id") in ("", filters.goal_id))
    ]
    if not filters.goal_id:
        return kept
    # Filtered by goal, the offer's own cells keep their traffic (a goal's rate is over its
    # offer's clicks) but not what they hold of no goal (refusals whose goal never resolved).
    return [c if c.get("goal_id") else {k: v for k, v in c.items() if k not in _GOAL_COUNTERS} for c in kept]


_GOAL_COUNTERS = frozenset(COUNTS + AMOUNTS) - CLICK_COUNTS


def parse_group_by(raw: str) -> tuple[str, ...]:
    """The dimensions asked: those of the cells, or one sub id with offer and partner."""
    names = [n for n in raw.split(",") if n] if raw else []
    chosen: list[str] = []
    for name in names:
        if name not in DIMENSIONS and name not in SUB_DIMENSIONS:
            raise ApiError(
                "bad_group_by", f"group_by takes {', '.join(DIMENSIONS + SUB_DIMENSIONS)}; got {name[:20]!r}"
            )
        if name not in chosen:
            chosen.append(name)
    subs = [n for n in chosen if n in SUB_DIMENSIONS]
    if subs and (len(subs) > 1 or any(n in ("goal", "advertiser") for n in chosen)):
        raise ApiError("bad_group_by", "a sub id breaks stats down alone, or with offer and partner")
    return tuple(chosen)


MAX_SUB_CELLS = 20_000
"""The most sub cells a sub id breakdown reads (one per value, hour, offer and partner): a
partner that puts click ids in a sub id makes as many values as clicks; past this the report is
refused (narrow the range, or an offer or a partner), never cut short. Only the cells of the
offer and partner asked for are read, so only they count."""


def _narrower(filters: Filters) -> str:
    """Advice for a sub id breakdown that reads too much: what would read fewer cells."""
    if filters.offer_id and filters.partner_id:
        return "ask for fewer days"
    if filters.offer_id:
        return "ask for fewer days, or one partner of the offer (partner_id)"
    if filters.partner_id:
        return "ask for fewer days, or one offer (offer_id)"
    return "ask for fewer days, an offer (offer_id) or a partner (partner_id)"


def read_sub_cells(span: Window, dimension: str, filters: Filters) -> list[dict[str, Any]]:
    """The sub cells of one sub id in the range (of the offer and partner filtered by), where
    the network keeps that sub id."""
    if dimension not in config_store.get_network_settings().stats_sub_ids:
        raise ApiError(
            "sub_id_not_kept",
            f"the stats keep no breakdown by {dimension}: choose it in the network's stats_sub_ids "
            "(kept from then on)",
        )
    if filters.goal_id or filters.advertiser_id:
        raise ApiError("bad_group_by", "a sub id breakdown filters by offer and partner only")
    try:
        return stats_store.sub_cells(
            span.utc_days(),
            dimension,
            offer_id=filters.offer_id,
            partner_id=filters.partner_id,
            limit=MAX_SUB_CELLS,
        )
    except stats_store.TooManySubCells:
        whose = "".join(
            f" of {name} {value}"
            for name, value in (("offer", filters.offer_id), ("partner", filters.partner_id))
            if value
        )
        raise ApiError(
            "too_many_sub_values",
            f"more than {MAX_SUB_CELLS} {dimension} cells{whose} in this range: {_narrower(filters)}",
        ) from None


def stats(
    span: Window,
    zone_name: str,
    interval: Interval,
    group_by: tuple[str, ...],
    filters: Filters,
    *,
    visible: Callable[[dict[str, Any]], bool] | None = None,
    hidden: frozenset[str] = frozenset(),
    view: MoneyView = "base",
) -> StatsReport:
    sub = next((d for d in group_by if d in SUB_DIMENSIONS), "")
    if sub and view == "original":
        raise ApiError("bad_money", "a sub id breakdown gives money in the base (or partner) currency only")
    cells = read_sub_cells(span, sub, filters) if sub else read_cells(span, filters)
    if visible is not None:
        cells = [c for c in cells if visible(c)]
    summary = summarize(
        cells,
        window=span,
        interval=interval,
        group_by=group_by,
        hidden=hidden,
        view=view,
    )
    return {
        **_window_info(span, zone_name),
        "interval": interval,
        "group_by": list(group_by),
        "rows": summary["rows"],
        "totals": summary["totals"],
        "money": view,
        "consistency": CONSISTENCY,
    }


_TRAFFIC_DETAIL = ("session_ip", "ip", "user_agent", "via", "duplicate_count", "note")
_DECISION = ("decided_at", "decided_by", "decision_note")
"""The latest change of the status (an approval, a rejection, a reversal): when, by whom, and
the note given with it, so a report or its CSV says why without opening each conversion."""
EXCHANGE_COLUMNS = (
    "sale_rate", "partner_currency", "partner_payout", "partner_rate",
    "base_currency", "base_payout", "base_revenue", "base_rate", "rate_day",
)  # fmt: skip
"""What a conversion was worth in the partner's and the network's currencies, frozen when
recorded (admins only: a partner's row gives its own payout and currency as ``payout``)."""
_MONEY_COLUMNS = ("payout", "revenue", "sale_amount", "partner_payout", "base_payout", "base_revenue")


ADMIN_COLUMNS = (
    "conversion_id",
    "created_at",
    "status",
    "status_code",
    "flags",
    "offer_id",
    "goal_id",
    "goal_name",
    "partner_id",
    "advertiser_id",
    "transaction_id",
    *CLICK_CONTEXT_FIELDS,
    *ADV_SUB_FIELDS,
    "payout",
    "revenue",
    "sale_amount",
    "currency",
    "sale_currency",
    *EXCHANGE_COLUMNS,
    "session_created_at",
    *_TRAFFIC_DETAIL,
    *_DECISION,
)


_NOT_FOR_PARTNERS = {
    "revenue", "advertiser_id", "status_code", "flags", *ADV_SUB_FIELDS, *_TRAFFIC_DETAIL, *EXCHANGE_COLUMNS,
    *_DECISION,
}  # fmt: skip


PARTNER_COLUMNS = tuple(c for c in ADMIN_COLUMNS if c not in _NOT_FOR_PARTNERS)


def report_row(item: dict[str, Any], columns: tuple[str, ...], *, partners: bool = False) -> dict[str, Any]:
    """A conversion as a flat row: sub ids as columns, money as exact decimal strings, each
    amount's currency named (a partner's payout in the partner's own currency)."""
    flat: dict[str, Any] = {**item, **item.get("subs", {}), **item.get("adv_subs", {})}
    if flat.get("sale_amount") is not None:
        flat["sale_currency"] = flat.get("sale_currency") or flat.get("currency")
    if partners and flat.get("partner_currency"):
        flat["payout"], flat["currency"] = flat.get("partner_payout"), flat["partner_currency"]
    for name in _MONEY_COLUMNS:
        if flat.get(name) is not None:
            flat[name] = format_money(Decimal(str(flat[name])))
    flat["flags"] = " ".join(flat.get("flags") or ())  # screening codes found (README, Traffic screening)
    decisions = [a for a in item.get("adjustments") or () if a.get("from") != a.get("to")]
    if decisions:
        flat["decided_at"], flat["decided_by"] = decisions[-1].get("at"), decisions[-1].get("by")
        flat["decision_note"] = decisions[-1].get("reason")
    created = flat.get("session_created_at")
    if created not in (None, ""):
        flat["session_created_at"] = (
            datetime.fromtimestamp(int(created), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        )
    return {c: "" if flat.get(c) is None else flat[c] for c in columns}


def report_query(
    span: Window,
    filters: Filters,
    statuses: tuple[str, ...] = (),
    *,
    public_only: bool = False,
    kinds: tuple[str, ...] = (CONVERSION,),
) -> report_store.ReportQuery:
    return report_store.ReportQuery(
        start=iso_timestamp(span.start.timestamp()),
        end=iso_timestamp(span.end.timestamp()),
        days=tuple(span.utc_days()),
        offer_id=filters.offer_id,
        partner_id=filters.partner_id,
        goal_id=filters.goal_id,
        advertiser_id=filters.advertiser_id,
        statuses=statuses,
        public_only=public_only,
        kinds=kinds,
    )


def conversion_report(
    span: Window,
    zone_name: str,
    filters: Filters,
    statuses: tuple[str, ...],
    limit: int,
    cursor: str | None,
    *,
    columns: tuple[str, ...] = ADMIN_COLUMNS,
    partners: bool = False,
) -> ConversionReport:
    """A page of conversions; for ``partners``, only public goals and the partner's money."""
    query = report_query(span, filters, statuses, public_only=partners)
    items, last = report_store.conversion_report(
        query, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    listed = page([report_row(i, columns, partners=partners) for i in items], last)
    return {
        **_window_info(span, zone_name),
        "columns": list(columns),
        "items": listed["items"],
        "next_cursor": listed["next_cursor"],
    }


def report_csv(report: ConversionReport) -> str:
    return to_csv(report["columns"], report["items"])


STATS_CSV_METRICS = (
    "clicks", "impressions", "goal_clicks", "conversions", "pending", "rejected",
    "payout", "revenue", "profit", "sale_amount", "currency", "conversion_rate",
)  # fmt: skip


def stats_csv(report: StatsReport) -> str:
    """The stats' rows as CSV, their totals last (period ``totals``); a row whose money spans
    several currencies gives it as ``by_currency.<code>.<field>`` columns, never added up."""
    dims = [column_of(d) for d in report["group_by"]]
    lines: list[dict[str, Any]] = []
    extra: dict[str, None] = {}
    for row in [*report["rows"], {"period": "totals", **report["totals"]}]:
        flat = {k: v for k, v in row.items() if k != "by_currency"}
        for code, amounts in (row.get("by_currency") or {}).items():
            for field, value in amounts.items():
                flat[f"by_currency.{code}.{field}"] = value
                extra[f"by_currency.{code}.{field}"] = None
        lines.append(flat)
    return to_csv(["period", *dims, *STATS_CSV_METRICS, *extra], lines)


def parse_statuses(raw: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s for s in raw.split(",") if s)) if raw else allowed
    wrong = [s for s in chosen if s not in allowed]
    if wrong:
        raise ApiError("bad_status", f"status takes {', '.join(allowed)}; got {wrong[0][:20]!r}")
    return chosen


def flow_order(bundle: OfferBundle, order: str = "") -> list[FunnelStep]:
    """Default goal, then additional goals by id, end points last (the funnel then orders them
    by how many users reached each); or the order asked, as asked."""
    goals = {DEFAULT_GOAL_ID: bundle.offer.default_goal, **bundle.goals}
    if order:
        ids = [g for g in order.split(",") if g]
        unknown = [g for g in ids if g not in goals]
        if unknown:
            raise ApiError("bad_goal_order", f"goal {unknown[0][:20]} is not a goal of this offer")
        chosen = [goals[g] for g in dict.fromkeys(ids)]
    else:
        chosen = sorted(
            (g for g in goals.values() if g.status != "deleted"),
            key=lambda g: (not g.is_default, g.end_point, int(g.goal_id)),
        )
    return [FunnelStep(g.goal_id, g.name, g.private, g.end_point) for g in chosen]


def funnel(offer_id: str, span: Window, zone_name: str, partner_id: str, order: str) -> FunnelReport:
    bundle = config_store.load_offer_bundle(offer_id)
    if bundle is None:
        raise not_found("offer", offer_id)
    steps = flow_order(bundle, order)
    cells = read_cells(span, Filters(offer_id=offer_id, partner_id=partner_id))
    return {
        "offer_id": offer_id,
        **_window_info(span, zone_name),
        "partner_id": partner_id or None,
        "steps": funnel_of(cells, window=span, steps=steps, by_reach=not order)["steps"],
        "consistency": CONSISTENCY,
    }


DASHBOARD_TOP = 5
DASHBOARD_FIELDS = (
    "clicks", "unique_clicks", "invalid_clicks", "conversions", "pending", "held",
    "payout", "revenue", "profit", "currency",
)  # fmt: skip


def _dashboard_figures(row: dict[str, Any]) -> dict[str, Any]:
    figures = {k: row.get(k) for k in DASHBOARD_FIELDS}
    clicks = int(row.get("clicks") or 0)
    # earnings per click: what the partners earned (the payout) per click
    figures["epc"] = (
        format_money((Decimal(str(row.get("payout") or 0)) / clicks).quantize(Decimal("0.0001")))
        if clicks and row.get("payout") is not None
        else None
    )
    figures["conversion_rate"] = row.get("conversion_rate")
    return figures


def dashboard(zone_name: str, now: datetime) -> dict[str, Any]:
    """Today, yesterday and the last 7 days, top offers and partners and the conversions held
    for review, in the network's base currency: from the stats' rollups (the network's, each
    offer's and each partner's per UTC day, and per hour for a day the zone's midnight cuts),
    kept by the stats consumer beside the cells they sum; no scan, no cells."""
    week = report_window(None, None, zone_name, now)
    today = now.astimezone(week.zone).date()
    spans = {
        "today": window(today, today, week.zone),
        "yesterday": window(today - timedelta(days=1), today - timedelta(days=1), week.zone),
        "last_7_days": week,
    }
    items = stats_store.rollup_items(*rollup_reads(list(spans.values()), week))

    def total(span: Window) -> dict[str, Any]:
        sums = rollup_sums(items, span, "network").get("", Sums.empty("base"))
        return _dashboard_figures(metrics(sums))

    def top(level: Dimension) -> list[dict[str, Any]]:
        sums = rollup_sums(items, week, level)
        rows = [{f"{level}_id": subject, **metrics(sums[subject])} for subject in sorted(sums)]
        rows.sort(key=lambda r: (-Decimal(str(r.get("revenue") or 0)), -int(r.get("clicks") or 0)))
        return [{f"{level}_id": r[f"{level}_id"], **_dashboard_figures(r)} for r in rows[:DASHBOARD_TOP]]

    periods = {name: total(span) for name, span in spans.items()}
    week_figures = periods["last_7_days"]
    return {
        "timezone": zone_name,
        "today": today.isoformat(),
        "periods": periods,
        "top_offers": top("offer"),
        "top_partners": top("partner"),
        # waiting for an admin: pending approval, and held for review by a screening rule
        "held_for_review": int(week_figures["pending"] or 0) + int(week_figures["held"] or 0),
        "invalid_clicks": int(week_figures["invalid_clicks"] or 0),
        "held_by_screening": int(week_figures["held"] or 0),
        "currency": week_figures["currency"],
        "consistency": CONSISTENCY,
    }


def window_of(day_from: str | None, day_to: str | None, zone: str) -> Window:
    return report_window(day_from, day_to, zone, datetime.fromtimestamp(clock.now(), UTC))


def report_response(report: ConversionReport, format_: str) -> Response[Any]:
    """JSON, or CSV with the next page's cursor in X-Next-Cursor."""
    if format_ != "csv":
        return http.ok(report)
    headers = {"content-disposition": 'attachment; filename="conversions.csv"'}
    if report["next_cursor"]:
        headers["x-next-cursor"] = report["next_cursor"]
    return http.csv_text(report_csv(report), headers)


# ------------------------------------------------------------------ routes

router = http.resource_router()
MoneyQuery = Annotated[str, Query(pattern=r"^(base|original)$")]


@router.get("/admin/stats", **http.documented(csv=StatsOut))
def network_stats(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    interval: IntervalQuery = "day",
    group_by: GroupBy = "offer",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
    partner_id: OptionalId = "",
    advertiser_id: OptionalId = "",
    money: MoneyQuery = "base",
    format: Format = "json",  # noqa: A002 - the query parameter's name
) -> Response[StatsOut | str]:
    """Clicks, impressions, goal clicks, conversions (approved, pending, rejected), payout,
    revenue, profit, sale amount and conversion rate, by hour or day in the caller's time zone.

    Money in the network's base currency (``money=base``, as each conversion was converted
    when recorded), or in each offer's own currency (``money=original``: never added across
    currencies, given per currency in ``by_currency``).

    Eventually consistent: aggregated from the tracking streams, a few seconds behind.
    Pending and rejected conversions add no money; grouped by goal, the offer's clicks and
    impressions are on the row with an empty goal_id. The conversion rate is the default goal's
    conversions over clicks; grouped by goal, each goal's own. CSV with format=csv.
    """
    span = window_of(from_, to, timezone)
    filters = Filters(offer_id, goal_id, partner_id, advertiser_id)
    view: MoneyView = "original" if money == "original" else "base"
    report = stats(span, timezone, interval, parse_group_by(group_by), filters, view=view)  # type: ignore[arg-type]
    if format == "csv":
        return http.csv_text(stats_csv(report), {"content-disposition": 'attachment; filename="stats.csv"'})
    return http.ok(report)


@router.get("/admin/dashboard", **http.documented())
def network_dashboard(timezone: TimeZone = "UTC") -> Response[DashboardOut]:
    """The console's home: today, yesterday and the last 7 days (clicks gross, unique and
    invalid, conversions, pending, held, payout, revenue, profit, EPC = payout per click,
    conversion rate), the top 5 offers and partners of the 7 days by revenue, the conversions
    waiting for review (pending or held), in the base currency. Read from the stats' rollups
    (a handful of items per day, no scan); eventually consistent like the stats."""
    return http.ok(dashboard(timezone, datetime.fromtimestamp(clock.now(), UTC)))


@router.get("/admin/conversions", **http.documented(csv=ConversionReportOut))
def network_conversion_report(
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    offer_id: OptionalId = "",
    goal_id: OptionalId = "",
    partner_id: OptionalId = "",
    advertiser_id: OptionalId = "",
    status: StatusQuery = "",
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    format: Format = "json",  # noqa: A002 - the query parameter's name
) -> Response[ConversionReportOut | str]:
    """The conversion report, newest first, read through an index for the range asked.

    CSV with format=csv (the next page's cursor in the X-Next-Cursor header).
    """
    report = conversion_report(
        window_of(from_, to, timezone),
        timezone,
        Filters(offer_id, goal_id, partner_id, advertiser_id),
        parse_statuses(status, STATUSES),
        limit,
        cursor,
    )
    return report_response(report, format)


@router.get("/admin/offers/<offer_id>/funnel", **http.documented())
def offer_funnel(
    offer_id: IdPath,
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    partner_id: OptionalId = "",
    goals: Annotated[str, Query(pattern=r"^[0-9,]{0,200}$", description="flow order, e.g. 0,3,5")] = "",
) -> Response[FunnelOut]:
    """Sessions, then each goal in flow order (private goals too) with drop-off between steps:
    the order given in ``goals``, else as users walked it (the goals most users reached first,
    end points last)."""
    return http.ok(funnel(offer_id, window_of(from_, to, timezone), timezone, partner_id, goals))
