"""The local runtime itself: local endpoints only, a bounded stop, a server's backlog, clear answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import urllib.request
from collections import Counter
from typing import Any

import pytest

from goalpost_local.dynamodb import DynamoDBProcess
from goalpost_local.process import spawn
from tests.e2e.conftest import LocalRuntime

TOKEN = "local-runtime-token"


def _raw_post(base_url: str, path: str, body: bytes, headers: str = "", timeout: float = 10) -> bytes:
    """One request on its own connection; the whole answer (b"" when the server closed without one)."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n{headers}"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"operation": "PutItem", "mode": "explode"}'])
def test_a_malformed_fault_answers_400_with_the_reason(runtime: LocalRuntime, body: bytes) -> None:
    answer = _raw_post(runtime.base_url, "/__local/faults", body)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["message"]


def test_a_burst_of_192_concurrent_admin_posts_is_answered_in_full(runtime: LocalRuntime) -> None:
    """The listen backlog is a server's: with socketserver's 5, 133 of these 192 connections
    were never accepted (SYNs dropped: timeouts; resets where the kernel aborts on overflow)."""
    from tests.e2e.conftest import TOKEN as ADMIN_TOKEN

    count = 192
    start = threading.Barrier(count)
    outcomes: list[str] = []

    def post(n: int) -> None:
        start.wait(timeout=30)
        try:
            body = json.dumps({"name": f"Burst {n}"}).encode()
            auth = f"authorization: Bearer {ADMIN_TOKEN}\r\n"
            answer = _raw_post(runtime.base_url, "/admin/advertisers", body, auth, timeout=15)
            outcomes.append(answer.split(b" ", 2)[1].decode() if answer else "closed")
        except OSError as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(outcomes) == {"201": count}


def _alive(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == 0
    except ChildProcessError:
        return False


def test_with_dynamodb_local_nothing_reaches_aws_and_a_stop_is_bounded(tmp_path: Any) -> None:
    """``AWS_ENDPOINT_URL_DYNAMODB`` (DynamoDB Local; here a second moto) takes the tables and
    their streams; queues, keys and the user pool stay on the embedded moto (before, the
    queues went to sqs.us-east-1.amazonaws.com). Then that endpoint hangs with requests in
    flight, and SIGTERM still stops the runtime within its bound (5 s)."""
    dynamodb_local = DynamoDBProcess().start()
    try:
        with spawn(TOKEN, {"AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local.endpoint}) as spawned:
            logs = "".join(spawned.logs)
            assert f"DynamoDB: {dynamodb_local.endpoint}" in logs
            others = next(line for line in spawned.logs if "SQS, SSM, Cognito:" in line).split(": ", 1)[1]
            assert others.strip().startswith("http://127.0.0.1:") and dynamodb_local.endpoint not in others
            rt = LocalRuntime(spawned.base_url, dynamodb_local.endpoint, spawned.logs)
            tables = rt.dynamodb().list_tables()["TableNames"]
            assert any(name.endswith("SessionsTable") for name in tables), tables
            headers = {"authorization": f"Bearer {TOKEN}"}
            created = rt.get("/admin/advertisers", headers, method="POST", data={"name": "Acme"})
            assert created.status == 201, created.body

            os.kill(dynamodb_local.pid, signal.SIGSTOP)  # the endpoint stops answering
            cut_short: list[str] = []
            for n in range(8):  # requests now waiting on it
                url = f"{spawned.base_url}/aff_c?offer_id={n + 1}&aff_id=1"
                threading.Thread(target=_waiting, args=(url, cut_short), daemon=True).start()
            time.sleep(2)
            asked = time.monotonic()
            os.kill(spawned.pid, signal.SIGTERM)
            while _alive(spawned.pid) and time.monotonic() - asked < 30:
                time.sleep(0.05)
            took = time.monotonic() - asked
            assert took < 7, f"SIGTERM took {took:.1f} s"
            time.sleep(0.5)
            assert len(cut_short) == 8  # none was answered: each waited on the hung endpoint
    finally:
        os.kill(dynamodb_local.pid, signal.SIGCONT)
        dynamodb_local.stop()


def _waiting(url: str, cut_short: list[str]) -> None:
    """A click waiting on the hung DynamoDB; the runtime's stop cuts it short (no answer)."""
    try:
        urllib.request.urlopen(url, timeout=60).read()
    except OSError as error:
        cut_short.append(type(error).__name__)
