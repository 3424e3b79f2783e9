"""The local gateway as Lambda and API Gateway behave: environments that each see their own
request, a listen backlog sized like a server's, and clear answers to its own test endpoints."""

from __future__ import annotations

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.helpers import admin, partner_call, setup_network


def test_each_environment_sees_only_its_own_request(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools keeps the request in class attributes (one per process, as in Lambda); the
    local runtime's environments are threads of one process. 60 admin POSTs beside 60 partner
    requests: none judged by the other's authorizer (403 iam_required), none answered wrongly."""
    from moto.core.botocore_stubber import BotocoreStubber

    moto_lock, answer = threading.Lock(), BotocoreStubber.__call__

    def one_call_at_a_time(self: Any, *args: Any, **kwargs: Any) -> Any:
        with moto_lock:  # as the embedded DynamoDB serves them (in-process moto is not thread-safe)
            return answer(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_call_at_a_time)
    net = setup_network()
    key = net["partner"]["api_key"]
    start = threading.Barrier(8)

    def admin_post(n: int) -> tuple[str, int, Any]:
        if n < 8:
            start.wait(timeout=30)
        status, body = admin("POST", "/admin/advertisers", {"name": f"Advertiser {n}"})
        return "admin", status, body

    def partner_get(n: int) -> tuple[str, int, Any]:
        if n < 8:
            start.wait(timeout=30)
        response = partner_call("/partner/offers", key)
        return "partner", response["statusCode"], json.loads(response["body"])

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, as the gateway's do on their sockets
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(admin_post if n % 2 else partner_get, n) for n in range(120)]
            answers = [f.result() for f in futures]
    finally:
        sys.setswitchinterval(switching)
    wrong = [(kind, status, body) for kind, status, body in answers if status not in (200, 201)]
    assert wrong == []
    assert all("advertiser_id" in body for kind, _, body in answers if kind == "admin")
    assert all("items" in body for kind, _, body in answers if kind == "partner")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "JSON object"),
        (b"[1]", "JSON object"),
        (b'{"mode": "throttle"}', "operation"),
        (b'{"operation": "TransactWriteItems", "mode": "explode"}', "mode"),
        (b'{"operation": "TransactWriteItems", "mode": "throttle", "times": "x"}', "times"),
        (b'{"operation": "TransactWriteItems", "mode": "throttle", "times": true}', "times"),
    ],
)
def test_a_malformed_fault_is_refused_with_its_reason(body: bytes, reason: str) -> None:
    from goalpost_local import faults

    with pytest.raises(ValueError, match=reason):
        faults.parse(body)
