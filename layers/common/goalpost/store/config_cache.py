"""In-memory config cache for the hot paths: one DynamoDB write per click, not three calls.

Offer bundles, partners, advertisers and network settings change rarely; each warm
Lambda container keeps them for ``CONFIG_CACHE_SECONDS`` (default 30). Admin changes are
therefore visible on the tracking paths within that many seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from goalpost import settings
from goalpost.model.offer import Advertiser, NetworkSettings, OfferBundle, Partner, PayoutStructure
from goalpost.store import config_store

if TYPE_CHECKING:
    from goalpost.model.exchange import RateDay

T = TypeVar("T")

_entries: dict[tuple[str, str], tuple[float, Any]] = {}
_MAX_ENTRIES = 5000


def max_age() -> float:
    return settings.config_cache_seconds()


def _cached(kind: str, key: str, load: Callable[[], T]) -> T:
    now = time.monotonic()
    hit = _entries.get((kind, key))
    if hit is not None and now - hit[0] < max_age():
        value: T = hit[1]
        return value
    value = load()
    if len(_entries) >= _MAX_ENTRIES:
        _entries.clear()
    _entries[(kind, key)] = (now, value)
    return value


def clear() -> None:
    """Drop everything (tests, and the admin function after its own writes)."""
    _entries.clear()


def offer_bundle(offer_id: str) -> OfferBundle | None:
    return _cached("offer", offer_id, lambda: config_store.load_offer_bundle(offer_id))


def partner(partner_id: str) -> Partner | None:
    return _cached("partner", partner_id, lambda: config_store.get_partner(partner_id))


def advertiser(advertiser_id: str) -> Advertiser | None:
    return _cached("advertiser", advertiser_id, lambda: config_store.get_advertiser(advertiser_id))


def network() -> NetworkSettings:
    return _cached("network", "", config_store.get_network_settings)


def payout_structures(structure_ids: Iterable[str]) -> list[PayoutStructure]:
    ids = tuple(structure_ids)
    if not ids:
        return []
    return _cached("structures", ",".join(ids), lambda: config_store.get_payout_structures(ids))


def goal_offer(goal_id: str) -> str | None:
    return _cached("goal_offer", goal_id, lambda: config_store.get_goal_offer(goal_id))


def exchange_rates(day: str) -> RateDay | None:
    """The rates in force on ``day`` (UTC), as stored ``CONFIG_CACHE_SECONDS`` ago at most:
    read only for a conversion whose currencies differ (one Query per day per container)."""
    from goalpost.store import rate_store

    return _cached("rates", day, lambda: rate_store.rates_on_or_before(day))
