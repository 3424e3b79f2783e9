"""Test helpers: API Gateway v2 events as the local gateway builds them, handler loading."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from goalpost_local.gateway import LOCAL_ADMIN_IAM, LambdaContext, build_event, load_handler
from goalpost_local.template import authorizers, routes, select_route

ADMIN = "GoalsAdminFunction"
PARTNER = "PartnerApiFunction"


def handler(function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    route = next(r for r in routes() if r.function == function)
    return load_handler(route.code_uri, route.handler, route.function)


def event(
    method: str,
    path: str,
    query: str = "",
    *,
    body: Any = None,
    cookies: list[str] | None = None,
    ip: str = "203.0.113.7",
    user_agent: str = "pytest-browser/1.0",
    partner_id: str | None = None,
    if_match: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    selected = select_route(routes(), method, path)
    if selected is None:
        raise AssertionError(f"no route for {method} {path}")
    route, params = selected
    pairs = [("user-agent", user_agent), ("host", "track.example.net"), *(headers or {}).items()]
    if cookies:
        pairs.append(("cookie", "; ".join(cookies)))
    if if_match is not None:
        pairs.append(("if-match", if_match))
    raw = b""
    if body is not None:
        pairs.append(("content-type", "application/json"))
        raw = json.dumps(body, default=str).encode()
    built = build_event(
        method=method,
        raw_path=path,
        raw_query=query,
        headers=pairs,
        body=raw,
        source_ip=ip,
        route=route,
        path_parameters=params,
        host="track.example.net",
    )
    if route.authorizer == "AWS_IAM":
        built["requestContext"]["authorizer"] = LOCAL_ADMIN_IAM
    elif partner_id is not None:
        built["requestContext"]["authorizer"] = {"lambda": {"partner_id": partner_id}}
    return built


def call(function: str, method: str, path: str, query: str = "", **kwargs: Any) -> dict[str, Any]:
    return handler(function)(event(method, path, query, **kwargs), LambdaContext(function))


def partner_call(path: str, api_key: str, query: str = "") -> dict[str, Any]:
    """A partner route as API Gateway serves it: the partner authorizer first, then the function."""
    spec = next(iter(authorizers().values()))
    authorizer = load_handler(spec.code_uri, spec.handler, spec.function)
    answer = authorizer({"headers": {"x-api-key": api_key}}, LambdaContext(spec.function))
    if not answer.get("isAuthorized"):
        return {
            "statusCode": 403,
            "headers": {"content-type": "application/json"},
            "body": '{"message": "Forbidden"}',
        }
    request = event("GET", path, query, headers={"x-api-key": api_key})
    request["requestContext"]["authorizer"] = {"lambda": answer["context"]}
    return handler(PARTNER)(request, LambdaContext(PARTNER))


def admin(
    method: str,
    path: str,
    body: Any = None,
    query: str = "",
    if_match: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    response = call(ADMIN, method, path, query, body=body, if_match=if_match, headers=headers)
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def setup_network(
    *,
    offer: dict[str, Any] | None = None,
    goals: list[dict[str, Any]] | None = None,
    advertiser: dict[str, Any] | None = None,
    partner: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Advertiser, partner, offer (and goals) through the admin API, as an admin would."""
    status, adv = admin("POST", "/admin/advertisers", {"name": "Acme", **(advertiser or {})})
    assert status == 201, adv
    status, aff = admin("POST", "/admin/partners", {"name": "Partner One", **(partner or {})})
    assert status == 201, aff
    offer_body = {
        "name": "Widgets",
        "advertiser_id": adv["advertiser_id"],
        "offer_url": "https://shop.example.com/land?tid={transaction_id}&s={aff_sub}&o={offer_id}",
        "default_goal": {"payout": {"flat": "2.50"}, "revenue": {"flat": "4"}},
        **(offer or {}),
    }
    status, off = admin("POST", "/admin/offers", offer_body)
    assert status == 201, off
    created_goals = []
    for goal in goals or []:
        status, g = admin("POST", f"/admin/offers/{off['offer_id']}/goals", goal)
        assert status == 201, g
        created_goals.append(g)
    return {"advertiser": adv, "partner": aff, "offer": off, "goals": created_goals}


def another_offer(net: dict[str, Any], offer_url: str, name: str = "Other", **fields: Any) -> dict[str, Any]:
    """A second offer of the network's advertiser (``setup_network`` makes the first): as saved."""
    body = {
        "name": name,
        "advertiser_id": net["advertiser"]["advertiser_id"],
        "offer_url": offer_url,
        **fields,
    }
    status, offer = admin("POST", "/admin/offers", body)
    assert status == 201, offer
    return offer  # type: ignore[no-any-return]


def click(offer_id: str, partner_id: str, extra: str = "") -> str:
    """Start a session through the click handler; returns the transaction id."""
    response = call("ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id={partner_id}{extra}")
    assert response["statusCode"] == 302, response
    return response["cookies"][0].split("=", 1)[1].split(";", 1)[0]


def postback(query: str, path: str = "/aff_lsr") -> dict[str, Any]:
    return call("PostbackFunction", "GET", path, query)


def conversions(offer_id: str) -> list[dict[str, Any]]:
    """The offer's records as the admin lists them. The list reads the report projection, which
    the stats function keeps from the conversions stream (seconds behind a postback in the
    cloud): the test's stats consumer is drained first."""
    the_stats_consumer().drain()
    status, page = admin("GET", f"/admin/offers/{offer_id}/conversions", query="limit=100")
    assert status == 200, page
    items: list[dict[str, Any]] = page["items"]
    return items


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def today() -> str:
    """The tracker's UTC day (whatever the clock says: tests never name a date)."""
    from datetime import UTC, datetime

    from goalpost.model import clock

    return datetime.fromtimestamp(clock.now(), UTC).date().isoformat()


def load_rates(day: str | None = None, **per_euro: str) -> dict[str, Any]:
    """An admin's exchange rates for a day (default: today), units per euro as the ECB quotes."""
    status, table = admin("PUT", f"/admin/exchange-rates/{day or today()}", {"rates": per_euro})
    assert status == 200, table
    return table


def race(action: Callable[[int], Any], n: int = 20) -> list[Any]:
    """Run ``action(0..n-1)`` on n threads released at once by a barrier: the answers in order.
    What a counter's exactness is tested with (each request is atomic in DynamoDB, not in ours)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(n)

    def run(i: int) -> Any:
        start.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@contextmanager
def dynamodb_calls() -> Iterator[list[str]]:
    """Record the DynamoDB operations made through the goalpost client."""
    from goalpost.store import dynamo

    seen: list[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    events = dynamo.client().meta.events
    events.register("before-call.dynamodb", record)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb", record)


def record_conversion(
    offer_id: str, partner_id: str, created_at: str, goal_id: str = "0", status: str = "approved"
) -> str:
    """Write an approved conversion through the store's own insert (its item and report keys as a
    postback writes them), without the click and postback around it: its conversion id."""
    import secrets

    from goalpost.model.conversion import Conversion
    from goalpost.store import conversion_store

    tid = secrets.token_hex(16)
    conversion = Conversion(
        conversion_id=f"{tid}-{goal_id}", offer_id=offer_id, goal_id=goal_id, partner_id=partner_id,
        transaction_id=tid, status=status, status_code=f"{status}_server_postback",
        created_at=created_at, payout=Decimal("1.00"), revenue=Decimal("2.00"), currency="USD",
    )  # fmt: skip
    result = conversion_store.insert_conversion(
        conversion, now=0, end_point=False, fingerprint="", retry_window_seconds=0
    )
    assert result.outcome == "inserted", result
    return conversion.conversion_id


@contextmanager
def items_read() -> Iterator[dict[str, int]]:
    """Count what the goalpost client's queries read (DynamoDB's ScannedCount: the items a query
    evaluated, before any filter) and how many queries it made."""
    from goalpost.store import dynamo

    counts = {"items": 0, "queries": 0}

    def record(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "Query":
            counts["items"] += int(parsed.get("ScannedCount", 0))
            counts["queries"] += 1

    events = dynamo.client().meta.events
    events.register("after-call.dynamodb", record)
    try:
        yield counts
    finally:
        events.unregister("after-call.dynamodb", record)


def stats_pump(dynamodb: Any) -> Any:
    """A stream pump feeding only the stats function, reading both streams from their start."""
    import boto3
    from botocore.config import Config

    from goalpost_local.streams import StreamPump
    from goalpost_local.template import table_definitions

    names = {logical: f"test-{logical}" for logical in table_definitions()}
    # moto (in-process) answers streams only on the regional endpoint, not the account-based one.
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    return StreamPump(dynamodb, streams, names, functions={"StatsFunction"}).attach()


_TEST_STATS_CONSUMER: list[Any] = []
"""The running test's stats consumer (made on first use; conftest's ``aws`` fixture forgets it)."""


def the_stats_consumer(dynamodb: Any = None) -> Any:
    """The test's one stats function fed from moto's streams (``stats_consumer`` fixture): the
    stats cells and the report projection (one-partner and one-offer reports) follow it."""
    if not _TEST_STATS_CONSUMER:
        import boto3

        _TEST_STATS_CONSUMER.append(stats_pump(dynamodb or boto3.client("dynamodb", region_name="us-east-1")))
    return _TEST_STATS_CONSUMER[0]


def session_record(n: int, offer_id: str, partner_id: str = "2") -> dict[str, Any]:
    """The stats consumer's stream record of a new click session (a click to count): the
    ``n``-th record of a batch (its event id and sequence number), on an offer and partner."""
    from goalpost.store import dynamo

    image = {
        "transaction_id": f"t{n}",
        "offer_id": offer_id,
        "partner_id": partner_id,
        "created_at": 1795490000,
    }
    return {
        "eventID": f"e{n}",
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": str(n), "NewImage": dynamo.to_item(image)},
    }


def forget_stats_consumer() -> None:
    _TEST_STATS_CONSUMER.clear()


class DeliveryPumps:
    """The planner (stream) and the delivery function (queue), pumped in-process."""

    def __init__(self, stream: Any, queue: Any) -> None:
        self.stream, self.queue = stream, queue

    def drain(self, rounds: int = 3) -> None:
        for _ in range(rounds):
            self.stream.drain()
            self.queue.drain()

    def dead_letters(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.queue.dead_letters()
        return found


def delivery_pumps(dynamodb: Any) -> DeliveryPumps:
    import os

    import boto3
    from botocore.config import Config

    from goalpost_local.queues import QueuePump
    from goalpost_local.streams import StreamPump
    from goalpost_local.template import table_definitions

    queue_url = os.environ["PARTNER_DELIVERIES_QUEUE_URL"]
    prefix = queue_url.rsplit("/", 1)[-1].removesuffix("-PartnerDeliveriesQueue")  # as create_queues names it
    names = {logical: f"{prefix}-{logical}" for logical in table_definitions()}
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    stream = StreamPump(dynamodb, streams, names, functions={"PartnerPostbacksFunction"}).attach()
    sqs = boto3.client("sqs", region_name="us-east-1")
    urls = {"PartnerDeliveriesQueue": queue_url}
    dead = sqs.get_queue_url(QueueName=f"{prefix}-PartnerDeliveriesDeadLetters")["QueueUrl"]
    urls["PartnerDeliveriesDeadLetters"] = dead
    return DeliveryPumps(stream, QueuePump(sqs, urls))


def forget_cached_clients() -> None:
    """What a new Lambda container starts without: clients, cached config and signing keys."""
    from goalpost.admin import console_sessions
    from goalpost.store import config_cache, dynamo, secret_store, signing_keys
    from goalpost.streams import events, outbox

    dynamo.reset_client()
    outbox.reset_client()
    events.reset_client()
    config_cache.clear()
    signing_keys.forget_keys()
    secret_store.forget()
    console_sessions.forget()


class Clock:
    """The tracker's one clock (goalpost.model.clock) held by a test: ``at`` is what every module
    reads as now; the test sets or advances it."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds
