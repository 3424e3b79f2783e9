"""Partner postbacks end to end: stream -> consumer -> a fake partner server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import LocalRuntime, click, make_network, wait_for

pytestmark = pytest.mark.e2e


class FakePartner(ThreadingHTTPServer):
    """Answers 500 to the first `fail_first` hits of each path, then 200; records everything."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PartnerHandler)
        self.hits: list[dict[str, Any]] = []
        self.fail_first: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _PartnerHandler(BaseHTTPRequestHandler):
    server: FakePartner

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.server.lock:
            left = self.server.fail_first.get(path, 0)
            status = 500 if left > 0 else 200
            if left > 0:
                self.server.fail_first[path] = left - 1
            self.server.hits.append(
                {"path": self.path, "status": status, "headers": dict(self.headers.items())}
            )
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def partner_server() -> Iterator[FakePartner]:
    server = FakePartner()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


GOALS = [
    {"name": "Paid Subscription", "payout": {"percent": "20"}, "ref_id": "PS-1", "allow_multiple": True},
    {"name": "Trial", "payout": {"flat": "1"}, "approve": True},
    {"name": "Internal", "private": True, "revenue": {"flat": "1"}},
]


def add_pixel(
    rt: LocalRuntime, net: dict[str, Any], goal_id: str, code: str, reversal: str = ""
) -> dict[str, Any]:
    response = rt.admin(
        "POST",
        f"/admin/offers/{net['offer']['offer_id']}/partner-pixels",
        {
            "partner_id": net["partner"]["partner_id"],
            "goal_id": goal_id,
            "kind": "postback",
            "code": code,
            "reversal_code": reversal,
        },
    )
    assert response.status == 201, response.body
    return response.json()


def test_flaky_partner_gets_exactly_one_successful_signed_postback(
    runtime: LocalRuntime, partner_server: FakePartner
) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    goal = net["goals"][0]
    add_pixel(
        runtime, net, goal["goal_id"],
        partner_server.base + "/pb?tid={transaction_id}&goal={goal_name}&ref={goal_ref}&p={payout}&s={sale_amount}&sub={aff_sub}",
    )  # fmt: skip
    partner_server.fail_first["/pb"] = 2
    tid = click(runtime, net, "&aff_sub=a%26b%20c")
    assert (
        runtime.get(f"/aff_goal?a=lsr&goal_name=paid-subscription&amount=50&transaction_id={tid}").status
        == 200
    )

    try:
        wait_for(lambda: any(h["status"] == 200 for h in partner_server.hits))
    except AssertionError:
        raise AssertionError(
            "".join(line for line in runtime.logs if "stream" in line or "rror" in line or "Trace" in line)[
                -6000:
            ]
            + f"\nhits: {partner_server.hits}"
        ) from None
    time.sleep(1.0)  # any stray re-send would arrive by now
    successes = [h for h in partner_server.hits if h["status"] == 200]
    assert len(partner_server.hits) == 3 and len(successes) == 1
    hit = successes[0]
    # macros URL-encoded, byte for byte
    assert hit["path"] == f"/pb?tid={tid}&goal=paid-subscription&ref=PS-1&p=10.00&s=50.00&sub=a%26b%20c"
    signed_url = partner_server.base + hit["path"]
    t, v2 = (part.split("=", 1)[1] for part in hit["headers"]["X-Goalpost-Signature"].split(","))
    secret = net["partner"]["postback_secret"]
    event, delivery_id = hit["headers"]["X-Goalpost-Event"], hit["headers"]["X-Goalpost-Delivery"]
    content = f"{t}.GET.{signed_url}.{event}.{delivery_id}"
    assert v2 == hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest()

    deliveries = runtime.admin("GET", f"/admin/offers/{net['offer']['offer_id']}/deliveries").json()["items"]
    [delivery] = deliveries
    # two failures, then the delivery
    assert (delivery["status"], delivery["attempts"], delivery["response_code"]) == ("delivered", 3, 200)


def test_pending_private_and_reversal(runtime: LocalRuntime, partner_server: FakePartner) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    paid, trial, _internal = net["goals"]
    add_pixel(runtime, net, trial["goal_id"], partner_server.base + "/trial?tid={transaction_id}")
    add_pixel(
        runtime, net, paid["goal_id"], partner_server.base + "/paid?p={payout}",
        reversal=partner_server.base + "/reversed?p={payout}",
    )  # fmt: skip
    tid = click(runtime, net)
    runtime.get(f"/aff_goal?a=lsr&goal_name=trial&transaction_id={tid}&adv_sub=T1")
    runtime.get(f"/aff_goal?a=lsr&goal_name=internal&transaction_id={tid}")
    time.sleep(1.5)
    assert partner_server.hits == []  # pending and private: nothing
    runtime.get(f"/aff_goal?a=lsr&goal_name=trial&transaction_id={tid}&adv_sub=T1&status=approved")
    wait_for(lambda: any(h["path"].startswith("/trial") for h in partner_server.hits))

    runtime.get(
        f"/aff_goal?a=lsr&goal_name=paid-subscription&amount=10&conversion_unique_id=U9&transaction_id={tid}"
    )
    wait_for(lambda: any(h["path"].startswith("/paid") for h in partner_server.hits))
    runtime.get(f"/aff_goal?a=lsr&status=rejected&conversion_unique_id=U9&transaction_id={tid}")
    wait_for(lambda: any(h["path"].startswith("/reversed") for h in partner_server.hits))
    reversal = next(h for h in partner_server.hits if h["path"].startswith("/reversed"))
    assert reversal["path"] == "/reversed?p=-2.00" and reversal["headers"]["X-Goalpost-Event"] == "reversal"


def test_permanently_failing_partner_ends_in_dead_letters_and_admin_retry(
    runtime: LocalRuntime, partner_server: FakePartner
) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    add_pixel(runtime, net, "0", partner_server.base + "/down?tid={transaction_id}")
    partner_server.fail_first["/down"] = 10_000
    tid = click(runtime, net)
    runtime.get(f"/aff_lsr?transaction_id={tid}")

    def dead() -> list[dict[str, Any]]:
        items = runtime.get("/__local/dead-letters").json()["items"]
        return [d for d in items if d.get("queue") == "PartnerDeliveriesDeadLetters" and tid in d["body"]]

    wait_for(lambda: bool(dead()), seconds=30)
    offer_id = net["offer"]["offer_id"]
    [delivery] = runtime.admin("GET", f"/admin/offers/{offer_id}/deliveries").json()["items"]
    assert delivery["status"] == "failed" and delivery["attempts"] == 6  # six receives, then the dead letters
    partner_server.fail_first["/down"] = 0
    retried = runtime.admin("POST", f"/admin/offers/{offer_id}/deliveries/{delivery['delivery_id']}/retry")
    assert retried.status == 200 and retried.json()["status"] == "delivered"
    again = runtime.admin("POST", f"/admin/offers/{offer_id}/deliveries/{delivery['delivery_id']}/retry")
    assert again.status == 409
