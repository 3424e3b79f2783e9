"""One conversion's life after it is recorded: listing, approvals, adjustments (one module:
both append to the conversion's history, with clawbacks, through the same store call)."""

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from goalpost.admin import http, reports
from goalpost.admin.documents import Caller
from goalpost.admin.errors import ApiError, not_found
from goalpost.admin.http import Day, FromDay, IdPath, OptionalId, RecordId, TimeZone
from goalpost.admin.offers import get_offer
from goalpost.admin.paging import Listed, check_limit, decode_cursor, page
from goalpost.admin.schemas import ConversionPatch, DecisionIn
from goalpost.admin.views import AdjustedConversionOut, ConversionOut, DecisionsOut, Page
from goalpost.model.conversion import CLAWBACK, CONVERSION, REVERSED, TEST, Conversion
from goalpost.rules.exchange import NoRate, repriced
from goalpost.rules.stats import Window
from goalpost.rules.status import adjustment
from goalpost.store import conversion_store, rate_store, report_store


def list_conversions(offer_id: str, span: Window, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    """Everything recorded on an offer in a range, newest first: conversions, the refusals
    stored for real sessions (why each was refused) and clawbacks."""
    get_offer(offer_id)
    query = reports.report_query(span, reports.Filters(offer_id=offer_id), kinds=())
    items, last = report_store.conversion_report(
        query, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([shown(item) for item in items], last)


def shown(item: dict[str, Any]) -> dict[str, Any]:
    """A record as the admin API shows it; a clawback's status is ``reversed`` (clawbacks
    written before it had its own status were stored as ``approved``)."""
    doc = {**conversion_store.without_storage_fields(item), "kind": item.get("kind") or CONVERSION}
    if doc["kind"] == CLAWBACK:
        doc["status"] = REVERSED
    return doc


def list_pending(offer_id: str, limit: int, cursor: str | None) -> Listed[dict[str, Any]]:
    """Every conversion of the offer awaiting approval, however old (the approvals index)."""
    get_offer(offer_id)
    items, last = report_store.pending_conversions(
        offer_id, limit=check_limit(limit), cursor=decode_cursor(cursor)
    )
    return page([conversion_store.without_storage_fields(item) for item in items], last)


def review_queue(
    offer_id: str, partner_id: str, reason: str, limit: int, cursor: str | None
) -> Listed[dict[str, Any]]:
    """The network's review queue: every offer's conversions awaiting approval, newest first,
    however old; optionally one offer's, one partner's, or those held for one reason code."""
    if offer_id:
        get_offer(offer_id)
    items, last = report_store.review_queue(
        offer_id=offer_id, partner_id=partner_id, status_code=reason, limit=check_limit(limit),
        cursor=decode_cursor(cursor),
    )  # fmt: skip
    return page([conversion_store.without_storage_fields(item) for item in items], last)


class Decision(TypedDict):
    """What became of one conversion of a bulk decision (``status``: as it now is)."""

    conversion_id: str
    outcome: Literal["updated", "unchanged", "conflict", "not_found"]
    status: NotRequired[str]


def decide(body: DecisionIn, caller: Caller) -> Listed[Decision]:
    """Approve, reject or re-approve conversions; each change is an adjustment (who, when, why).

    Leaving approved writes a clawback; becoming approved fires the partner's postbacks
    (through the conversions stream).
    """
    results: list[Decision] = []
    for conversion_id in body.conversion_ids:
        conversion = conversion_store.get_conversion(conversion_id)
        if conversion is None or conversion.is_clawback:
            results.append({"conversion_id": conversion_id, "outcome": "not_found"})
            continue
        old = conversion.status
        if old == body.status or old == TEST:  # a test conversion is never made a real one
            results.append({"conversion_id": conversion_id, "outcome": "unchanged", "status": old})
            continue
        change = adjustment(
            conversion, new_status=body.status, reason=body.note or f"{body.status} by admin", at=caller.at,
            via="admin", actor=caller.actor, amounts={},
        )  # fmt: skip
        changed = conversion_store.adjust_conversion_status(conversion, change, audit_actor=caller.actor)
        results.append(
            {
                "conversion_id": conversion_id,
                "outcome": "updated" if changed else "conflict",
                "status": body.status if changed else old,
            }
        )
    return {"items": results, "next_cursor": None}


def get_conversion(conversion_id: str) -> dict[str, Any]:
    """Any record the reports list: a conversion with its adjustments, a stored refusal (why it
    was refused) or a clawback (``reverses`` names the conversion it reverses)."""
    record = conversion_store.get_record(conversion_id)
    if record is None:
        raise not_found("conversion", conversion_id)
    return shown(record)


def _adjustable(conversion_id: str) -> Conversion:
    """Only a recorded conversion is adjusted: a refusal stays refused, a clawback is history."""
    record = conversion_store.get_record(conversion_id)
    if record is None:
        raise not_found("conversion", conversion_id)
    conversion = Conversion.from_dict(record)
    if conversion.is_clawback:
        raise ApiError(
            "not_adjustable", f"{conversion_id} is a clawback (history): adjust {conversion.reverses}"
        )
    if not str(record.get("sk", "")).startswith("CONV#"):
        raise ApiError("not_adjustable", f"{conversion_id} is a refusal: nothing was recorded to adjust")
    if conversion.status == TEST:
        raise ApiError("not_adjustable", f"{conversion_id} is a test conversion: it is never paid")
    return conversion


def adjust(conversion_id: str, patch: ConversionPatch, caller: Caller) -> dict[str, Any]:
    """Edit payout, revenue, sale amount or status: an adjustment (who, when, before, after).

    Stats follow (the consumer sees the change on the stream); leaving approved writes a
    clawback and fires the partner's reversal postback, becoming approved its postback.
    """
    conversion = _adjustable(conversion_id)
    amounts = {
        name: value
        for name, value in (
            ("payout", patch.payout),
            ("revenue", patch.revenue),
            ("sale_amount", patch.sale_amount),
        )
        if value is not None and getattr(conversion, name) != value
    }
    if conversion.private and amounts.get("payout"):
        raise ApiError("private_goal_payout", "conversions of a private goal pay partners nothing")
    old = conversion.status
    new_status = patch.status or old
    if not amounts and new_status == old:
        return {**get_conversion(conversion_id), "outcome": "unchanged"}
    if "payout" in amounts or "revenue" in amounts:
        amounts.update(_repriced(conversion, amounts, caller.at[:10]))
    change = adjustment(
        conversion, new_status=new_status, reason=patch.note, at=caller.at, via="admin", actor=caller.actor,
        amounts=amounts,
    )  # fmt: skip
    changed = conversion_store.adjust_conversion_status(conversion, change, audit_actor=caller.actor)
    if not changed:
        raise ApiError("conversion_changed", "the conversion changed meanwhile: reload, then adjust")
    return {**get_conversion(conversion_id), "outcome": "updated"}


def _repriced(conversion: Conversion, amounts: dict[str, Any], day: str) -> dict[str, Any]:
    """The partner's and the base amounts of new payout or revenue, at the rates of ``day``."""
    payout = amounts.get("payout", conversion.payout)
    revenue = amounts.get("revenue", conversion.revenue)
    fields = repriced(conversion, payout, revenue, rate_store.rates_on_or_before(day), day)
    if isinstance(fields, NoRate):
        raise ApiError("no_exchange_rate", fields.reason)
    return {name: value for name, value in fields.items() if getattr(conversion, name) != value}


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.get("/admin/offers/<offer_id>/conversions", **http.documented())
def list_offer_conversions(
    offer_id: IdPath,
    from_: FromDay = None,
    to: Day = None,
    timezone: TimeZone = "UTC",
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
) -> Response[Page[ConversionOut]]:
    """What was recorded on the offer in the range (default: the last 7 days), newest first."""
    return http.ok(list_conversions(offer_id, reports.window_of(from_, to, timezone), limit, cursor))


@router.get("/admin/offers/<offer_id>/conversions/pending", **http.documented())
def list_offer_pending(
    offer_id: IdPath, limit: http.Limit = 50, cursor: http.Cursor = None
) -> Response[Page[ConversionOut]]:
    """Conversions waiting for approval (excluded from partner postbacks until approved)."""
    return http.ok(list_pending(offer_id, limit, cursor))


ReasonQuery = Annotated[
    str, Query(pattern=r"^[a-z_]{0,40}$", description="a reason code (status_code), e.g. conversion_rate")
]


@router.get("/admin/review-queue", **http.documented())
def network_review_queue(
    offer_id: OptionalId = "",
    partner_id: OptionalId = "",
    reason: ReasonQuery = "",
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
) -> Response[Page[ConversionOut]]:
    """Every offer's conversions waiting for approval (held by a screening rule or a cap, or
    on a goal that needs approval), newest first; decide them with ``/admin/conversions/decisions``."""
    return http.ok(review_queue(offer_id, partner_id, reason, limit, cursor))


@router.post("/admin/conversions/decisions", **http.documented(writes=True))
def decisions(body: DecisionIn) -> Response[DecisionsOut]:
    """Approve, reject or re-approve one or many conversions, with a note."""
    return http.ok(decide(body, http.caller(router)))


@router.get("/admin/conversions/<conversion_id>", **http.documented())
def get(conversion_id: RecordId) -> Response[ConversionOut]:
    """One record of the reports: a conversion with its adjustments (who, when, from, to,
    before, after, why), a stored refusal (``-R…``) or a clawback (``-C…``)."""
    return http.ok(get_conversion(http.record_id(conversion_id)))


@router.patch("/admin/conversions/<conversion_id>", **http.documented(writes=True))
def patch(conversion_id: RecordId, body: ConversionPatch) -> Response[AdjustedConversionOut]:
    """Adjust payout, revenue, sale amount or status; recorded with an audit entry."""
    return http.ok(adjust(http.record_id(conversion_id), body, http.caller(router)))
