"""Fixtures of the integration tests that race or call out: the embedded DynamoDB (moto as a
server, each request atomic, as DynamoDB's are) and partner servers that record what they got."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from goalpost_local.dynamodb import EmbeddedDynamoDB
from goalpost_local.template import create_queues, create_tables, function_environment
from tests.helpers import forget_cached_clients


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Tables and queues of template.yaml on an embedded DynamoDB of the test's own (each request
    atomic, as in DynamoDB; moto in-process is not); yields its DynamoDB client."""
    db = EmbeddedDynamoDB().start()
    for service in ("DYNAMODB", "DYNAMODB_STREAMS", "SQS", "SSM"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", db.endpoint)
    monkeypatch.delenv("GOALPOST_SIGNING_KEYS_PARAMETER", raising=False)
    client = boto3.client("dynamodb", region_name="us-east-1")
    prefix = f"race-{uuid.uuid4().hex[:8]}"  # moto's state outlives the server: fresh tables per test
    names = create_tables(client, prefix=prefix)
    queues = create_queues(boto3.client("sqs", region_name="us-east-1"), prefix=prefix)
    for key, value in function_environment(names, queues).items():
        if key != "GOALPOST_SIGNING_KEYS_PARAMETER":
            monkeypatch.setenv(key, value)
    forget_cached_clients()
    try:
        yield client
    finally:
        forget_cached_clients()
        db.stop()


class Partner(ThreadingHTTPServer):
    """A partner's server: ``ok`` answers 200, ``down`` 500, ``slow`` trickles a byte a second."""

    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.hits: list[dict[str, Any]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Partner

    def do_GET(self) -> None:
        self.server.hits.append({"path": self.path, "headers": dict(self.headers.items())})
        if self.server.mode == "slow":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(30):  # a header line a second: each read is quick, the whole is not
                time.sleep(1)
                try:
                    self.wfile.write(b"X-Slow: 1\r\n")
                    self.wfile.flush()
                except OSError:
                    return
            return
        status = 200 if self.server.mode == "ok" else 500
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def partners() -> Iterator[dict[str, Partner]]:
    servers = {mode: Partner(mode) for mode in ("ok", "down", "slow")}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers.values():
        server.shutdown()
