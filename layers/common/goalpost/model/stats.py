"""The stats' cells: an hour of one offer, partner and goal, and what a batch adds to them."""

import zlib
from decimal import Decimal
from typing import Literal, NamedTuple

STATS_SHARDS = 4
"""Cells of a UTC day spread over this many partitions (by offer and partner), so a busy
network's current day is not one hot partition; reading a day is one query per shard."""


def shard_of(offer_id: str, partner_id: str) -> int:
    """The shard of an offer and partner's cells (and of what their rollups add to)."""
    return zlib.crc32(f"{offer_id}#{partner_id}".encode()) % STATS_SHARDS


class Cell(NamedTuple):
    """Where an event is counted: its UTC hour (``YYYY-MM-DDTHH``), offer, partner, goal, and
    whether it was recorded on a private goal."""

    hour: str
    offer_id: str
    partner_id: str
    goal_id: str = ""
    private: bool = False
    """Conversions recorded while their goal was private count in a cell of their own: partners
    never see it, and it never hides what the goal paid in the same hour while it was public."""


class CellDelta(NamedTuple):
    """What a batch adds to one cell, with the labels the cell carries for reports."""

    advertiser_id: str
    counters: dict[str, Decimal]
    currency: str = ""


RollupLevel = Literal["network", "offer", "partner"]


class Rollup(NamedTuple):
    """A sum of cells kept beside them for the dashboard: a UTC day (``YYYY-MM-DD``) or hour
    (``YYYY-MM-DDTHH``) of the whole network, of one offer or of one partner. Each of the
    cells' shards adds to its own rollup (``shard``), so concurrent batches of different
    shards never write the same item; a reader adds the shards up."""

    period: str
    level: RollupLevel
    subject: str
    shard: int


class RollupRead(NamedTuple):
    """Some hours of one level's rollups of a UTC day (``first`` and ``last``: ``HH``, inclusive)."""

    day: str
    level: RollupLevel
    first: str
    last: str


class SubCell(NamedTuple):
    """A sub id's value in an hour of one offer and partner (``value`` empty: the traffic that
    had none), for the sub ids the network breaks its stats down by."""

    hour: str
    offer_id: str
    partner_id: str
    dimension: str
    value: str
    private: bool = False


class Group(NamedTuple):
    """Consecutive stream records applied together, atomically, with one marker: what they
    add to their cells, and to the rollups of those cells."""

    first_event: str
    last_event: str
    size: int
    cells: dict[Cell, CellDelta]
    rollups: dict[Rollup, dict[str, Decimal]]
    subs: dict[SubCell, dict[str, Decimal]]
