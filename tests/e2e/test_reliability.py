"""Reliability suite over HTTP: concurrency, a bad-input corpus on every route, security, faults."""

from __future__ import annotations

import json
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import LocalRuntime, all_conversions, click, make_network

pytestmark = pytest.mark.e2e

GOALS = [
    {"name": "Signup", "payout": {"flat": "1"}},
    {"name": "Purchase", "payout": {"percent": "10"}, "allow_multiple": True},
    {"name": "Upgrade", "payout": {"flat": "3"}, "end_point": True},
]


def item_counts(rt: LocalRuntime) -> tuple[int, int]:
    db = rt.dynamodb()
    return (
        db.scan(TableName=rt.table("SessionsTable"), Select="COUNT")["Count"],
        db.scan(TableName=rt.table("ConversionsTable"), Select="COUNT")["Count"],
    )


def test_500_mixed_postbacks_from_20_threads_count_exactly(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    offer_id = net["offer"]["offer_id"]
    plain = [click(runtime, net) for _ in range(20)]
    closing = [click(runtime, net) for _ in range(6)]
    requests: list[tuple[str, str]] = []
    for tid in plain:  # 19 each: 1 + 6 + 1 conversions expected
        requests += [(tid, "/aff_lsr?transaction_id={tid}")] * 4
        requests += [(tid, "/aff_goal?a=lsr&goal_name=signup&transaction_id={tid}")] * 3
        for n in range(6):
            requests += [
                (
                    tid,
                    f"/aff_goal?a=lsr&goal_name=purchase&amount={n + 1}&conversion_unique_id={{tid}}-{n}&transaction_id={{tid}}",
                )
            ] * 2
    for tid in closing:  # 20 each: an end point racing purchases and default-goal duplicates
        requests += [(tid, "/aff_goal?a=lsr&goal_name=upgrade&transaction_id={tid}")] * 2
        requests += [
            (
                tid,
                f"/aff_goal?a=lsr&goal_name=purchase&amount=5&conversion_unique_id={{tid}}-{n}&transaction_id={{tid}}",
            )
            for n in range(8)
        ]
        requests += [(tid, "/aff_lsr?transaction_id={tid}")] * 10
    assert len(requests) == 500
    random.Random(7).shuffle(requests)

    def send(request: tuple[str, str]) -> tuple[str, str, int, dict[str, Any]]:
        tid, template = request
        url = template.replace("{tid}", tid) + "&format=json"
        response = runtime.get(url)
        return tid, url, response.status, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, requests))
    assert all(status < 500 for _, _, status, _ in results)

    landed = sum(
        1 for _, _, _, body in results if body.get("success") and body["code"].startswith("approved")
    )
    conversions = [
        c
        for c in all_conversions(
            runtime, offer_id, lambda c: sum(x["status"] == "approved" for x in c) == landed
        )
        if c["status"] == "approved"
    ]
    by_session = Counter(c["transaction_id"] for c in conversions)
    for tid in plain:
        mine = [c for c in conversions if c["transaction_id"] == tid]
        assert Counter(c["goal_name"] for c in mine) == {"conversion": 1, "signup": 1, "purchase": 6}
    recorded = Counter(
        tid for tid, _, _, body in results if body.get("success") and body["code"].startswith("approved")
    )
    for tid in closing:
        mine = [c for c in conversions if c["transaction_id"] == tid]
        assert Counter(c["goal_name"] for c in mine)["upgrade"] == 1
        assert by_session[tid] == recorded[tid], (  # every success is one row, every row one success
            [(c["goal_name"], c["status_code"], c.get("unique_ids")) for c in mine],
            [(url[-60:], body) for t, url, _, body in results if t == tid],
        )
        unique_ids = [c["unique_ids"]["conversion_unique_id"] for c in mine if "unique_ids" in c]
        assert len(unique_ids) == len(set(unique_ids))  # no purchase doubled
        late = [body["code"] for t, url, _, body in results if t == tid and not body.get("success")]
        assert set(late) <= {"session_closed", "duplicate", "duplicate_unique_id"}


BAD_REQUESTS = [
    # (path and query, cookies) - every one must be refused with a reason, none may store anything
    ("/aff_c", None),
    ("/aff_c?offer_id=&aff_id=", None),
    ("/aff_c?offer_id=1&offer_id=1&aff_id=1", None),
    ("/aff_c?offer_id=1&aff_id=1&aff_sub=" + "x" * 600, None),
    ("/aff_c?offer_id=1&aff_id=1&aff_sub=%FF%FE", None),
    ("/aff_c?offer_id=1&aff_id=1&aff_sub=a%00b", None),
    ("/aff_c?offer_id=1&aff_id=1&aff_sub=%3Cscript%3Ealert(1)%3C/script%3E", None),
    ("/aff_c?offer_id=1&aff_id=1&aff_sub=1%27%20OR%20%271%27%3D%271", None),
    ("/aff_c?offer_id=1%20OR%201%3D1&aff_id=1", None),
    ("/aff_c?offer_id=-1&aff_id=1", None),
    ("/aff_lsr", None),
    ("/aff_lsr?transaction_id=", None),
    ("/aff_lsr?transaction_id={tid}&amount=-1", None),
    ("/aff_lsr?transaction_id={tid}&amount=NaN", None),
    ("/aff_lsr?transaction_id={tid}&amount=inf", None),
    ("/aff_lsr?transaction_id={tid}&amount=Infinity", None),
    ("/aff_lsr?transaction_id={tid}&amount=1e9", None),
    ("/aff_lsr?transaction_id={tid}&amount=0x10", None),
    ("/aff_lsr?transaction_id={tid}&amount=1.0000001", None),
    ("/aff_lsr?transaction_id={tid}&transaction_id={tid}", None),
    ("/aff_lsr?transaction_id={tid}&adv_sub=%3Cimg%20src%3Dx%3E", None),
    ("/aff_lsr?transaction_id={tid}&adv_sub=" + "y" * 501, None),
    ("/aff_lsr?transaction_id=%27%3B%20DROP%20TABLE%20x%3B--", None),
    ("/aff_lsr?transaction_id={tid}&status=maybe", None),
    ("/aff_goal?a=lsr&transaction_id={tid}", None),
    ("/aff_goal?a=xyz&goal_id=1&transaction_id={tid}", None),
    ("/aff_goal?a=lsr&goal_id=abc&transaction_id={tid}", None),
    ("/aff_goal?a=lsr&goal_name=signup&transaction_id={tid}&enc=1.1.k.AAAAAAAAAAAAAAAAAAAAAA", None),
    ("/aff_lsr?transaction_id={tid}&q=" + "z" * 100_000, None),
]

BAD_PIXELS = [
    ("/aff_l?offer_id={offer}", None),
    ("/aff_l?offer_id={offer}", ["gp_o{offer}=%3Cscript%3E"]),
    ("/aff_l?offer_id={offer}", ["gp_o{offer}=" + "a" * 5000]),
    ("/aff_l?offer_id={offer}&amount=-5", ["gp_o{offer}={tid}"]),
    ("/aff_goal?a=l&goal_name=signup&enc=9.9.k.forgedforgedforged", ["gp_o{offer}={tid}"]),
]


def test_bad_input_corpus_gets_4xx_with_reason_and_stores_nothing(runtime: LocalRuntime) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    tid = click(runtime, net)
    offer = net["offer"]["offer_id"]
    before = item_counts(runtime)
    for template, _ in BAD_REQUESTS:
        path = template.replace("{tid}", tid)
        response = runtime.get(path)
        assert 400 <= response.status < 500, (path[:120], response.status, response.body[:200])
        assert response.body.strip() or response.headers.get("x-goalpost-reason"), path[:120]
    for template, cookies in BAD_PIXELS:
        path = template.replace("{tid}", tid).replace("{offer}", offer)
        header = (
            {"cookie": "; ".join(c.replace("{tid}", tid).replace("{offer}", offer) for c in cookies)}
            if cookies
            else {}
        )
        response = runtime.get(path, header)
        # a pixel never breaks the advertiser's page: a GIF, with the reason in a header
        assert response.status == 200 and response.body.startswith(b"GIF89a"), path
        assert response.headers["x-goalpost-code"] not in ("approved_client_cookie", "approval_pending"), path
        assert response.headers.get("x-goalpost-reason"), path
    # wrong methods and content types
    assert runtime.get("/aff_c?offer_id=1&aff_id=1", method="POST").status == 404
    assert runtime.get("/aff_lsr", method="DELETE").status == 404
    wrong_type = runtime.get(
        "/admin/advertisers",
        {"authorization": "Bearer e2e-admin-token", "content-type": "text/plain"},
        method="POST",
        data={"name": "x"},
    )
    assert wrong_type.status in (400, 415)
    assert item_counts(runtime) == before


def test_security_admin_needs_credentials_and_forged_links_are_refused(runtime: LocalRuntime) -> None:
    for method, path in (
        ("GET", "/admin/offers"),
        ("POST", "/admin/offers"),
        ("GET", "/admin/network"),
        ("PUT", "/admin/network"),
    ):
        assert runtime.get(path, method=method).status == 401
    net = make_network(
        runtime,
        "https://shop.example/land?tid={transaction_id}&s={aff_sub}",
        [{"name": "Secret", "encrypted": True}],
    )
    offer_id = net["offer"]["offer_id"]
    token = net["goals"][0]["links"]["postback"].split("enc=")[1].split("&")[0]
    tid = click(runtime, net)
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert runtime.get(f"/aff_goal?a=lsr&enc={altered}&transaction_id={tid}").status == 403
    pixel = runtime.get(f"/aff_goal?a=l&enc={altered}", {"cookie": f"gp_o{offer_id}={tid}"})
    assert pixel.headers["x-goalpost-code"] == "invalid_encrypted_link"
    assert runtime.get(f"/aff_goal?a=lsr&goal_name=secret&transaction_id={tid}").status == 403
    # forged links are malformed requests (nothing stored); the plain form is a stored refusal
    stored = [(c["status"], c["status_code"]) for c in all_conversions(runtime, offer_id)]
    assert stored == [("rejected", "encrypted_required")]
    # the redirect is always the offer's own URL; macros cannot add parameters or change the host
    response = runtime.get(
        f"/aff_c?offer_id={offer_id}&aff_id={net['partner']['partner_id']}&aff_sub=x%26url%3Dhttps%3A%2F%2Fevil.example%2F%23"
    )
    location = urlsplit(response.headers["location"])
    assert location.netloc == "shop.example" and parse_qs(location.query)["s"] == [
        "x&url=https://evil.example/#"
    ]


@pytest.mark.parametrize("mode", ["throttle", "timeout_after"])
def test_storage_faults_answer_5xx_and_the_retry_counts_once(runtime: LocalRuntime, mode: str) -> None:
    net = make_network(runtime, "https://shop.example/?tid={transaction_id}", GOALS)
    offer_id = net["offer"]["offer_id"]
    tid = click(runtime, net)
    armed = runtime.get(
        "/__local/faults", method="POST", data={"operation": "TransactWriteItems", "mode": mode, "times": 1}
    )
    assert armed.status == 200
    url = f"/aff_goal?a=lsr&goal_name=purchase&amount=12&transaction_id={tid}&format=json"
    first = runtime.get(url)
    assert first.status == 503 and first.json()["code"] == "temporarily_unavailable"
    retry = runtime.get(url)
    assert retry.status == 200
    assert retry.json()["code"] == (
        "duplicate_retry" if mode == "timeout_after" else "approved_server_postback"
    )
    [conversion] = [
        c
        for c in all_conversions(runtime, offer_id, lambda c: any(x["transaction_id"] == tid for x in c))
        if c["transaction_id"] == tid
    ]
    assert json.loads(json.dumps(conversion["sale_amount"])) == "12"
