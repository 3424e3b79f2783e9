"""The admin API over one keep-alive connection, as HTTP clients and SDKs use it: every answer
ends where its headers say, so the next answer on the connection reads whole."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import TOKEN, LocalRuntime, make_network

pytestmark = pytest.mark.e2e


def test_a_204_has_no_body_and_the_connection_goes_on(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?t={transaction_id}")
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    address = urlsplit(runtime.base_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    auth = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}

    def send(method: str, path: str, body: object = None, **headers: str) -> http.client.HTTPResponse:
        data = json.dumps(body) if body is not None else None
        connection.request(method, path, body=data, headers={**auth, **headers})
        return connection.getresponse()

    pixel = {"partner_id": partner_id, "kind": "postback", "code": "https://p.example/pb"}
    payout_path = f"/admin/offers/{offer_id}/partner-payouts/{partner_id}/0"
    for _ in range(2):
        created = send("POST", f"/admin/offers/{offer_id}/partner-pixels", pixel)
        assert created.status == 201
        pixel_id = json.loads(created.read())["pixel_id"]
        put = send("PUT", payout_path, {"payout": {"flat": "1"}}, **{"if-match": '"0"'})
        assert put.status == 200
        put.read()
        for path in (f"/admin/offers/{offer_id}/partner-pixels/{pixel_id}", payout_path):
            deleted = send("DELETE", path, **{"if-match": '"1"'})
            assert deleted.status == 204
            assert deleted.getheader("content-length") in (None, "0")
            assert deleted.read() == b""
    # the same connection still reads whole answers after the 204s
    after = send("GET", f"/admin/offers/{offer_id}/partner-pixels")
    assert after.status == 200 and json.loads(after.read())["items"] == []
    connection.close()
