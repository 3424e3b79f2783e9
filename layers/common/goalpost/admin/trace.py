"""The conversion trace: "my conversion didn't track" answered in one read of a session.

A session's click, every conversion and stored refusal it received in order (with the request
as received, secrets redacted), the rules that decided as far as they were stored (payout
source, cap and lookback codes, screening flags, currency rates), adjustments, and every
partner delivery (URL sent, status, first 1 KB of the answer, time, tries, next retry).

Reads: one GetItem (the session) and two bounded queries (its records, its deliveries); the
answer counts them in ``reads``. Fields later issues add to the stored items (``flags``,
``redirected``) are shown as stored, without this module knowing them.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from goalpost.admin import http, reports
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import Day, FromDay, IdPath, TimeZone
from goalpost.admin.offers import get_offer
from goalpost.admin.views import OrderTracesOut, TraceOut, UnmatchedOut
from goalpost.model import clock
from goalpost.model.caps import CAP_CODES
from goalpost.model.ids import iso_timestamp
from goalpost.model.redact import redacted_url
from goalpost.model.screening import SCREENING_RULE_CODES
from goalpost.rules.stats import Window
from goalpost.store import config_cache, conversion_store, delivery_store, session_store, unmatched_store
from goalpost.store.dynamo import as_written

TRACE_RECORDS = 100
"""At most this many records of a session in one trace (20 refusals at most, plus conversions)."""
TRACE_DELIVERIES = 100
ORDER_DAYS = 8
"""An ``adv_sub`` search covers at most this many UTC days (a week in any zone), one bounded
query per day."""
ORDER_PAGES_PER_DAY = 4

CLICK_FIELDS = (
    "offer_id", "partner_id", "subs", "ip", "user_agent", "flags", "redirected", "expires_at",
    "closed_at", "closed_by_goal", "rejected_count", "test_link",
)  # fmt: skip
RECORD_FIELDS = (
    "conversion_id", "kind", "status", "status_code", "note", "created_at", "goal_id", "goal_name",
    "requested_goal", "private", "via", "ip", "user_agent", "request_query", "adv_subs", "unique_ids",
    "adjustments", "duplicate_count", "last_duplicate_at", "reverses", "transition", "test",
    "test_delivery",
)  # fmt: skip
RULE_FIELDS = (
    "payout_source", "payout", "revenue", "currency", "sale_amount", "sale_currency", "sale_rate",
    "partner_currency", "partner_payout", "partner_rate", "base_currency", "base_payout",
    "base_revenue", "base_rate", "rate_day", "flags", "goal_by",
)  # fmt: skip
DELIVERY_FIELDS = (
    "delivery_id", "partner_id", "event", "status", "attempts", "response_code", "answer_head",
    "took_ms", "created_at", "last_attempt_at", "finished_at", "next_retry_at", "last_error", "test",
)  # fmt: skip
LOOKBACK_CODES = ("lookback_too_soon", "lookback_expired", "session_expired")


WHOLE_NUMBERS = ("expires_at", "closed_at", "rejected_count", "attempts", "response_code", "took_ms")


def _picked(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields present, counts and instants as whole numbers (money stays Decimal)."""
    picked = as_written({k: item[k] for k in fields if item.get(k) not in (None, "", [], {}, ())})
    return {k: int(v) if k in WHOLE_NUMBERS and isinstance(v, Decimal) else v for k, v in picked.items()}


def delivery_view(item: dict[str, Any]) -> dict[str, Any]:
    shown = _picked(item, DELIVERY_FIELDS)
    shown["url"] = str(item.get("url_sent") or redacted_url(str(item.get("url", ""))))
    return shown


def _record(item: dict[str, Any], deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    shown = _picked(item, RECORD_FIELDS)
    shown["decision"] = "refused" if str(item.get("sk", "")).startswith("REJECTED#") else item.get("status")
    rules = _picked(item, RULE_FIELDS)
    code = str(item.get("status_code", ""))
    if code in CAP_CODES:
        rules["cap"] = code
    if code in LOOKBACK_CODES:
        rules["lookback"] = code
    screened = [str(f) for f in item.get("flags") or () if f in SCREENING_RULE_CODES]
    if code in SCREENING_RULE_CODES and code not in screened:
        screened.insert(0, code)
    if screened:  # the screening verdicts that held, refused or flagged it (README, Traffic screening)
        rules["screening"] = screened
    shown["rules"] = rules
    conversion_id = str(item.get("reverses") or item.get("conversion_id", ""))
    shown["deliveries"] = (
        [] if item.get("kind") == "clawback" and not item.get("reverses") else
        [d for d in deliveries if str(d["delivery_id"]).startswith(f"{conversion_id}.")
         and ((".reversal" in str(d["delivery_id"])) == (item.get("kind") == "clawback"))]
    )  # fmt: skip
    return shown


def _offer_rules(offer_id: str) -> dict[str, Any]:
    """The offer's caps and lookback as configured now (from the config cache: no table read)."""
    bundle = config_cache.offer_bundle(offer_id)
    if bundle is None:
        return {}
    offer = bundle.offer
    return {
        "caps": [cap.to_dict() for cap in offer.caps],
        "cap_action": offer.cap_action,
        "min_session_seconds": offer.min_session_seconds,
        "max_session_seconds": offer.max_session_seconds,
    }


def trace(transaction_id: str) -> dict[str, Any]:
    """Everything stored about one click session, in order; 404 when nothing is."""
    reads = {"get_item": 1, "query": 1}
    session = session_store.session_item(transaction_id)
    records, more = conversion_store.session_records(transaction_id, limit=TRACE_RECORDS)
    if session is None and not records:
        raise not_found("transaction", transaction_id)
    offer_id = str(session["offer_id"]) if session else str(records[0].get("offer_id", ""))
    deliveries: list[dict[str, Any]] = []
    if any(r.get("kind") in ("conversion", "clawback") for r in records):
        reads["query"] += 1
        deliveries = [
            delivery_view(d)
            for d in delivery_store.session_deliveries(offer_id, transaction_id, limit=TRACE_DELIVERIES)
        ]
    click: dict[str, Any] = {}
    if session is not None:
        click = {
            "time": iso_timestamp(float(session["created_at"])),
            **_picked(session, CLICK_FIELDS),
        }
    events = sorted(
        (_record(r, deliveries) for r in records if r.get("kind") != "goal_click"),
        key=lambda r: (str(r.get("created_at", "")), str(r.get("conversion_id", ""))),
    )
    return {
        "transaction_id": transaction_id,
        "offer_id": offer_id,
        "click": click,
        "session_found": session is not None,
        "events": events,
        "goal_clicks": sum(1 for r in records if r.get("kind") == "goal_click"),
        "truncated": more,
        "offer_rules_now": _offer_rules(offer_id),
        "reads": reads,
    }


def trace_of_conversion(conversion_id: str) -> dict[str, Any]:
    """The trace of the session a conversion (or refusal, or clawback) id belongs to."""
    transaction_id = conversion_id.partition("-")[0]
    if not transaction_id or "-" not in conversion_id:
        raise ApiError("validation_error", "conversion_id is <transaction id>-<goal id or R...>")
    found = trace(transaction_id)
    if not any(e.get("conversion_id") == conversion_id for e in found["events"]):
        raise not_found("conversion", conversion_id)
    return {**found, "conversion_id": conversion_id}


def traces_of_order(offer_id: str, order_id: str, span: Window) -> dict[str, Any]:
    """The sessions whose conversions on this offer carry ``adv_sub`` = the order id, searched
    day by day over the range (at most ``ORDER_DAYS`` days, each a bounded query)."""
    days = span.utc_days()
    if len(days) > ORDER_DAYS:
        raise ApiError("bad_range", "an adv_sub search covers at most 7 days")
    matches: list[dict[str, Any]] = []
    incomplete = False
    for day in days:
        found, more = conversion_store.offer_records_with_order_id(
            offer_id, order_id, day, pages=ORDER_PAGES_PER_DAY
        )
        matches.extend(found)
        incomplete = incomplete or more
    transaction_ids = sorted({str(m["transaction_id"]) for m in matches})[:10]
    return {
        "offer_id": offer_id,
        "adv_sub": order_id,
        "incomplete": incomplete,
        "traces": [trace(t) for t in transaction_ids],
    }


UNMATCHED_HOURS = 24
"""An unmatched-refusals search covers at most this many hours (one query each)."""


def _hour(raw: str, name: str) -> datetime:
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H").replace(tzinfo=UTC)
    except ValueError:
        raise ApiError(
            "bad_date", f"{name} must be an hour in UTC, YYYY-MM-DDTHH, got {raw[:20]!r}"
        ) from None


def unmatched(offer_id: str, first: str | None, last: str | None) -> dict[str, Any]:
    """Refusals that matched no session, of an offer ("-": the requests naming none), hour by
    hour in UTC (default: the last hour), at most ``UNMATCHED_HOURS`` hours."""
    now = datetime.fromtimestamp(clock.now(), UTC).replace(minute=0, second=0, microsecond=0)
    end = _hour(last, "to") if last else now
    start = _hour(first, "from") if first else end
    hours = int((end - start).total_seconds() // 3600) + 1
    if hours < 1:
        raise ApiError("bad_range", "from must not be after to")
    if hours > UNMATCHED_HOURS:
        raise ApiError("bad_range", f"an unmatched search covers at most {UNMATCHED_HOURS} hours")
    items: list[dict[str, Any]] = []
    for n in range(hours):
        hour = (start + timedelta(hours=n)).strftime("%Y-%m-%dT%H")
        items.extend(unmatched_store.unmatched_of_hour(offer_id, hour))
    shown = [{k: v for k, v in i.items() if k not in ("pk", "sk", "guard_expires_at")} for i in items]
    return {"offer_id": offer_id, "from": start.strftime("%Y-%m-%dT%H"), "to": end.strftime("%Y-%m-%dT%H"),
            "items": shown, "reads": {"query": hours}}  # fmt: skip


# ------------------------------------------------------------------ routes

router = http.resource_router()

TransactionPath = Annotated[
    str, Path(pattern=r"^[0-9a-fA-F_-]{1,64}$", description="The click's transaction id")
]
ConversionQuery = Annotated[
    str | None,
    Query(pattern=r"^[0-9a-fA-F_-]{1,64}-[0-9A-Za-z:%._-]{1,80}$", description="A conversion or refusal id"),
]
OrderQuery = Annotated[
    str, Query(min_length=1, max_length=255, description="The advertiser's order id (adv_sub)")
]


@router.get("/admin/trace/<transaction_id>", **http.documented())
def trace_transaction(transaction_id: TransactionPath) -> Response[TraceOut]:
    """A click's whole story: the click, each postback and pixel with its decision and why, the
    conversion's adjustments, every partner delivery (one GetItem and two bounded queries)."""
    return http.ok(trace(transaction_id.lower()))


@router.get("/admin/trace", **http.documented())
def trace_conversion(conversion_id: ConversionQuery = None) -> Response[TraceOut]:
    """The trace of the session a conversion (or stored refusal) id belongs to."""
    if not conversion_id:
        raise ApiError("validation_error", "send conversion_id, or GET /admin/trace/<transaction_id>")
    return http.ok(trace_of_conversion(conversion_id.lower()))


@router.get("/admin/offers/<offer_id>/trace", **http.documented())
def trace_order(
    offer_id: IdPath, adv_sub: OrderQuery, from_: FromDay = None, to: Day = None, timezone: TimeZone = "UTC"
) -> Response[OrderTracesOut]:
    """The traces of the sessions whose conversions carry this order id (default: the last 7 days)."""
    get_offer(offer_id)
    return http.ok(traces_of_order(offer_id, adv_sub, reports.window_of(from_, to, timezone)))


_HOUR = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}$"
FromHour = Annotated[
    str | None, Query(alias="from", pattern=_HOUR, description="first UTC hour, YYYY-MM-DDTHH")
]
ToHour = Annotated[str | None, Query(pattern=_HOUR, description="last UTC hour (default: this hour)")]
UnmatchedOffer = Annotated[
    str, Path(pattern=r"^([0-9]{1,12}|-)$", description='An offer id, or "-" for requests naming none')
]


@router.get("/admin/unmatched/<offer_id>", **http.documented())
def list_unmatched(
    offer_id: UnmatchedOffer, from_: FromHour = None, to: ToHour = None
) -> Response[UnmatchedOut]:
    """Refused requests that matched no session (unknown transaction id, a status postback's bad
    token), kept a week, by offer and UTC hour (at most 24 hours a search, one query an hour)."""
    return http.ok(unmatched(offer_id, from_, to))
