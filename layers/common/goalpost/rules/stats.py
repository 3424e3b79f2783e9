"""Stats: what each tracked event adds to an hourly cell, and how cells become report rows.

A cell is (UTC hour, offer, partner, goal, privacy); offer-level events (clicks,
impressions) use the goal ``""``. Conversions recorded on a private goal have cells of their
own (privacy is judged as recorded): partners never see those, and a private conversion
never hides what its goal paid in the same hour while it was public. Cells are written by
the stats stream consumer from the sessions and conversions streams, never on the request
path, so they are eventually consistent (seconds). A conversion adds to its own hour (when
it happened), whatever its status: pending and rejected conversions are counted as such but
add no money; approval adds the money, a rejection after approval takes it out again (the
cell follows every change of the conversion, not the clawback records, which are the
partner's reversal ledger).

Hourly UTC buckets make any whole-hour time zone exact: each UTC hour falls entirely in
one local hour. Zones with a half-hour offset are answered with each UTC hour placed at
its local start, and flagged as not exact.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from goalpost.model.conversion import CONVERSION, GOAL_CLICK, IMPRESSIONS
from goalpost.model.money import format_money
from goalpost.model.offer import DEFAULT_GOAL_ID
from goalpost.model.screening import REASON_CODES
from goalpost.model.stats import Cell, CellDelta, Group, Rollup, RollupLevel, RollupRead, SubCell, shard_of
from goalpost.rules.exchange import recorded_sale

COUNTS = (
    "clicks", "unique_clicks", "invalid_clicks", "impressions", "goal_clicks",
    "conversions", "pending", "held", "rejected",
)  # fmt: skip
"""clicks: every click that reached its offer (gross); unique_clicks: those not flagged
duplicate_click; invalid_clicks: clicks screened out or sent to a fallback (no session);
pending: awaiting approval; held: pending because a screening rule held it (its reason code)."""
CLICK_COUNTS = frozenset({"clicks", "unique_clicks", "invalid_clicks", "impressions"})
"""Counted per offer, not per goal."""
AMOUNTS = ("payout", "revenue", "sale_amount")
DEFAULT_CONVERSIONS = "default_conversions"
"""Approved conversions on offers' default goals: the conversion rate is these over clicks (each
other goal's rate is its own, on its row when grouped by goal: a funnel's later steps counted
over the same clicks would add up past 100 %)."""
"""In the offer's currency: the cell's ``currency`` label (the money as priced)."""

MoneyView = Literal["base", "original", "partner"]
"""Which amounts a report adds up: the network's base currency (default), each offer's own
currency, or each partner's (what partners are paid in). Base and partner amounts are kept
under counters named with their currency (``base:EUR:payout``), so a change of the base or of
a partner's currency never adds two currencies together."""
MONEY_VIEWS: tuple[MoneyView, ...] = ("base", "original", "partner")

STATUS_COUNTER = {"approved": "conversions", "pending": "pending", "rejected": "rejected"}

SUB_DIMENSIONS = ("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5", "source")
"""What a stats report may break down by besides the dimensions of its cells (one at a time,
with offer and partner), where the network chose to keep them (``stats_sub_ids``)."""

Interval = Literal["hour", "day", "total"]
Dimension = Literal["offer", "goal", "partner", "advertiser"]
DIMENSIONS: tuple[Dimension, ...] = ("offer", "goal", "partner", "advertiser")


class Contribution(NamedTuple):
    cell: Cell
    advertiser_id: str
    counters: dict[str, Decimal]
    currency: str = ""
    """The currency of the money in ``counters`` (conversions only)."""
    subs: tuple[tuple[str, str], ...] = ()
    """The click's sub ids (name, value) as its session or conversion recorded them."""


def hour_of_iso(timestamp: str) -> str:
    """``2026-11-24T07:41:56.123Z`` -> ``2026-11-24T07`` (our timestamps are UTC ISO)."""
    return timestamp[:13]


def hour_of_epoch(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H")


def conversion_worth(image: Mapping[str, Any]) -> dict[str, Decimal]:
    """What one stored conversion counts for in the stats, given its current state."""
    if image.get("kind") != CONVERSION:
        return {}
    counter = STATUS_COUNTER.get(str(image.get("status")))
    if counter is None:
        return {}
    if counter == "pending" and image.get("status_code") in REASON_CODES:
        counter = "held"  # held for review by a screening rule, with its reason
    worth = {counter: Decimal(1)}
    if counter == "conversions":
        payout, revenue = _amount(image, "payout"), _amount(image, "revenue")
        # Recorded before currencies were kept: in its offer's currency, taken as the base's.
        base = str(image.get("base_currency") or image.get("currency") or "")
        # sent in another currency: in the offer's, as the payout rules saw it, then the base's
        sale, base_sale = recorded_sale(
            _amount(image, "sale_amount"), _rate(image, "sale_rate"), str(image.get("currency")),
            _rate(image, "base_rate"), base,
        )  # fmt: skip
        worth.update(payout=payout, revenue=revenue, sale_amount=sale)
        worth[f"base:{base}:payout"] = _amount(image, "base_payout", payout)
        worth[f"base:{base}:revenue"] = _amount(image, "base_revenue", revenue)
        worth[f"base:{base}:sale_amount"] = base_sale
        partner = str(image.get("partner_currency") or image.get("currency") or "")
        worth[f"partner:{partner}:payout"] = _amount(image, "partner_payout", payout)
    return worth


def _rate(image: Mapping[str, Any], name: str) -> Decimal | None:
    value = image.get(name)
    return None if value is None else Decimal(str(value))


def _amount(image: Mapping[str, Any], name: str, default: Decimal = Decimal(0)) -> Decimal:
    value = image.get(name)
    return default if value is None else Decimal(str(value))


def _difference(new: Mapping[str, Decimal], old: Mapping[str, Decimal]) -> dict[str, Decimal]:
    changed = {}
    for name in new.keys() | old.keys():
        value = new.get(name, Decimal(0)) - old.get(name, Decimal(0))
        if value:
            changed[name] = value
    return changed


def contribution(
    event_name: str,
    new: Mapping[str, Any],
    old: Mapping[str, Any],
    advertiser_of: Callable[[str, str], str],
) -> Contribution | None:
    """What one stream record (already deserialized) adds to the stats, if anything."""
    image = new or old
    kind = image.get("kind")
    if kind is None and "transaction_id" in image and event_name == "INSERT":  # a new session
        offer_id = str(image["offer_id"])
        cell = Cell(hour_of_epoch(int(image["created_at"])), offer_id, str(image["partner_id"]))
        if image.get("redirected"):  # screened out or sent to a fallback: not a click on the offer
            return Contribution(
                cell, advertiser_of(offer_id, ""), {"invalid_clicks": Decimal(1)}, "", _subs(image)
            )
        counts = {"clicks": Decimal(1)}
        if "duplicate_click" not in (image.get("flags") or ()):
            counts["unique_clicks"] = Decimal(1)
        return Contribution(cell, advertiser_of(offer_id, ""), counts, "", _subs(image))
    if kind == CONVERSION:
        counters = _difference(conversion_worth(new), conversion_worth(old))
        if not counters:
            return None
        offer_id = str(image["offer_id"])
        cell = Cell(
            hour_of_iso(str(image["created_at"])),
            offer_id,
            str(image["partner_id"]),
            str(image["goal_id"]),
            private=bool(image.get("private")),
        )
        advertiser = str(image.get("advertiser_id") or advertiser_of(offer_id, cell.goal_id))
        return Contribution(cell, advertiser, counters, str(image.get("currency") or ""), _subs(image))
    if kind == IMPRESSIONS:
        added = Decimal(str(new.get("impressions", 0))) - Decimal(str(old.get("impressions", 0)))
        if not added:
            return None
        offer_id = str(image["offer_id"])
        cell = Cell(str(image["hour"]), offer_id, str(image["partner_id"]))
        return Contribution(cell, advertiser_of(offer_id, ""), {"impressions": added})
    if kind == GOAL_CLICK:
        added = Decimal(str(new.get("clicks", 0))) - Decimal(str(old.get("clicks", 0)))
        if not added:
            return None
        offer_id, goal_id = str(image["offer_id"]), str(image["goal_id"])
        cell = Cell(hour_of_iso(str(image["last_at"])), offer_id, str(image["partner_id"]), goal_id)
        return Contribution(cell, advertiser_of(offer_id, goal_id), {"goal_clicks": added})
    return None


def rollups_of(cell: Cell) -> tuple[Rollup, ...]:
    """What a cell adds to besides itself: its hour and its UTC day, of the network, of its
    offer and of its partner (in its own shard)."""
    shard = shard_of(cell.offer_id, cell.partner_id)
    levels: tuple[tuple[RollupLevel, str], ...] = (
        ("network", ""), ("offer", cell.offer_id), ("partner", cell.partner_id),
    )  # fmt: skip
    return tuple(
        Rollup(period, level, subject, shard)
        for period in (cell.hour, cell.hour[:10])
        for level, subject in levels
    )


def rollup_counters(cell: Cell, counters: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """What a cell's delta adds to its rollups: the counts, the money in the base currency
    (``base:<code>:<amount>``: offers' own currencies are never added together) and the
    default goal's conversions (the conversion rate's numerator, named since a rollup has no
    goal)."""
    added = {n: v for n, v in counters.items() if v and (n in COUNTS or n.startswith("base:"))}
    if cell.goal_id == DEFAULT_GOAL_ID and counters.get("conversions"):
        added[DEFAULT_CONVERSIONS] = counters["conversions"]
    return added


def _subs(image: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    subs = image.get("subs") or {}
    return tuple((name, str(subs[name])) for name in SUB_DIMENSIONS if subs.get(name))


def sub_cells_of(found: Contribution, dimensions: Sequence[str]) -> tuple[SubCell, ...]:
    """The sub cells a contribution adds to: one per dimension kept (its value, or none)."""
    values = dict(found.subs)
    cell = found.cell
    return tuple(
        SubCell(cell.hour, cell.offer_id, cell.partner_id, d, values.get(d, ""), cell.private)
        for d in dimensions
    )


def sub_counters(cell: Cell, counters: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """What a delta adds to its sub cells: what it adds to the rollups, and the partners' own
    currency's payout (a partner's stats give its payout in its currency)."""
    added = rollup_counters(cell, counters)
    added.update({n: v for n, v in counters.items() if v and n.startswith("partner:")})
    return added


def first_group(
    events: Sequence[tuple[str, Contribution | None]],
    start: int,
    max_items: int,
    sub_dimensions: Sequence[str] = (),
) -> Group:
    """The records from ``start`` on that fit one group: no more than ``max_items`` cells,
    rollups and sub cells (of the sub ids kept) together, one transaction item each.

    Groups are cut the same way for the same records, so a retried batch meets the markers
    its earlier attempt left.
    """
    cells: dict[Cell, CellDelta] = {}
    rollups: set[Rollup] = set()
    subs: dict[SubCell, dict[str, Decimal]] = {}
    end = start
    for _event_id, found in events[start:]:
        if found is not None:
            new = {found.cell} - cells.keys()
            new_rollups = set(rollups_of(found.cell)) - rollups
            its_subs = sub_cells_of(found, sub_dimensions)
            new_subs = set(its_subs) - subs.keys()
            grows = len(cells) + len(rollups) + len(subs) + len(new) + len(new_rollups) + len(new_subs)
            if cells and (new or new_rollups or new_subs) and grows > max_items:
                break
            _add(cells, found)
            rollups |= new_rollups
            added = sub_counters(found.cell, found.counters)
            for sub in its_subs:
                sums = subs.setdefault(sub, {})
                for name, value in added.items():
                    sums[name] = sums.get(name, Decimal(0)) + value
        end += 1
    return group_of(events[start][0], events[end - 1][0], end - start, cells, subs)


def group_of(
    first_event: str,
    last_event: str,
    size: int,
    cells: dict[Cell, CellDelta],
    subs: dict[SubCell, dict[str, Decimal]] | None = None,
) -> Group:
    """A group of cells with what they add to their rollups (and its sub cells)."""
    rollups: dict[Rollup, dict[str, Decimal]] = {}
    for cell, delta in cells.items():
        added = rollup_counters(cell, delta.counters)
        if not added:
            continue
        for rollup in rollups_of(cell):
            sums = rollups.setdefault(rollup, {})
            for name, value in added.items():
                sums[name] = sums.get(name, Decimal(0)) + value
    return Group(first_event, last_event, size, cells, rollups, {k: v for k, v in (subs or {}).items() if v})


def _add(cells: dict[Cell, CellDelta], found: Contribution) -> None:
    known = cells.get(found.cell)
    if known is None:
        cells[found.cell] = CellDelta(found.advertiser_id, dict(found.counters), found.currency)
        return
    for name, value in found.counters.items():
        known.counters[name] = known.counters.get(name, Decimal(0)) + value
    if found.advertiser_id and not known.advertiser_id:
        known = cells[found.cell] = known._replace(advertiser_id=found.advertiser_id)
    if found.currency and not known.currency:
        cells[found.cell] = known._replace(currency=found.currency)


# ------------------------------------------------------------------ reading


class Window(NamedTuple):
    """A report's date range in the caller's zone, as UTC instants [start, end)."""

    start: datetime
    end: datetime
    zone: tzinfo
    exact: bool

    def utc_days(self) -> list[str]:
        days, day = [], self.start.date()
        while day <= (self.end - timedelta(microseconds=1)).date():
            days.append(day.isoformat())
            day += timedelta(days=1)
        return days

    def contains_hour(self, hour: str) -> bool:
        moment = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        return self.start <= moment < self.end


def window(day_from: date, day_to: date, zone: tzinfo) -> Window:
    """Local midnight of ``day_from`` to local midnight after ``day_to``, in UTC."""
    start = datetime.combine(day_from, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(day_to + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    exact = all(
        (offset := zone.utcoffset(datetime.combine(d, datetime.min.time()))) is not None
        and offset.total_seconds() % 3600 == 0
        for d in (day_from, day_to)
    )
    return Window(start, end, zone, exact)


def period_of(hour: str, interval: Interval, zone: tzinfo) -> str:
    """The local period a UTC hour bucket belongs to."""
    if interval == "total":
        return "total"
    local = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC).astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:00") if interval == "hour" else local.strftime("%Y-%m-%d")


def _ratio(part: Decimal, whole: Decimal) -> str | None:
    if not whole:
        return None
    return str((part * 100 / whole).quantize(Decimal("0.01")))


class Sums(NamedTuple):
    """A row's counts, and its money per currency (offers may be priced in different ones)."""

    counts: dict[str, Decimal]
    money: dict[str, dict[str, Decimal]]
    view: MoneyView = "original"

    @classmethod
    def empty(cls, view: MoneyView = "original") -> "Sums":
        return cls({}, {}, view)

    def add(self, cell: Mapping[str, Any]) -> None:
        for name in COUNTS:
            value = Decimal(str(cell.get(name, 0)))
            if value:
                self.counts[name] = self.counts.get(name, Decimal(0)) + value
        if str(cell.get("goal_id", "")) == DEFAULT_GOAL_ID or DEFAULT_CONVERSIONS in cell:
            # the conversion rate's numerator: a click converts once, on its offer's default goal
            # (a rollup, of no goal, keeps it by name)
            value = Decimal(str(cell.get(DEFAULT_CONVERSIONS, cell.get("conversions", 0))))
            if value:
                self.counts[DEFAULT_CONVERSIONS] = self.counts.get(DEFAULT_CONVERSIONS, Decimal(0)) + value
        for currency, amounts in money_of(cell, self.view).items():
            money = self.money.setdefault(currency, {})
            for name, value in amounts.items():
                money[name] = money.get(name, Decimal(0)) + value


def money_of(cell: Mapping[str, Any], view: MoneyView) -> dict[str, dict[str, Decimal]]:
    """A cell's money as one view sees it, per currency (only currencies with money)."""
    found: dict[str, dict[str, Decimal]] = {}
    if view == "original":
        amounts = {name: Decimal(str(cell.get(name, 0))) for name in AMOUNTS}
        if any(amounts.values()):
            found[str(cell.get("currency") or "")] = amounts
        return found
    for key, value in cell.items():
        parts = str(key).split(":")
        if len(parts) == 3 and parts[0] == view and parts[2] in AMOUNTS and Decimal(str(value)):
            found.setdefault(parts[1], {})[parts[2]] = Decimal(str(value))
    return found


def _money(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    row = {name: format_money(amounts.get(name, Decimal(0))) for name in AMOUNTS}
    row["profit"] = format_money(amounts.get("revenue", Decimal(0)) - amounts.get("payout", Decimal(0)))
    return row


def metrics(sums: Sums, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Counts, money (exact decimal strings), profit and conversion rate of a row.

    Money in one currency is given flat with its ``currency``; money in several currencies
    is never added up: it is given per currency in ``by_currency``.
    """
    row: dict[str, Any] = {name: int(sums.counts.get(name, 0)) for name in COUNTS}
    currencies = sorted(sums.money)
    if len(currencies) <= 1:
        row.update(_money(sums.money[currencies[0]] if currencies else {}))
        row["currency"] = currencies[0] if currencies else None
    else:
        row["currency"] = None
        row["by_currency"] = {
            c: {k: v for k, v in _money(sums.money[c]).items() if k not in hidden} for c in currencies
        }
    row["conversion_rate"] = _ratio(
        sums.counts.get(DEFAULT_CONVERSIONS, Decimal(0)), sums.counts.get("clicks", Decimal(0))
    )
    return {k: v for k, v in row.items() if k not in hidden}


def column_of(dimension: str) -> str:
    """A dimension's column in report rows: ``offer_id``...; a sub id by its own name."""
    return dimension if dimension in SUB_DIMENSIONS else f"{dimension}_id"


def summarize(
    cells: Iterable[Mapping[str, Any]],
    *,
    window: Window,
    interval: Interval,
    group_by: Sequence[str],
    hidden: frozenset[str] = frozenset(),
    view: MoneyView = "original",
) -> dict[str, Any]:
    """Rows per (period, dimensions) and totals, from stored cells.

    Grouped by goal, offer-level counts (clicks, impressions) land on the goal ``""`` row of
    each offer: clicks belong to the offer, not to a goal.
    """
    rows: dict[tuple[str, ...], Sums] = {}
    totals = Sums.empty(view)
    for cell in cells:
        hour = str(cell["hour"])
        if not window.contains_hour(hour):
            continue
        labels = {
            "offer": str(cell["offer_id"]),
            "goal": str(cell.get("goal_id", "")),
            "partner": str(cell["partner_id"]),
            "advertiser": str(cell.get("advertiser_id", "")),
            **{name: str(cell.get(name, "")) for name in SUB_DIMENSIONS},  # a sub cell's value
        }
        key = (period_of(hour, interval, window.zone), *(labels[d] for d in group_by))
        rows.setdefault(key, Sums.empty(view)).add(cell)
        totals.add(cell)
    goal_at = 1 + list(group_by).index("goal") if "goal" in group_by else 0
    out = []
    for key in sorted(rows):
        row: dict[str, Any] = {"period": key[0]}
        for dimension, label in zip(group_by, key[1:], strict=True):
            row[column_of(dimension)] = label
        row.update(metrics(rows[key], hidden))
        if goal_at and key[goal_at]:
            # A goal's conversion rate is over its offer's clicks (on the offer's own row).
            offer_row = rows.get((*key[:goal_at], "", *key[goal_at + 1 :]))
            clicks = offer_row.counts.get("clicks", Decimal(0)) if offer_row else Decimal(0)
            row["conversion_rate"] = _ratio(rows[key].counts.get("conversions", Decimal(0)), clicks)
        out.append(row)
    return {"rows": out, "totals": metrics(totals, hidden)}


def _hours_in(w: Window, start: datetime, end: datetime) -> tuple[int, int] | None:
    """The UTC hours of [start, end) (a UTC day) a window covers, if it cuts the day."""
    if w.end <= start or end <= w.start or (w.start <= start and end <= w.end):
        return None
    # every hour bucket that starts in the window (a half-hour zone's last one starts before its end)
    first, last = max(w.start, start), min(w.end, end) - timedelta(microseconds=1)
    return first.hour, last.hour


def rollup_reads(totals: Sequence[Window], top: Window) -> tuple[list[str], list[RollupRead]]:
    """The rollups that answer exactly the network's totals over some windows and the offers'
    and partners' over ``top`` (which holds the others): a UTC day no window cuts is read as
    its day rollups; a day some window cuts (a zone's midnight is not UTC's), the network's by
    the hours the windows cover, and the offers' and partners' by hours only where ``top``
    cuts it (else as its day). Whole days to read, and hours."""
    whole: list[str] = []
    hours: list[RollupRead] = []
    for day in sorted({d for w in (*totals, top) for d in w.utc_days()}):
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        end = start + timedelta(days=1)
        cuts = [c for w in (*totals, top) if (c := _hours_in(w, start, end)) is not None]
        top_cut = _hours_in(top, start, end)
        if not cuts or top_cut is None:
            whole.append(day)  # the day rollups: the top lists' (and the totals' if nothing cuts)
        if cuts:
            first, last = min(c[0] for c in cuts), max(c[1] for c in cuts)
            hours.append(RollupRead(day, "network", f"{first:02d}", f"{last:02d}"))
        if top_cut is not None:
            levels: tuple[RollupLevel, ...] = ("offer", "partner")
            hours.extend(RollupRead(day, level, f"{top_cut[0]:02d}", f"{top_cut[1]:02d}") for level in levels)
    return whole, hours


def rollup_sums(
    items: Iterable[Mapping[str, Any]], span: Window, level: str, view: MoneyView = "base"
) -> dict[str, Sums]:
    """The rollups of one level (``network``, ``offer``, ``partner``) in a window, summed per
    subject (every shard's, every hour's or day's): what the cells they sum would give. Where a
    day's hours were read, they answer for it, not its day rollups."""
    chosen = [i for i in items if i.get("level") == level]
    by_hours = {str(i["period"])[:10] for i in chosen if len(str(i["period"])) > 10}
    sums: dict[str, Sums] = {}
    for item in chosen:
        period = str(item["period"])
        if len(period) == 10:
            if period in by_hours:
                continue
            start = datetime.fromisoformat(period).replace(tzinfo=UTC)
            inside = span.start <= start and start + timedelta(days=1) <= span.end
        else:
            inside = span.contains_hour(period)
        if inside:
            sums.setdefault(str(item.get("subject", "")), Sums.empty(view)).add(item)
    return sums


class FunnelStep(NamedTuple):
    goal_id: str
    name: str
    private: bool
    end_point: bool


def funnel(
    cells: Iterable[Mapping[str, Any]],
    *,
    window: Window,
    steps: Sequence[FunnelStep],
    by_reach: bool = False,
) -> dict[str, Any]:
    """Sessions, then each goal in flow order: visits of its page, conversions, drop-off.

    ``by_reach`` orders the goals as the users walked them (most reached first, end points
    last) instead of the order given.

    A goal's conversions count approved and pending ones (users who did reach it); refused
    and rejected postbacks are not users reaching a goal. Drop-off is how many of the step
    before did not get here, so it exists only while a step has at most as many as the one
    before; where it has more (users skip steps, or convert more than once) drop-off and its
    rate are null and ``drop_off_applies`` is false, rather than a negative loss.
    """
    sessions = Decimal(0)
    reached: dict[str, Decimal] = {}
    visits: dict[str, Decimal] = {}
    for cell in cells:
        if not window.contains_hour(str(cell["hour"])):
            continue
        goal_id = str(cell.get("goal_id", ""))
        sessions += Decimal(str(cell.get("clicks", 0)))
        if goal_id:
            reached[goal_id] = (
                reached.get(goal_id, Decimal(0))
                + Decimal(str(cell.get("conversions", 0)))
                + Decimal(str(cell.get("pending", 0)))
            )
            visits[goal_id] = visits.get(goal_id, Decimal(0)) + Decimal(str(cell.get("goal_clicks", 0)))
    if by_reach:
        # the flow as users walk it: the more users reach a goal, the earlier it comes (users
        # reach the first steps before the later ones); end points stay last; ties keep the order
        steps = [
            s
            for _, s in sorted(
                enumerate(steps), key=lambda p: (p[1].end_point, -reached.get(p[1].goal_id, Decimal(0)), p[0])
            )
        ]
    out: list[dict[str, Any]] = [{"step": "sessions", "count": int(sessions)}]
    previous = sessions
    for step in steps:
        count = reached.get(step.goal_id, Decimal(0))
        applies = count <= previous
        out.append(
            {
                "step": "goal",
                "goal_id": step.goal_id,
                "name": step.name,
                "private": step.private,
                "end_point": step.end_point,
                "goal_clicks": int(visits.get(step.goal_id, 0)),
                "count": int(count),
                "drop_off": int(previous - count) if applies else None,
                "drop_off_rate": _ratio(previous - count, previous) if applies else None,
                "drop_off_applies": applies,
                "rate_from_sessions": _ratio(count, sessions),
            }
        )
        previous = count
    return {"steps": out}
