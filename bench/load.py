"""A bounded load run against the local runtime on 127.0.0.1 (clicks and postbacks mixed).

Starts ``python -m goalpost_local`` on a free port, sends N clicks and one postback per
click from a thread pool, then checks that every click has its session and every accepted
postback its conversion; meanwhile samples the resident memory of the runtime and of its
embedded DynamoDB process (their sum, peak), and at the end times how long SIGTERM takes to
stop the runtime. Bounded in count; stops by itself.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

from goalpost_local.process import spawn

TOKEN = "bench-token"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def _get(url: str, data: Any = None) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    )
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the embedded DynamoDB), in MB."""
    pids = [pid]
    try:
        pids += [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return 0.0
    total_kb = 0
    for each in pids:
        try:
            with open(f"/proc/{each}/status") as status:
                total_kb += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            continue
    return round(total_kb / 1024, 1)


def stop_seconds(pid: int, limit: float = 10.0) -> float:
    """SIGTERM, then how long until the process has exited (its children included)."""
    import os
    import signal

    started = time.perf_counter()
    os.kill(pid, signal.SIGTERM)
    while time.perf_counter() - started < limit:
        try:
            with open(f"/proc/{pid}/status") as status:
                if "\tZ" in next(line for line in status if line.startswith("State")):
                    break
        except OSError:
            break
        time.sleep(0.02)
    return round(time.perf_counter() - started, 2)


def main(clicks: int, threads: int) -> None:
    with spawn(TOKEN, {"CONFIG_CACHE_SECONDS": "30"}) as runtime:
        start_rss = tree_rss_mb(runtime.pid)
        peak = [start_rss]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                peak[0] = max(peak[0], tree_rss_mb(runtime.pid))

        threading.Thread(target=sample, daemon=True).start()
        result = run(runtime.base_url, runtime.dynamodb_endpoint, clicks, threads)
        done.set()
        result.update(
            start_rss_mb=start_rss,
            end_rss_mb=tree_rss_mb(runtime.pid),
            peak_rss_mb=max(peak[0], tree_rss_mb(runtime.pid)),
            sigterm_stop_s=stop_seconds(runtime.pid),
        )
        print(json.dumps(result))


def run(base: str, endpoint: str, clicks: int, threads: int) -> dict[str, Any]:
    adv = json.loads(_get(base + "/admin/advertisers", {"name": "A"})[2])
    partner = json.loads(_get(base + "/admin/partners", {"name": "P"})[2])
    offer = json.loads(
        _get(
            base + "/admin/offers",
            {"name": "O", "advertiser_id": adv["advertiser_id"], "offer_url": "https://shop.example/?tid={transaction_id}",
             "default_goal": {"payout": {"flat": "1"}}},
        )[2]
    )  # fmt: skip
    latencies: list[float] = []
    errors: list[str] = []
    accepted: list[str] = []
    lock = threading.Lock()

    def one(n: int) -> str | None:
        started = time.perf_counter()
        status, headers, _ = _get(
            f"{base}/aff_c?offer_id={offer['offer_id']}&aff_id={partner['partner_id']}&aff_sub=n{n}"
        )
        took = time.perf_counter() - started
        if status != 302:
            with lock:
                errors.append(f"click {status}")
                latencies.append(took)
            return None
        location = {k.lower(): v for k, v in headers.items()}["location"]
        tid = parse_qs(urlsplit(location).query)["tid"][0]
        started2 = time.perf_counter()
        status2, _, body = _get(f"{base}/aff_lsr?transaction_id={tid}&amount=10&format=json")
        took2 = time.perf_counter() - started2
        with lock:
            latencies.extend([took, took2])
            if status2 == 200 and json.loads(body)["success"]:
                accepted.append(tid)
            else:
                errors.append(f"postback {status2}")
        return tid

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        tids = [t for t in pool.map(one, range(clicks)) if t]
    elapsed = time.perf_counter() - began

    import boto3

    dynamodb = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip
    tables = dynamodb.list_tables()["TableNames"]
    sessions = next(t for t in tables if t.endswith("SessionsTable"))
    conversions = next(t for t in tables if t.endswith("ConversionsTable"))
    sessions_ok = all(
        "Item" in dynamodb.get_item(TableName=sessions, Key={"transaction_id": {"S": t}}) for t in tids
    )
    conversions_ok = all(
        "Item"
        in dynamodb.get_item(TableName=conversions, Key={"pk": {"S": f"TX#{t}"}, "sk": {"S": "CONV#0"}})
        for t in accepted
    )
    latencies.sort()
    return {
        "clicks": clicks,
        "postbacks": clicks,
        "requests": len(latencies),
        "threads": threads,
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "accepted_postbacks": len(accepted),
        "sessions_ok": sessions_ok,
        "conversions_ok": conversions_ok,
        "errors": len(errors),
    }


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
