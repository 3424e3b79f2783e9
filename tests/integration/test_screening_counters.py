"""The screening counters are exact under concurrency: 20 threads at once on an embedded
DynamoDB (each request atomic, as in DynamoDB; moto in-process is not), no lock of ours."""

from __future__ import annotations

from typing import Any

from goalpost.model.screening import Rule
from goalpost.rules.screening import click_rate_verdict
from goalpost.store import screening_store
from tests.helpers import race


def test_twenty_threads_over_a_click_rate_limit_count_exactly(embedded: Any) -> None:
    counts = race(lambda _i: screening_store.count_click("203.0.113.7", 29_000_000))
    assert sorted(counts) == list(range(1, 21))  # every click counted once, no two alike
    rule = Rule("refuse", 15)
    verdicts = [click_rate_verdict(count, rule, "203.0.113.7") for count in counts]
    assert sum(v is not None for v in verdicts) == 5
    assert screening_store.count_click("203.0.113.7", 29_000_001) == 1  # the next minute starts afresh
    item = embedded.get_item(
        TableName=screening_store.stats_table(),
        Key={"pk": {"S": "SCREEN#CLICKS#203.0.113.7"}, "sk": {"S": "29000000"}},
    )["Item"]
    assert int(item["expires_at"]["N"]) == 29_000_001 * 60 + screening_store.CLICK_RATE_TTL_SECONDS


def test_twenty_threads_over_a_conversion_rate_limit_count_exactly_and_retries_count_once(
    embedded: Any,
) -> None:
    counted = race(lambda i: screening_store.count_conversion("7", "2001:db8::/64", 480_000, f"conv{i}", 5))
    assert counted.count(True) == 5 and counted.count(False) == 15
    assert screening_store.conversions_counted("7", "2001:db8::/64", 480_000) == 5
    first = f"conv{counted.index(True)}"
    # a retried postback of a counted conversion: still counted, never twice
    assert (
        race(lambda _i: screening_store.count_conversion("7", "2001:db8::/64", 480_000, first, 5)).count(True)
        == 20
    )
    assert screening_store.conversions_counted("7", "2001:db8::/64", 480_000) == 5
    assert screening_store.count_conversion("8", "2001:db8::/64", 480_000, "other-offer", 5)


def test_of_twenty_racing_first_clicks_by_one_visitor_exactly_one_is_unique(embedded: Any) -> None:
    seen = race(lambda i: screening_store.visit("7", "v1", 1_000_000.0 + i / 1000, 3600))
    assert seen.count(None) == 1
    assert all(s is not None and 1_000_000.0 <= s < 1_000_000.02 for s in seen if s is not None)
    assert screening_store.visit("7", "v1", 1_000_000.0 + 3599, 3600) is not None  # within the window
    assert screening_store.visit("7", "v1", 1_000_000.0 + 3601, 3600) is None  # a new window
    assert screening_store.visit("8", "v1", 1_000_000.0, 3600) is None  # another offer


def test_forgetting_a_visit_removes_only_the_window_that_click_opened(embedded: Any) -> None:
    """A capped click undoes its own window (one conditional delete); a window another click
    opened since is never removed, whatever the order."""
    assert screening_store.visit("7", "v2", 1_000_000.0, 60) is None
    screening_store.forget_visit("7", "v2", 1_000_000.0)
    assert screening_store.visit("7", "v2", 1_000_001.0, 60) is None  # unique again: it was removed
    screening_store.forget_visit("7", "v2", 1_000_000.0)  # a late undo of the first: not this window
    assert screening_store.visit("7", "v2", 1_000_002.0, 60) == 1_000_001.0
    screening_store.forget_visit("7", "v3", 1_000_000.0)  # nothing to remove: no error
