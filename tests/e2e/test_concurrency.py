"""Exactly-once under races: many threads against the local runtime's serialized DynamoDB."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import LocalRuntime, all_conversions, click, make_network

pytestmark = pytest.mark.e2e

GOALS = [
    {"name": "Signup", "payout": {"flat": "1"}},
    {"name": "Purchase", "payout": {"percent": "10"}, "allow_multiple": True},
    {"name": "Upgrade", "payout": {"flat": "3"}, "end_point": True},
]


def test_concurrent_identical_postbacks_make_one_conversion(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    tid = click(runtime, net)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: runtime.get(f"/aff_lsr?transaction_id={tid}").status, range(40)))
    assert set(statuses) == {200}
    [conv] = all_conversions(
        runtime, net["offer"]["offer_id"], lambda c: bool(c) and Decimal(c[0].get("duplicate_count", 0)) == 39
    )
    assert Decimal(conv["duplicate_count"]) == 39


def test_concurrent_unique_ids_on_a_multiple_goal(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    tid = click(runtime, net)
    # 10 distinct order ids, each sent 4 times at once: 10 conversions, none doubled.
    urls = [
        f"/aff_goal?a=lsr&goal_name=purchase&transaction_id={tid}&amount={n}&conversion_unique_id=ORD{n}"
        for n in range(1, 11)
        for _ in range(4)
    ]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda url: runtime.get(url).status, urls))
    assert set(statuses) == {200}
    convs = all_conversions(
        runtime,
        net["offer"]["offer_id"],
        lambda c: sum(Decimal(x.get("duplicate_count", 0)) for x in c) == 30,
    )
    assert sorted(Decimal(c["sale_amount"]) for c in convs) == [Decimal(n) for n in range(1, 11)]
    assert sum(Decimal(c.get("duplicate_count", 0)) for c in convs) == 30


def test_end_point_races_other_goals_without_landing_after_the_close(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    offer_id = net["offer"]["offer_id"]
    for _ in range(5):
        tid = click(runtime, net)
        urls = [f"/aff_goal?a=lsr&goal_name=upgrade&transaction_id={tid}"] + [
            f"/aff_goal?a=lsr&goal_name=purchase&transaction_id={tid}&amount=10&adv_sub=P{n}"
            for n in range(8)
        ]
        with ThreadPoolExecutor(max_workers=9) as pool:
            results = list(pool.map(lambda url: runtime.get(url + "&format=json").json(), urls))
        assert results[0]["success"] is True
        landed = sum(1 for r in results if r["success"])
        closed = sum(1 for r in results if r.get("code") == "session_closed")

        def settled(
            records: list[dict[str, Any]], tid: str = tid, landed: int = landed, closed: int = closed
        ) -> bool:
            """Every answer's record in the offer's list (it follows the conversions stream)."""
            mine = [c for c in records if c["transaction_id"] == tid]
            return (
                sum(c["status"] == "approved" for c in mine) == landed
                and sum(c["status_code"] == "session_closed" for c in mine) == closed
            )

        convs = [c for c in all_conversions(runtime, offer_id, settled) if c["transaction_id"] == tid]
        upgrade = next(c for c in convs if c["goal_name"] == "upgrade" and c["status"] == "approved")
        accepted = [c for c in convs if c["goal_name"] == "purchase" and c["status"] == "approved"]
        refused = [r for r in results[1:] if r["code"] == "session_closed"]
        # every purchase either landed (before the close) or was refused as closed
        assert len(accepted) + len(refused) == 8
        # each purchase is stored once: as a conversion, or as the refusal its answer named
        stored_refusals = [
            c for c in convs if c["goal_name"] == "purchase" and c["status_code"] == "session_closed"
        ]
        assert len(stored_refusals) == len(refused)
        assert len({c["adv_subs"]["adv_sub"] for c in accepted + stored_refusals}) == 8
        # the session is closed by the upgrade, and names its conversion
        session = runtime.dynamodb().get_item(
            TableName=runtime.table("SessionsTable"), Key={"transaction_id": {"S": tid}}
        )
        item = session["Item"]
        assert item["closed_by_goal"]["S"] == upgrade["goal_id"]
        assert item["closed_by_sk"]["S"] == f"CONV#{upgrade['goal_id']}"
        late = runtime.get(f"/aff_goal?a=lsr&goal_name=purchase&transaction_id={tid}&amount=1&format=json")
        assert late.json()["code"] == "session_closed"
