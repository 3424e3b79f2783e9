"""The European Central Bank's reference rates, as the ECB publishes them, read into tables.

Two of its files are accepted unchanged: the CSV of ``eurofxref-hist.zip`` / ``eurofxref.zip``
(``Date,USD,JPY,...``) and the XML of ``eurofxref-daily.xml``, ``eurofxref-hist-90d.xml`` and
``eurofxref-hist.xml``. A network keeps the file it imported: the same file always gives the
same rates, so every converted amount can be reproduced.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple
from xml.etree import ElementTree

from goalpost.model.currency import is_currency
from goalpost.model.exchange import PIVOT, RateDay

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RATE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,10})?")
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


class InvalidRates(ValueError):
    """A file that is not one of the ECB's, or a rate in it that is not a positive decimal."""


class Imported(NamedTuple):
    days: list[RateDay]
    skipped: list[str]
    """Codes in the file that are no longer ISO 4217 currencies (the ECB's history keeps
    retired ones: CYP, SIT, TRL...), left out."""


def parse_rate(raw: str, where: str) -> Decimal:
    """A rate as written: plain digits, positive (``1.0512``, ``160.12``)."""
    text = raw.strip()
    if not _RATE.fullmatch(text):
        raise InvalidRates(f"{where}: rate {text[:20]!r} is not a plain positive decimal")
    value = Decimal(text)
    if value <= 0:
        raise InvalidRates(f"{where}: rate must be positive")
    return value


def _table(day: str, pairs: list[tuple[str, str]], skipped: set[str]) -> RateDay:
    if not _DAY.fullmatch(day):
        raise InvalidRates(f"{day[:20]!r} is not a day (YYYY-MM-DD)")
    rates: dict[str, Decimal] = {}
    for code, raw in pairs:
        if raw.strip() in ("", "N/A"):
            continue
        if code == PIVOT or not is_currency(code):
            skipped.add(code)
            continue
        rates[code] = parse_rate(raw, f"{day} {code}")
    return RateDay(day=day, rates=rates, sources=dict.fromkeys(rates, "ecb"))


def parse_ecb(text: str) -> Imported:
    """The tables of an ECB file (CSV or XML), oldest day first."""
    skipped: set[str] = set()
    body = text.lstrip("\ufeff").strip()
    if body.startswith("<"):
        days = _from_xml(body, skipped)
    elif body.startswith("Date"):
        days = _from_csv(body, skipped)
    else:
        raise InvalidRates("expected the ECB's reference rates as CSV (Date,USD,...) or XML")
    if not days:
        raise InvalidRates("the file holds no rates")
    return Imported(sorted(days, key=lambda d: d.day), sorted(skipped))


def _from_csv(body: str, skipped: set[str]) -> list[RateDay]:
    rows = list(csv.reader(io.StringIO(body)))
    header = [cell.strip() for cell in rows[0]]
    codes = header[1:]
    days = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        pairs = [(code, cells[i + 1] if i + 1 < len(cells) else "") for i, code in enumerate(codes) if code]
        days.append(_table(_csv_day(cells[0]), pairs, skipped))
    return days


def _csv_day(cell: str) -> str:
    """The ECB's zip CSVs write ``2026-12-04``; its daily CSV writes ``04 December 2026``."""
    if _DAY.fullmatch(cell):
        return cell
    try:
        return datetime.strptime(cell, "%d %B %Y").date().isoformat()
    except ValueError:
        raise InvalidRates(f"{cell[:20]!r} is not a day") from None


def _from_xml(body: str, skipped: set[str]) -> list[RateDay]:
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        raise InvalidRates("the ECB's XML has no document type; this file is not one of its")
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 (no DTD above: no entity to expand)
    except ElementTree.ParseError as error:
        raise InvalidRates(f"not well-formed XML: {error}") from None
    days = []
    for cube in root.iter(f"{_ECB_NS}Cube"):
        day = cube.get("time")
        if day is None:
            continue
        pairs = [(c.get("currency", ""), c.get("rate", "")) for c in cube.findall(f"{_ECB_NS}Cube")]
        days.append(_table(day, pairs, skipped))
    return days
