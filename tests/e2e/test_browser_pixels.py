"""Cookie tracking in a real browser: Debian's headless Chromium, driven by Playwright.

A partner's tracking link (served by the local runtime) sets the tracking cookie and
redirects to an advertiser page on another localhost port; that page fires the image pixel
of the default goal, a second page an iframe pixel of another goal whose partner HTML pixel
must run inside the iframe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.chromium import ARGS, CHROMIUM
from tests.e2e.conftest import LocalRuntime, all_conversions, make_network, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


class Advertiser(ThreadingHTTPServer):
    """The advertiser's site: pages that embed Goalpost pixels, and a log of partner hits."""

    def __init__(self, tracker: str) -> None:
        super().__init__(("127.0.0.1", 0), _AdvertiserPages)
        self.tracker = tracker
        self.offer_id = ""
        self.partner_hits: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _AdvertiserPages(BaseHTTPRequestHandler):
    server: Advertiser

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        tracker, offer = self.server.tracker, self.server.offer_id
        if path == "/landing":
            body = f'<html><body><h1>Thanks for signing up</h1><img id="px" src="{tracker}/aff_l?offer_id={offer}&amount=20"></body></html>'
        elif path == "/upgraded":
            body = f'<html><body><h1>Upgraded</h1><iframe id="fr" src="{tracker}/aff_goal?a=l&goal_name=upgrade&offer_id={offer}&amount=100"></iframe></body></html>'
        elif path == "/partner-js":
            self.server.partner_hits.append(self.path)
            body = ""
        else:
            body = "not found"
        payload = body.encode()
        self.send_response(200 if body != "not found" else 404)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def advertiser(runtime: LocalRuntime) -> Iterator[Advertiser]:
    server = Advertiser(runtime.base_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_cookie_tracked_image_and_iframe_pixels_in_chromium(
    runtime: LocalRuntime, advertiser: Advertiser
) -> None:
    from playwright.sync_api import sync_playwright

    net = make_network(
        runtime,
        advertiser.base + "/landing?tid={transaction_id}",
        goals=[
            {
                "name": "Upgrade",
                "protocol": "iframe",
                "payout": {"percent": "10"},
                "revenue": {"percent": "15"},
            }
        ],
    )
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    advertiser.offer_id = offer_id
    upgrade = net["goals"][0]
    # values in data-* attributes, read by a script with no macro in it: the safe form of a JS pixel
    html_pixel = (
        '<div id="gp" data-tid="{transaction_id}" data-p="{payout}" data-g="{goal_name}"></div>'
        "<script>var d = document.getElementById('gp').dataset;"
        f"new Image().src = '{advertiser.base}/partner-js?tid=' + d.tid + '&p=' + d.p + '&g=' + d.g</script>"
    )
    created = runtime.admin(
        "POST",
        f"/admin/offers/{offer_id}/partner-pixels",
        {"partner_id": partner_id, "goal_id": upgrade["goal_id"], "kind": "html", "code": html_pixel},
    )
    assert created.status == 201, created.body

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=ARGS,
        )
        try:
            page = browser.new_page()
            page.goto(f"{runtime.base_url}/aff_c?offer_id={offer_id}&aff_id={partner_id}&aff_sub=browser")
            assert page.url.startswith(advertiser.base + "/landing?tid=")
            tid = parse_qs(urlsplit(page.url).query)["tid"][0]
            page.wait_for_function("document.getElementById('px').complete")
            cookies = {c["name"]: c for c in page.context.cookies(runtime.base_url)}
            assert cookies[f"gp_o{offer_id}"]["value"] == tid and cookies[f"gp_o{offer_id}"]["httpOnly"]

            page.goto(advertiser.base + "/upgraded")
            wait_for(lambda: bool(advertiser.partner_hits))
        finally:
            browser.close()

    conversions = all_conversions(runtime, offer_id, lambda c: len(c) == 2)
    by_goal = {c["goal_name"]: c for c in conversions}
    assert set(by_goal) == {"conversion", "upgrade"}
    assert all(c["via"] == "client_cookie" and c["transaction_id"] == tid for c in conversions)
    assert by_goal["conversion"]["status_code"] == "approved_client_cookie"
    assert Decimal(by_goal["conversion"]["payout"]) == Decimal("1.00")
    assert (
        Decimal(by_goal["upgrade"]["payout"]) == Decimal("10")
        and Decimal(by_goal["upgrade"]["sale_amount"]) == 100
    )
    # the partner's HTML pixel ran inside the iframe, with its macros filled in
    assert advertiser.partner_hits == [f"/partner-js?tid={tid}&p=10.00&g=upgrade"]
