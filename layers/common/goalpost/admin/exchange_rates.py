"""Exchange rates: the tables in force, their history, an admin's own rates, the ECB import."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from goalpost.admin import http
from goalpost.admin.documents import Caller
from goalpost.admin.errors import ApiError
from goalpost.admin.rate_import import InvalidRates, parse_ecb, parse_rate
from goalpost.admin.schemas import ExchangeRatesIn, RatesImportIn
from goalpost.admin.views import ExchangeRatesOut, RateHistoryOut, RatesImportedOut
from goalpost.model import clock
from goalpost.model.audit import Audit
from goalpost.model.exchange import PIVOT, RateDay
from goalpost.rules.exchange import merged, usable
from goalpost.store import rate_store

MAX_HISTORY_DAYS = 400
_WRITE_RETRIES = 3


def rates_in_force(day: str) -> dict[str, Any]:
    """The table a conversion on ``day`` would use, or why there is none."""
    table = usable(rate_store.rates_on_or_before(day), day)
    if table is None:
        raise ApiError("no_exchange_rates", f"no exchange rates in force on {day}: import or set them")
    return {**table.to_dict(), "in_force_on": day}


def calendar_day(raw: str, name: str) -> date:
    """A day the pattern lets through but the calendar has not (0000-00-00, 2026-02-30): a 4xx."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError("bad_date", f"{name} must be a calendar date (YYYY-MM-DD), got {raw[:20]!r}") from None


def rate_history(first_day: str, last_day: str) -> dict[str, Any]:
    calendar_day(first_day, "from_day")
    calendar_day(last_day, "to_day")
    if last_day < first_day:
        raise ApiError("bad_range", "from_day is after to_day")
    if date.fromisoformat(last_day) - date.fromisoformat(first_day) > timedelta(days=MAX_HISTORY_DAYS):
        raise ApiError("bad_range", f"a history spans at most {MAX_HISTORY_DAYS} days")
    return {"items": [day.to_dict() for day in rate_store.rate_history(first_day, last_day)]}


def set_rates(day: str, body: ExchangeRatesIn, caller: Caller) -> dict[str, Any]:
    """An admin's rates for one day: they replace the ECB's for that day and currency."""
    rates = {}
    for code, raw in body.rates.items():
        if code == PIVOT:  # the schema has already refused codes that are no ISO 4217 money
            raise ApiError("invalid_currency", f"rates are units of each currency per 1 {PIVOT}")
        try:
            rates[code] = parse_rate(raw, code)
        except InvalidRates as bad:
            raise ApiError("invalid_rate", str(bad)) from None
    incoming = RateDay(day=day, rates=rates, sources=dict.fromkeys(rates, "admin"))
    _save([incoming], caller, day)
    stored = rate_store.rate_history(day, day)
    return stored[0].to_dict()


def import_ecb(body: RatesImportIn, caller: Caller) -> dict[str, Any]:
    """The ECB's reference rates from one of its files: each day laid over what is stored."""
    try:
        imported = parse_ecb(body.file)
    except InvalidRates as bad:
        raise ApiError("invalid_rates_file", str(bad)) from None
    changed = _save(imported.days, caller, "import")
    return {
        "days": len(imported.days),
        "changed": changed,
        "first_day": imported.days[0].day,
        "last_day": imported.days[-1].day,
        "skipped_currencies": imported.skipped,
    }


def _save(incoming: list[RateDay], caller: Caller, subject: str) -> int:
    """Merge over the stored tables and write the changed ones under their versions; a
    concurrent writer makes the merge run again on what it wrote (never overwritten)."""
    for _attempt in range(_WRITE_RETRIES):
        stored = {d.day: d for d in rate_store.rate_history(incoming[0].day, incoming[-1].day)}
        changes = [c for c in (merged(stored.get(d.day), d) for d in incoming) if c is not None]
        if not changes:
            return 0
        audit = Audit(actor=caller.actor, at=caller.at, action="update", before=None, after=None)
        try:
            rate_store.save_rate_days(changes, audit, subject)
            return len(changes)
        except rate_store.RatesChanged:
            continue
    raise ApiError("rates_changed", "the rates changed while they were being saved: send it again")


def _today() -> str:
    return datetime.fromtimestamp(clock.now(), UTC).date().isoformat()


# ------------------------------------------------------------------ routes

router = http.resource_router()
DayPath = Annotated[str, Path(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
DayQuery = Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


@router.get("/admin/exchange-rates", **http.documented())
def in_force(day: DayQuery = None) -> Response[ExchangeRatesOut]:
    """The rates a conversion on ``day`` (default: today, UTC) is converted with."""
    return http.ok(rates_in_force(day or _today()))


@router.get("/admin/exchange-rates/history", **http.documented())
def history(from_day: DayQuery = None, to_day: DayQuery = None) -> Response[RateHistoryOut]:
    """The tables published between two days (default: the last 31 days)."""
    last = to_day or _today()
    first = from_day or (calendar_day(last, "to_day") - timedelta(days=30)).isoformat()
    return http.ok(rate_history(first, last))


@router.put("/admin/exchange-rates/<day>", **http.documented(writes=True))
def put_rates(day: DayPath, body: ExchangeRatesIn) -> Response[ExchangeRatesOut]:
    return http.ok(set_rates(day, body, http.caller(router)))


@router.post("/admin/exchange-rates/import", **http.documented(writes=True))
def import_rates(body: RatesImportIn) -> Response[RatesImportedOut]:
    return http.ok(import_ecb(body, http.caller(router)))
