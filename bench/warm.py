"""Warm CPU per request: handlers called in a loop, DynamoDB answered by an HTTP-layer stub.

Run as ``python -m bench.warm N`` (a fresh process, so no moto hooks are installed): a
``before-send`` handler answers every DynamoDB request with a canned body, so what is
measured is our CPU (parsing, rules, serialization, botocore request building), not I/O.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from goalpost import telemetry
from goalpost.model.offer import Advertiser, Goal, Offer, Partner, Rate
from goalpost.store import dynamo
from goalpost_local.gateway import LambdaContext, build_event
from goalpost_local.template import routes, select_route

ROOT = Path(__file__).resolve().parent.parent

OFFER = Offer(
    offer_id="1",
    name="Widgets",
    advertiser_id="1",
    offer_url="https://shop.example.com/land?tid={transaction_id}&s={aff_sub}",
    default_goal=Goal(goal_id="0", offer_id="1", name="Lead", slug="lead", payout=Rate(flat=Decimal("2.5"))),
)
DOCS = {
    "PARTNER#1": Partner(partner_id="1", name="P").to_dict(),
    "ADV#1": Advertiser(advertiser_id="1", name="A").to_dict(),
}
NOW = int(time.time())
SESSION = dynamo.to_item(
    {
        "transaction_id": "ab" * 16,
        "offer_id": "1",
        "partner_id": "1",
        "created_at": NOW,
        "expires_at": NOW + 86400,
        "subs": {"aff_sub": "campaign-42"},
        "ip": "203.0.113.7",
    }
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _answer(request: Any, **_: Any) -> AWSResponse:
    operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
    body = json.loads(request.body or b"{}")
    payload: dict[str, Any] = {}
    if operation == "Query":
        payload = {"Items": [dynamo.to_item({"pk": "OFFER#1", "sk": "OFFER", "doc": OFFER.to_dict()})]}
    elif operation == "GetItem":
        if "transaction_id" in body["Key"]:
            payload = {"Item": SESSION}
        else:
            doc = DOCS.get(body["Key"]["pk"]["S"])
            payload = {"Item": dynamo.to_item({"doc": doc})} if doc else {}
    raw = json.dumps(payload).encode()
    return AWSResponse("https://dynamodb.stub", 200, {"x-amzn-requestid": "stub"}, _Raw(raw))


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event(path: str, query: str) -> dict[str, Any]:
    selected = select_route(routes(), "GET", path)
    assert selected is not None, path
    route = selected[0]
    return build_event(
        method="GET", raw_path=path, raw_query=query, headers=[("user-agent", "bench")], body=b"",
        source_ip="203.0.113.7", route=route, path_parameters={}, host="track.example.net",
    )  # fmt: skip


def _measure(handler: Any, event: dict[str, Any], iterations: int) -> dict[str, float]:
    context = LambdaContext("bench")
    for _ in range(200):
        handler(event, context)
    samples = []
    for _ in range(iterations):
        started = time.process_time_ns()
        handler(event, context)
        samples.append((time.process_time_ns() - started) / 1e6)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 4),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 4),
    }


def main(iterations: int) -> None:
    # The handlers still write each outcome line (its cost is part of the figure); stdout is ours.
    telemetry.use_stream(open(os.devnull, "w"))
    dynamo.client().meta.events.register("before-send.dynamodb", _answer)
    click = _load(ROOT / "functions" / "click" / "app.py", "click_app")
    postback = _load(ROOT / "functions" / "postback" / "app.py", "postback_app")
    minimal = _load(ROOT / "bench" / "minimal_click.py", "minimal_app")
    minimal.client.meta.events.register("before-send.dynamodb", _answer)
    results = {
        "click": _measure(
            click.lambda_handler, _event("/aff_c", "offer_id=1&aff_id=1&aff_sub=x"), iterations
        ),
        "minimal click": _measure(
            minimal.lambda_handler, _event("/aff_c", "offer_id=1&aff_id=1"), iterations
        ),
        "postback": _measure(
            postback.lambda_handler, _event("/aff_lsr", f"transaction_id={'ab' * 16}&amount=10"), iterations
        ),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main(int(sys.argv[1]))
