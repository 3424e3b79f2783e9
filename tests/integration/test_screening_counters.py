"""The screening counters are exact under concurrency: 20 threads at once on an embedded
DynamoDB (each request atomic, as in DynamoDB; moto in-process is not), no lock of ours."""

from __future__ import annotations

from typing import Any

from goalpost.model.screening import Rule, Screening
from goalpost.model.session import Session
from goalpost.rules import ip_ledger
from goalpost.rules import screening as rules
from goalpost.store import screening_store
from goalpost.tracking.screening import ClickScreening, close_opened, screen_click
from tests.helpers import dynamodb_calls, race


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


def click_by(visitor: int, now: float, *, ip: str = "203.0.113.7", offer: str = "7") -> Session:
    return Session("t", offer, "2", now, int(now) + 60, ip=ip, user_agent=f"UA {visitor}")


BOTH = Screening(duplicate_clicks=Rule("flag", 3600), click_rate=Rule("refuse", 15))


def screened(session: Session, screening: Screening = BOTH, cookie: str = "") -> ClickScreening:
    return screen_click(session, screening, visit_cookie=cookie, now=session.created_at)


def ledger(ip: str = "203.0.113.7") -> dict[str, Any]:
    return screening_store.read_ledger(ip)


def windows(ip: str = "203.0.113.7") -> dict[str, Any]:
    return {k: v for k, v in ledger(ip).items() if k.startswith("w")}


def test_of_twenty_racing_first_clicks_by_one_visitor_exactly_one_is_unique_in_one_write(
    embedded: Any,
) -> None:
    """Both click rules on: each click reads its IP's ledger and writes it once, and the race
    still counts every click once and lets exactly one open the window."""
    with dynamodb_calls() as seen:
        results = race(lambda i: screened(click_by(1, 1_000_000.0 + i / 1000)))
    assert seen.count("UpdateItem") == 20 and seen.count("GetItem") == 20 and len(seen) == 40
    codes = [[v.code for v in r.verdicts] for r in results]
    assert codes.count([]) == 1 and codes.count(["duplicate_click"]) == 14  # the 16th on: over the rate
    assert codes.count(["click_rate"]) == 5
    opener = results[codes.index([])]
    assert opener.visit is not None and opener.opened is not None
    assert all(r.visit.started == opener.visit.started for r in results if r.visit is not None)  # type: ignore[union-attr]
    assert len(windows()) == 1
    assert ledger()[f"c{1_000_000 // 60}"] == 20  # every click counted once


def test_first_clicks_racing_across_a_window_bucket_s_edge_open_one_window(embedded: Any) -> None:
    """Two names for one visitor's window (the buckets either side of the edge): the click that
    finds another's window after its write is its duplicate and removes its own."""
    edge = 3600.0 * 300
    screening = Screening(duplicate_clicks=Rule("flag", 3600))
    results = race(lambda i: screened(click_by(1, edge + (i - 10) / 1000), screening))
    codes = [[v.code for v in r.verdicts] for r in results]
    assert codes.count([]) == 1 and codes.count(["duplicate_click"]) == 19
    assert len(windows()) == 1  # the other bucket's window was removed by the click that wrote it
    later = screened(click_by(1, edge + 3000), screening)
    assert [v.code for v in later.verdicts] == ["duplicate_click"]


def test_a_ledger_keeps_only_what_runs(embedded: Any) -> None:
    """Windows are dropped a grace after their end, minute counters after their minute's next:
    an IP's ledger holds its running windows and two counters, not its history."""
    start = 2_000_000.0
    for visitor in range(5):
        screened(click_by(visitor, start + visitor))
    assert len(windows()) == 5
    later = start + 3600 + ip_ledger.GRACE_SECONDS + 10  # every window above ended a grace ago
    screened(click_by(9, later))
    visitor = rules.visitor_key("7", "203.0.113.7", "UA 9")
    assert list(windows()) == [ip_ledger.window_name(visitor, later, 3600)]
    assert [k for k in ledger() if k.startswith("c")] == [f"c{int(later // 60)}"]


def test_a_browser_s_visit_cookie_judges_without_opening_and_the_write_only_counts(embedded: Any) -> None:
    first = screened(click_by(1, 3_000_000.0))
    assert first.visit is not None and first.verdicts == []
    again = screened(click_by(2, 3_000_100.0, ip="198.51.100.9"), cookie=f"{first.visit.started:.3f}")
    assert [v.code for v in again.verdicts] == ["duplicate_click"] and again.opened is None
    assert windows("198.51.100.9") == {}
    assert ledger("198.51.100.9")[f"c{3_000_100 // 60}"] == 1
    rate_off = Screening(duplicate_clicks=Rule("flag", 3600))
    with dynamodb_calls() as seen:
        screened(click_by(2, 3_000_200.0, ip="198.51.100.9"), rate_off, cookie=f"{first.visit.started:.3f}")
    assert seen == []  # the cookie alone judged it: nothing to count


def test_a_click_the_rate_refuses_opens_no_window(embedded: Any) -> None:
    strict = Screening(duplicate_clicks=Rule("flag", 3600), click_rate=Rule("refuse", 1))
    assert screened(click_by(1, 4_000_000.0), strict).verdicts == []
    refused = screened(click_by(2, 4_000_001.0), strict)
    assert [v.code for v in refused.verdicts] == ["click_rate"] and refused.opened is None
    assert len(windows()) == 1  # visitor 1's only
    later = screened(click_by(2, 4_000_100.0), strict)  # the next minute: visitor 2's first real click
    assert later.verdicts == []


def test_closing_a_window_removes_only_the_one_that_click_opened(embedded: Any) -> None:
    """A click that opened a window and then never reached its offer closes it (one conditional
    write); a window another click opened since is never removed, whatever the order."""
    first = screened(click_by(1, 5_000_000.0))
    assert first.opened is not None and len(windows()) == 1
    close_opened(first.opened)
    assert windows() == {}
    second = screened(click_by(1, 5_000_001.0))
    assert second.verdicts == [] and second.opened is not None  # unique again: it was closed
    close_opened(first.opened)  # a late close of the first: not this window
    assert list(windows()) == [second.opened.name]


RATE_ONLY = Screening(click_rate=Rule("refuse", 15))


def test_twenty_threads_over_a_click_rate_limit_count_exactly(embedded: Any) -> None:
    """The click rate alone: every click counted once in the IP's ledger, the 16th on refused,
    and the next minute starts afresh."""
    results = race(lambda i: screened(click_by(i, 29_000_000 * 60.0 + i / 1000), RATE_ONLY))
    assert [len(r.verdicts) for r in results].count(1) == 5
    assert all(r.verdicts[0].code == "click_rate" for r in results if r.verdicts)
    assert ledger()["c29000000"] == 20
    assert screened(click_by(1, 29_000_001 * 60.0), RATE_ONLY).verdicts == []  # the next minute
    assert ledger()["c29000001"] == 1 and windows() == {}


def test_a_click_rate_and_a_duplicate_rule_on_different_offers_count_one_rate(embedded: Any) -> None:
    """The click rate counts an IP's clicks on the network: offers with and without the
    duplicate rule share one count (the ledger), not one each."""
    with_duplicates = Screening(duplicate_clicks=Rule("flag", 3600), click_rate=Rule("refuse", 3))
    without = Screening(click_rate=Rule("refuse", 3))
    answers = [
        screened(click_by(n, 30_000_000 * 60.0 + n, offer=str(n % 2)), (with_duplicates, without)[n % 2])
        for n in range(6)
    ]
    assert [[v.code for v in a.verdicts] for a in answers] == [[], [], [], ["click_rate"]] + [
        ["click_rate"]
    ] * 2


def test_a_click_that_wrote_a_window_a_racer_across_the_edge_opened_first_removes_its_own(
    embedded: Any, monkeypatch: Any
) -> None:
    """Deterministically, the race the threads above may or may not produce: the click read the
    ledger before the racer's write, so it writes its own bucket's name, then finds the racer's
    window and closes its own."""
    edge = 3600.0 * 400
    screening = Screening(duplicate_clicks=Rule("flag", 3600))
    racer = screened(click_by(1, edge - 0.001), screening)  # the bucket before the edge
    assert racer.verdicts == [] and racer.opened is not None
    real_read = screening_store.read_ledger
    monkeypatch.setattr(screening_store, "read_ledger", lambda _ip: {})  # its read came first
    with dynamodb_calls() as seen:
        late = screened(click_by(1, edge + 0.001), screening)
    assert [v.code for v in late.verdicts] == ["duplicate_click"] and late.opened is None
    assert seen == ["UpdateItem", "UpdateItem"]  # its write, then its window removed
    monkeypatch.setattr(screening_store, "read_ledger", real_read)
    assert list(windows()) == [racer.opened.name]


def test_a_click_pushed_over_the_rate_between_its_read_and_its_write_closes_its_window(
    embedded: Any, monkeypatch: Any
) -> None:
    strict = Screening(duplicate_clicks=Rule("flag", 3600), click_rate=Rule("refuse", 1))
    assert screened(click_by(1, 6_000_000.0), strict).verdicts == []
    real_read = screening_store.read_ledger
    monkeypatch.setattr(screening_store, "read_ledger", lambda _ip: {})  # read before that click
    late = screened(click_by(2, 6_000_001.0), strict)
    assert [v.code for v in late.verdicts] == ["click_rate"] and late.opened is None
    monkeypatch.setattr(screening_store, "read_ledger", real_read)
    assert len(windows()) == 1  # visitor 1's only: visitor 2's was opened, then closed
