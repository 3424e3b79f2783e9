"""An IP's ledger as plain rules: what a click writes, given what it read, and its verdict, given
what its write left (rules.ip_ledger; the store and the races are tests/integration)."""

from __future__ import annotations

from goalpost.model.ip_ledger import Window
from goalpost.rules import ip_ledger

V = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
NOW = 1_000_000.5
HOUR = 3600


def written(name: str, window: Window) -> dict[str, str]:
    return {name: window.encoded()}


def test_a_first_click_opens_its_window_under_its_bucket_s_name() -> None:
    plan = ip_ledger.plan({}, minute=int(NOW // 60), now=NOW, visitor=V, window_seconds=HOUR)
    assert plan.open_name == ip_ledger.window_name(V, NOW, HOUR) == f"w{V[:12]}.3600.{int(NOW // HOUR)}"
    assert plan.opened is not None and plan.opened.start == NOW and plan.opened.end == NOW + HOUR
    assert plan.running is None and plan.drop == () and plan.minute_name == f"c{int(NOW // 60)}"
    after = {plan.minute_name: 1, **written(plan.open_name, plan.opened)}
    assert ip_ledger.judged(after, plan, V, NOW) == ip_ledger.Judged(1, None)


def test_a_click_inside_a_running_window_opens_none_and_is_its_duplicate() -> None:
    first = Window(NOW - 100, HOUR, "aaaaaa")
    item = written(ip_ledger.window_name(V, NOW - 100, HOUR), first)
    plan = ip_ledger.plan(item, minute=1, now=NOW, visitor=V, window_seconds=HOUR)
    assert plan.opened is None and plan.running == first
    assert ip_ledger.judged({"c1": 3, **item}, plan, V, NOW) == ip_ledger.Judged(3, NOW - 100)
    # another visitor of the same IP: its own window
    assert ip_ledger.plan(item, minute=1, now=NOW, visitor=OTHER, window_seconds=HOUR).opened is not None
    # the offer's window shortened since: the window ends with the shorter one
    shorter = ip_ledger.plan(item, minute=1, now=NOW, visitor=V, window_seconds=60)
    assert shorter.running is None and shorter.opened is not None


def test_racers_in_one_bucket_write_one_name_and_the_first_value_stays() -> None:
    plan = ip_ledger.plan({}, minute=1, now=NOW, visitor=V, window_seconds=HOUR)
    racer = Window(NOW - 0.002, HOUR, "bbbbbb")
    after = {"c1": 2, **written(plan.open_name, racer)}  # if_not_exists kept the racer's
    assert ip_ledger.judged(after, plan, V, NOW) == ip_ledger.Judged(2, NOW - 0.002)


def test_a_racer_across_the_bucket_s_edge_that_wrote_first_makes_this_click_undo_its_window() -> None:
    edge = HOUR * 300.0
    mine = ip_ledger.plan({}, minute=1, now=edge + 0.001, visitor=V, window_seconds=HOUR)
    racer = Window(edge - 0.001, HOUR, "cccccc")
    assert mine.opened is not None
    after = {
        "c1": 2,
        **written(mine.open_name, mine.opened),
        **written(ip_ledger.window_name(V, edge - 0.001, HOUR), racer),
    }
    assert ip_ledger.judged(after, mine, V, edge + 0.001) == ip_ledger.Judged(2, edge - 0.001, undo=True)


def test_a_click_the_read_shows_over_a_refusing_rate_opens_no_window() -> None:
    full = {"c1": 5}
    plan = ip_ledger.plan(full, minute=1, now=NOW, visitor=V, window_seconds=HOUR, refuse_over=5)
    assert plan.opened is None and plan.running is None
    assert ip_ledger.judged({"c1": 6}, plan, V, NOW) == ip_ledger.Judged(6, None)
    room = ip_ledger.plan({"c1": 4}, minute=1, now=NOW, visitor=V, window_seconds=HOUR, refuse_over=5)
    assert room.opened is not None  # the 5th click passes: it may open
    assert ip_ledger.plan(full, minute=1, now=NOW, visitor=V, window_seconds=HOUR).opened is not None  # flag
    count_only = ip_ledger.plan({}, minute=1, now=NOW)  # the visit cookie judged it
    assert count_only.opened is None and count_only.open_name == ""


def test_the_ledger_drops_what_no_click_can_still_need() -> None:
    minute = int(NOW // 60)
    ended_long_ago = Window(NOW - HOUR - ip_ledger.GRACE_SECONDS - 1, HOUR, "dddddd")
    ended_just_now = Window(NOW - HOUR - 1, HOUR, "eeeeee")
    running = Window(NOW - 10, HOUR, "ffffff")
    item = {
        f"c{minute - 2}": 4,
        f"c{minute - 1}": 5,  # a click of the last minute may still be writing it
        f"c{minute}": 6,
        **written(ip_ledger.window_name(OTHER, ended_long_ago.start, HOUR), ended_long_ago),
        **written(ip_ledger.window_name(V, ended_just_now.start, HOUR), ended_just_now),
        **written(ip_ledger.window_name(OTHER, running.start, HOUR), running),
        "w0123.bad": "not a window",
        "pk": "SCREEN#IP#203.0.113.7",
        "expires_at": 2_000_000,
    }
    plan = ip_ledger.plan(item, minute=minute, now=NOW, visitor=V, window_seconds=HOUR)
    assert set(plan.drop) == {
        f"c{minute - 2}",
        ip_ledger.window_name(OTHER, ended_long_ago.start, HOUR),
        "w0123.bad",
    }
    assert plan.opened is not None  # visitor V's window ended: a new one


def test_a_window_is_stored_short_its_length_in_its_name() -> None:
    window = Window(1_796_469_264.339, 86_400, "9f3a12")
    assert window.encoded() == "1796469264.339 9f3a12"
    assert Window.decoded(window.encoded(), 86_400) == window
    assert Window.decoded("garbage", 60) is None
    name = ip_ledger.window_name(V, window.start, 86_400)
    assert len(name) + len(window.encoded()) <= 50  # about 20 running windows a KB


def test_a_click_drops_at_most_so_much_and_the_next_ones_the_rest() -> None:
    """An expression is at most 4 KB: a NAT's windows ending at once leave over several clicks."""
    ended = {
        ip_ledger.window_name(f"{n:012x}{V[12:]}", NOW - 2 * HOUR, HOUR): Window(
            NOW - 2 * HOUR, HOUR, "a"
        ).encoded()
        for n in range(ip_ledger.MAX_DROPS + 30)
    }
    first = ip_ledger.plan(ended, minute=1, now=NOW, visitor=V, window_seconds=HOUR)
    assert len(first.drop) == ip_ledger.MAX_DROPS
    rest = {k: v for k, v in ended.items() if k not in first.drop}
    assert len(ip_ledger.plan(rest, minute=1, now=NOW, visitor=V, window_seconds=HOUR).drop) == 30
