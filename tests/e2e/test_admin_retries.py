"""Retries racing each other over HTTP: requests with one Idempotency-Key make one thing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import LocalRuntime, make_network

pytestmark = pytest.mark.e2e


def test_ten_concurrent_goal_creates_with_one_key_make_one_goal(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?t={transaction_id}", goals=[{"name": "Lead"}])
    offer_id = net["offer"]["offer_id"]
    path = f"/admin/offers/{offer_id}/goals"

    def create(_: int) -> tuple[int, str]:
        answer = runtime.admin("POST", path, {"name": "Sale"}, headers={"idempotency-key": "race-goal-1"})
        return answer.status, str(answer.json().get("goal_id") or answer.json())

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(create, range(10)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 9 + [201], answers
    assert len({goal_id for _, goal_id in answers}) == 1, answers
    goals = runtime.admin("GET", f"{path}?limit=50").json()["items"]
    assert [g["name"] for g in goals].count("Sale") == 1


def test_twenty_concurrent_key_rotations_with_one_key_make_one_key(runtime: LocalRuntime) -> None:
    partner = runtime.admin("POST", "/admin/partners", {"name": "Rotating"}).json()
    path = f"/admin/partners/{partner['partner_id']}/api-key"

    def rotate(_: int) -> tuple[int, str]:
        answer = runtime.admin("POST", path, headers={"idempotency-key": "race-rotate-1"})
        return answer.status, str(answer.json().get("api_key", ""))

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(rotate, range(20)))
    assert all(status == 200 for status, _ in answers), answers  # no 412: no If-Match was sent
    keys = {key for _, key in answers if key}
    assert len(keys) == 1, answers
    assert runtime.admin("GET", f"/admin/partners/{partner['partner_id']}").json()["version"] == 2
    [key] = keys
    assert runtime.get("/partner/offers", {"x-api-key": key}).status == 200


def test_concurrent_rotations_without_a_key_never_answer_412(runtime: LocalRuntime) -> None:
    partner = runtime.admin("POST", "/admin/partners", {"name": "Busy"}).json()
    path = f"/admin/partners/{partner['partner_id']}/api-key"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: runtime.admin("POST", path), range(8)))
    assert [a.status for a in answers] == [200] * 8, [a.body for a in answers]
    working = [
        a.json()["api_key"]
        for a in answers
        if runtime.get("/partner/offers", {"x-api-key": a.json()["api_key"]}).status == 200
    ]
    assert len(working) == 1  # each rotation retired the key before it
