"""The local runtime (`python -m goalpost_local`) started on a free port, driven over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from goalpost_local.process import spawn

TOKEN = "e2e-admin-token"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalRuntime:
    base_url: str
    dynamodb_endpoint: str
    logs: list[str] = field(default_factory=list)
    """What the runtime printed (its log): shown when a test needs to explain a failure."""

    def get(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET", data: Any = None
    ) -> Response:
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=headers or {}
        )
        if body is not None and not any(k.lower() == "content-type" for k in (headers or {})):
            request.add_header("content-type", "application/json")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return Response(
                    response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
                )
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def dynamodb(self) -> Any:
        """A client on the runtime's embedded DynamoDB (to age a session, or inspect items)."""
        import boto3

        return boto3.client("dynamodb", endpoint_url=self.dynamodb_endpoint, region_name="us-east-1")

    def table(self, logical_id: str) -> str:
        return next(n for n in self.dynamodb().list_tables()["TableNames"] if n.endswith(logical_id))

    def admin(
        self, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        return self.get(
            path, {"authorization": f"Bearer {TOKEN}", **(headers or {})}, method=method, data=data
        )


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the runtime's export writes its Parquet files (not the repository's .goalpost-local)."""
    return tmp_path_factory.mktemp("export")


@pytest.fixture(scope="session")
def runtime(export_dir: Path) -> Iterator[LocalRuntime]:
    # no back-off between delivery tries: the tests wait on outcomes, not on the clock
    env = {
        "GOALPOST_LOCAL_FAULTS": "1",
        "GOALPOST_DELIVERY_BACKOFF_SECONDS": "0",
        "GOALPOST_LOCAL_EXPORT_DIR": str(export_dir),
    }
    with spawn(TOKEN, env) as spawned:
        yield LocalRuntime(spawned.base_url, spawned.dynamodb_endpoint, spawned.logs)


def make_network(
    rt: LocalRuntime, offer_url: str, goals: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    adv = rt.admin("POST", "/admin/advertisers", {"name": "Acme"}).json()
    partner = rt.admin("POST", "/admin/partners", {"name": "P1"}).json()
    offer = rt.admin(
        "POST",
        "/admin/offers",
        {
            "name": "Widgets",
            "advertiser_id": adv["advertiser_id"],
            "offer_url": offer_url,
            "goals_enabled": bool(goals),
            "default_goal": {"payout": {"flat": "1.00"}, "revenue": {"flat": "1.50"}},
        },
    )
    assert offer.status == 201, offer.body
    created = []
    for goal in goals or []:
        response = rt.admin("POST", f"/admin/offers/{offer.json()['offer_id']}/goals", goal)
        assert response.status == 201, response.body
        created.append(response.json())
    return {"advertiser": adv, "partner": partner, "offer": offer.json(), "goals": created}


def click(rt: LocalRuntime, net: dict[str, Any], extra: str = "") -> str:
    """Follow a partner's tracking link; the transaction id from the offer URL's tid={transaction_id}."""
    response = rt.get(
        f"/aff_c?offer_id={net['offer']['offer_id']}&aff_id={net['partner']['partner_id']}{extra}"
    )
    assert response.status == 302, response.body
    return parse_qs(urlsplit(response.headers["location"]).query)["tid"][0]


def all_conversions(
    rt: LocalRuntime,
    offer_id: str,
    until: Callable[[list[dict[str, Any]]], bool] = bool,
    seconds: float = 20.0,
) -> list[dict[str, Any]]:
    """Every record of an offer, through the admin API's cursor pagination, once ``until``
    holds for them (by default: once there is one), or as they are after ``seconds`` (the
    test's own assertions then say what differs). The list reads the report projection, which
    the stats function keeps from the conversions stream: locally, as in the cloud, up to the
    event source's 5-second batching window after a postback."""
    deadline = time.monotonic() + seconds
    while True:
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            page = rt.admin("GET", f"/admin/offers/{offer_id}/conversions?limit=100{cursor}").json()
            items.extend(page["items"])
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        if until(items) or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def wait_for(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)
