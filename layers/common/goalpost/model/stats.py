"""The stats' cells: an hour of one offer, partner and goal, and what a batch adds to them."""

from decimal import Decimal
from typing import NamedTuple


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


class Group(NamedTuple):
    """Consecutive stream records applied together, atomically, with one marker."""

    first_event: str
    last_event: str
    size: int
    cells: dict[Cell, CellDelta]
