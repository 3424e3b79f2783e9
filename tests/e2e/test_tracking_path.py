"""click -> follow redirect -> postback -> listed, over HTTP against the local runtime."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import LocalRuntime, all_conversions, make_network

pytestmark = pytest.mark.e2e


class _Landing(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Landing.hits.append(self.path)
        body = b"<html>advertiser landing page</html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def landing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Landing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def click(rt: LocalRuntime, net: dict[str, Any], extra: str = "") -> tuple[str, str]:
    response = rt.get(
        f"/aff_c?offer_id={net['offer']['offer_id']}&aff_id={net['partner']['partner_id']}{extra}"
    )
    assert response.status == 302, response.body
    location = response.headers["location"]
    return location, parse_qs(urlsplit(location).query)["tid"][0]


def test_click_redirect_postback_listed(runtime: LocalRuntime, landing: str) -> None:
    net = make_network(runtime, landing + "/land?tid={transaction_id}&sub={aff_sub}")
    location, tid = click(runtime, net, "&aff_sub=e2e")
    # follow the redirect to the advertiser's landing page, as a browser would
    import urllib.request

    with urllib.request.urlopen(location, timeout=10) as page:
        assert page.status == 200
    assert any(tid in hit and "sub=e2e" in hit for hit in _Landing.hits)

    postback = runtime.get(f"/aff_lsr?transaction_id={tid}&amount=12.5&adv_sub=ORD-9")
    assert (postback.status, postback.body.startswith(b"success=true;")) == (200, True)

    [conv] = all_conversions(runtime, net["offer"]["offer_id"])
    assert conv["transaction_id"] == tid
    assert Decimal(conv["payout"]) == Decimal("1.00") and Decimal(conv["revenue"]) == Decimal("1.50")
    assert conv["adv_subs"] == {"adv_sub": "ORD-9"} and conv["subs"] == {"aff_sub": "e2e"}


def test_duplicate_expired_unknown_and_bad_input(runtime: LocalRuntime, landing: str) -> None:
    net = make_network(runtime, landing + "/land?tid={transaction_id}")
    _, tid = click(runtime, net)
    assert runtime.get(f"/aff_lsr?transaction_id={tid}").status == 200
    duplicate = runtime.get(f"/aff_lsr?transaction_id={tid}&format=json")
    assert duplicate.status == 200 and duplicate.json()["code"] == "duplicate"
    assert runtime.get("/aff_lsr?transaction_id=" + "0" * 32).status == 404
    bad = runtime.get(f"/aff_lsr?transaction_id={tid}&amount=-3")
    assert bad.status == 400 and b"err_msg=amount" in bad.body
    assert runtime.get("/aff_c?offer_id=99999&aff_id=1").status == 404
    listed = all_conversions(
        runtime, net["offer"]["offer_id"], lambda c: bool(c) and Decimal(c[0].get("duplicate_count", 0)) == 1
    )
    assert len(listed) == 1 and Decimal(listed[0]["duplicate_count"]) == 1


def test_admin_requires_the_token(runtime: LocalRuntime) -> None:
    assert runtime.get("/admin/offers").status == 401
    assert runtime.get("/admin/offers", {"authorization": "Bearer wrong"}).status == 401
    assert runtime.admin("GET", "/admin/offers").status == 200


def test_expired_session_is_rejected_before_ttl_deletes_it(runtime: LocalRuntime, landing: str) -> None:
    net = make_network(runtime, landing + "/land?tid={transaction_id}")
    _, tid = click(runtime, net)
    runtime.dynamodb().update_item(
        TableName=runtime.table("SessionsTable"),
        Key={"transaction_id": {"S": tid}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1000"}},
    )
    expired = runtime.get(f"/aff_lsr?transaction_id={tid}&format=json")
    assert expired.status == 410 and expired.json()["code"] == "session_expired"
