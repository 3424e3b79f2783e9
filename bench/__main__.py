"""`make bench`: prints a table per section and writes bench/results.json. Asserts nothing.

Sections: cold start (import time of each handler in a fresh interpreter, against the
boto3-client floor and a full-Powertools click), DynamoDB round trips and capacity units
per request path, warm CPU per request with DynamoDB stubbed at the HTTP layer, cost per
million at list prices, the dashboard on a month of stats, offer access on the click, and a
bounded load run against the local runtime on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
PYTHONPATH = f"{ROOT / 'layers' / 'common'}{os.pathsep}{ROOT}"
for _path in (str(ROOT / "layers" / "common"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench.dashboard import dashboard_bench  # noqa: E402 - after the layer is on the path
from bench.export_cost import export_cost  # noqa: E402 - after the layer is on the path
from bench.offer_access import access_bench  # noqa: E402 - after the layer is on the path

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "SESSIONS_TABLE": "bench-sessions",
    "CONVERSIONS_TABLE": "bench-conversions",
    "CONFIG_TABLE": "bench-config",
    "STATS_TABLE": "bench-stats",
    "SECRETS_TABLE": "bench-secrets",
    "PARTNER_DELIVERIES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/bench-deliveries",
    "PYTHONPATH": PYTHONPATH,
}

# --------------------------------------------------------------------------- cold start

_IMPORT_APP = """
import importlib.util, sys, time
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(time.perf_counter() - t)
"""
_FLOOR = """
import time
t = time.perf_counter()
import boto3
boto3.client("dynamodb")
print(time.perf_counter() - t)
"""


_AFTER_BOTO3 = """
import sys, time
sys.path.insert(0, {layer!r})
import boto3, logging, json
boto3.client("dynamodb")
t = time.perf_counter()
{code}
print(time.perf_counter() - t)
"""
LOGGING_CHOICES = {
    "goalpost.telemetry (chosen)": "from goalpost import telemetry",
    "stdlib logging + json (baseline)": "logging.getLogger().info('x')",
    "Powertools Logger": "from aws_lambda_powertools import Logger\nLogger(service='goalpost')",
    "Powertools Logger + Metrics": (
        "from aws_lambda_powertools import Logger, Metrics\nLogger(service='goalpost')\nMetrics(namespace='Goalpost')"
    ),
}
"""What each way of writing JSON logs and metrics adds to a cold start already paying for boto3."""


def logging_cost(runs: int = 12) -> dict[str, float]:
    """Median ms each logging choice adds to a cold start (imported after boto3, as in a handler)."""
    layer = str(ROOT / "layers" / "common")
    samples: dict[str, list[float]] = {name: [] for name in LOGGING_CHOICES}
    for _ in range(runs):
        for name, code in LOGGING_CHOICES.items():
            samples[name].append(_timed(_AFTER_BOTO3.format(layer=layer, code=code)))
    return {name: round(statistics.median(values) * 1000, 2) for name, values in samples.items()}


def _timed(code: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(BENCH_ENV)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip().splitlines()[-1])


def _compile_sources() -> None:
    """Bytecode for our modules, as `make build` ships it (boto3's comes from pip install).

    Timestamp-checked here (an edit recompiles), unlike the deployment's unchecked hashes.
    """
    for folder in ("layers/common/goalpost", "functions", "bench"):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(ROOT / folder)],
            check=True,
        )


def cold_start(runs: int = 30) -> dict[str, Any]:
    """Each target against the floor measured in the same round: the machine's drift (this VM
    moves every import by ±10 % over minutes) hits both sides of each paired ratio alike."""
    _compile_sources()
    targets = {
        name: _IMPORT_APP.format(path=str(ROOT / "functions" / name / "app.py"))
        for name in ("click", "postback", "pixel", "goals_admin")
    }
    targets["click (full Powertools stack)"] = _IMPORT_APP.format(
        path=str(ROOT / "bench" / "powertools_click.py")
    )
    samples: dict[str, list[float]] = {"floor": [], **{name: [] for name in targets}}
    for _ in range(runs):  # interleaved, so machine noise hits every target alike
        samples["floor"].append(_timed(_FLOOR))
        for name, code in targets.items():
            samples[name].append(_timed(code))

    def paired(name: str, against: str) -> list[float]:
        return [a / b for a, b in zip(samples[name], samples[against], strict=True)]

    def quartiles(values: list[float]) -> list[float]:
        q1, _, q3 = statistics.quantiles(values, n=4)
        return [round(q1, 2), round(q3, 2)]

    rows = {}
    for name, values in samples.items():
        ratios = paired(name, "floor")
        rows[name] = {
            "median_ms": round(statistics.median(values) * 1000, 1),
            "ratio_to_floor": round(statistics.median(ratios), 2),
            "ratio_quartiles": quartiles(ratios),
        }
    versus_full = paired("click", "click (full Powertools stack)")
    rows["click"]["ratio_to_full_powertools"] = round(statistics.median(versus_full), 2)
    return {"runs": runs, "rows": rows}


# --------------------------------------------------------------------------- round trips


def round_trips() -> dict[str, Any]:
    """Each request path on moto, metering DynamoDB requests, item sizes and capacity units."""
    from goalpost import telemetry

    telemetry.use_stream(open(os.devnull, "w"))  # the outcome lines are not the bench's output
    import boto3
    from moto import mock_aws

    from bench.capacity import item_size, read_units, write_units

    os.environ.update({k: v for k, v in BENCH_ENV.items() if k != "PYTHONPATH"})
    os.environ["CONFIG_CACHE_SECONDS"] = "3600"
    with mock_aws():
        from goalpost.store import config_cache, dynamo
        from goalpost_local.template import create_tables, function_environment

        raw = boto3.client("dynamodb", region_name="us-east-1")
        table_names = create_tables(raw, prefix="bench")
        os.environ.update(function_environment(table_names))
        dynamo.reset_client()
        config_cache.clear()
        from tests.helpers import call, click, setup_network

        net = setup_network(
            offer={"goals_enabled": True},
            goals=[
                {"name": "Signup", "payout": {"flat": "1"}},
                {"name": "Sale", "payout": {"percent": "20"}, "allow_multiple": True},
                {"name": "Upgrade", "payout": {"flat": "5"}, "end_point": True},
            ],
        )
        offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
        # the conversions report indexes (projection ALL): by_day_time, by_offer_pending (the
        # one-partner and one-offer reports read the report projection, written by the stats
        # function from the stream: stats_batch)
        gsi_keys = {"day_key", "pending_key"}

        calls: list[dict[str, Any]] = []

        def before(model: Any, params: dict[str, Any], **_: Any) -> None:
            calls.append({"op": model.name, "params": json.loads(json.dumps(params, default=str))})

        def after(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            calls[-1]["response"] = parsed

        events = dynamo.client().meta.events
        events.register("before-parameter-build.dynamodb", before)
        events.register("after-call.dynamodb", after)

        def units_of(entry: dict[str, Any]) -> tuple[float, float, list[int]]:
            op, params = entry["op"], entry["params"]
            rcu = wcu = 0.0
            sizes: list[int] = []

            # a write refused by its condition is still billed, but changes no index
            refused = "Error" in entry.get("response", {})

            def written(table: str, key_or_item: dict[str, Any], transactional: bool) -> float:
                schema = raw.describe_table(TableName=table)["Table"]["KeySchema"]
                key = {k["AttributeName"]: key_or_item[k["AttributeName"]] for k in schema}
                item = raw.get_item(TableName=table, Key=key).get("Item") or key_or_item
                size = item_size(item)
                sizes.append(size)
                units = write_units(size, transactional)
                if not refused:  # each index the item is in takes its own write
                    units += write_units(size) * len(gsi_keys & item.keys())
                return units

            if op == "PutItem":
                wcu += written(params["TableName"], params["Item"], False)
            elif op == "UpdateItem":
                wcu += written(params["TableName"], params["Key"], False)
            elif op == "TransactWriteItems":
                for action in params["TransactItems"]:
                    ((_kind, body),) = action.items()
                    wcu += written(body["TableName"], body.get("Item") or body["Key"], True)
            elif op == "GetItem":
                item = entry.get("response", {}).get("Item") or {}
                size = item_size(item)
                sizes.append(size)
                rcu += read_units(size, bool(params.get("ConsistentRead")))
            else:
                rcu += 0.5
            return rcu, wcu, sizes

        def measure(label: str, action: Any) -> dict[str, Any]:
            calls.clear()
            status = action()
            rcu = wcu = 0.0
            sizes: list[int] = []
            for entry in calls:
                r, w, s = units_of(entry)
                rcu, wcu = rcu + r, wcu + w
                sizes.extend(s)
            return {
                "path": label,
                "status": status,
                "requests": [c["op"] for c in calls],
                "request_count": len(calls),
                "rcu": rcu,
                "wcu": wcu,
                "item_bytes": sizes,
            }

        def pb(query: str, path: str = "/aff_lsr") -> int:
            return int(call("PostbackFunction", "GET", path, query)["statusCode"])

        # warm every cache first, as in a warm container
        warm = click(offer_id, partner_id)
        pb(f"transaction_id={warm}")
        pb(f"a=lsr&goal_name=sale&amount=5&transaction_id={warm}", "/aff_goal")

        rows = []
        state: dict[str, str] = {}

        def do_click() -> int:
            response = call(
                "ClickFunction", "GET", "/aff_c",
                f"offer_id={offer_id}&aff_id={partner_id}&aff_sub=campaign-42&source=newsletter",
            )  # fmt: skip
            state["tid"] = response["cookies"][0].split("=", 1)[1].split(";")[0]
            return int(response["statusCode"])

        rows.append(measure("click", do_click))
        tid = state["tid"]
        rows.append(
            measure("postback: new conversion (default goal)", lambda: pb(f"transaction_id={tid}&amount=20"))
        )
        rows.append(measure("postback: duplicate", lambda: pb(f"transaction_id={tid}")))
        rows.append(
            measure(
                "postback: multiple-conversion goal + unique id",
                lambda: pb(
                    f"a=lsr&goal_name=sale&amount=50&conversion_unique_id=O1&transaction_id={tid}",
                    "/aff_goal",
                ),
            )
        )
        rows.append(
            measure(
                "postback: multiple-conversion goal, no unique id",
                lambda: pb(f"a=lsr&goal_name=sale&amount=30&transaction_id={tid}", "/aff_goal"),
            )
        )
        rows.append(
            measure(
                "postback: end point (closes session)",
                lambda: pb(f"a=lsr&goal_name=upgrade&transaction_id={tid}", "/aff_goal"),
            )
        )
        rows.append(
            measure(
                "postback: refused, stored (session closed)",
                lambda: pb(f"a=lsr&goal_name=signup&transaction_id={tid}", "/aff_goal"),
            )
        )
        rows.append(measure("postback: unknown transaction", lambda: pb("transaction_id=" + "0" * 32)))
        pixel_tid = click(offer_id, partner_id)
        rows.append(
            measure(
                "pixel: new conversion (cookie)",
                lambda: int(
                    call(
                        "PixelFunction",
                        "GET",
                        "/aff_l",
                        f"offer_id={offer_id}",
                        cookies=[f"gp_o{offer_id}={pixel_tid}"],
                    )["statusCode"]
                ),
            )
        )

        # The same conversion on an offer with caps: one counter per scope and period in the
        # conversion's transaction (limits high enough never to refuse here).
        from tests.helpers import admin

        version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
        caps = [
            {"period": "day", "measure": "conversions", "limit": "1000000"},
            {"period": "month", "measure": "payout", "limit": "1000000", "partner_id": "*"},
        ]
        status, _ = admin("PATCH", f"/admin/offers/{offer_id}", {"caps": caps}, if_match=str(version))
        assert status == 200
        config_cache.clear()
        capped_tid = click(offer_id, partner_id)
        pb(f"transaction_id={click(offer_id, partner_id)}&amount=20")  # warm the offer's cache again
        rows.append(
            measure(
                "postback: new conversion, offer day + partner month caps",
                lambda: pb(f"transaction_id={capped_tid}&amount=20"),
            )
        )
        version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
        admin("PATCH", f"/admin/offers/{offer_id}", {"caps": []}, if_match=str(version))
        config_cache.clear()

        # A sale sent in another currency (EUR on the USD offer): converted at the day's rates,
        # read once per container and cache period, then from the cache.
        from tests.helpers import load_rates

        load_rates(USD="1.0500")
        pb(f"transaction_id={click(offer_id, partner_id)}&amount=20")  # warm the offer's cache again
        first_tid, cached_tid = click(offer_id, partner_id), click(offer_id, partner_id)
        rows.append(
            measure(
                "postback: a sale in another currency, rates not yet cached",
                lambda: pb(f"transaction_id={first_tid}&amount=20&currency=EUR"),
            )
        )
        rows.append(
            measure(
                "postback: a sale in another currency (rates cached)",
                lambda: pb(f"transaction_id={cached_tid}&amount=20&currency=EUR"),
            )
        )

        # The advertiser's security token, applied: each postback presents it. Warm, the
        # advertiser comes from the config cache; cold, its item is read (and sized) once.
        adv_path = f"/admin/advertisers/{net['offer']['advertiser_id']}"
        token = {"security_token": "bench-token-4f9a1c2e7d", "security_token_applied": True}
        admin("PATCH", adv_path, token, if_match=str(admin("GET", adv_path)[1]["version"]))
        config_cache.clear()
        signed = "&security_token=bench-token-4f9a1c2e7d"
        cold_tid, warm_tid = click(offer_id, partner_id), click(offer_id, partner_id)
        rows.append(
            measure(
                "postback: new conversion, advertiser token (config cache cold)",
                lambda: pb(f"transaction_id={cold_tid}&amount=20{signed}"),
            )
        )
        rows.append(
            measure(
                "postback: new conversion, advertiser token (warm)",
                lambda: pb(f"transaction_id={warm_tid}&amount=20{signed}"),
            )
        )
        untoken = {"remove_security_token": True}
        admin("PATCH", adv_path, untoken, if_match=str(admin("GET", adv_path)[1]["version"]))
        config_cache.clear()

        # Screening on (README, Traffic screening): the same click with every click rule on
        # (flag only, so each click still opens a session), then with the click rate alone.
        def screening(rules: dict[str, Any]) -> None:
            current = admin("GET", "/admin/network")[1]
            body = {
                k: v
                for k, v in current.items()
                if k not in ("version", "default_tier_id", "bot_list_version")
            }
            body["screening"] = rules
            status, _ = admin("PUT", "/admin/network", body, if_match=str(current["version"]))
            assert status == 200
            config_cache.clear()
            do_click()  # warm the caches (and load the bot list, when on) as a warm container has

        every_rule = {
            "bots": {"action": "flag"},
            "empty_user_agent": {"action": "flag"},
            "click_rate": {"action": "flag", "limit": 1000000},
            "duplicate_clicks": {"action": "flag", "limit": 3600},
        }
        screening(every_rule)
        rows.append(measure("click, screening on (bots, empty UA, click rate, duplicate)", do_click))
        off = {name: {"action": "off"} for name in every_rule}
        screening({**off, "bots": {"action": "flag"}})
        rows.append(measure("click, screening on (bots only)", do_click))
        screening({**off, "bots": {"action": "flag"}, "click_rate": every_rule["click_rate"]})
        rows.append(measure("click, screening on (bots, click rate)", do_click))
        screening(off)

        # Click caps (README, Click caps): one cap (one conditional UpdateItem), two (one
        # transaction), and a click over its cap (the failed update, then the redirected record).
        offer_path = f"/admin/offers/{offer_id}"

        def click_caps(caps: list[dict[str, Any]]) -> None:
            version = admin("GET", offer_path)[1]["version"]
            status, _ = admin("PATCH", offer_path, {"caps": caps}, if_match=str(version))
            assert status == 200
            config_cache.clear()
            do_click()  # warm the offer's cache

        day_cap = {"period": "day", "measure": "clicks", "limit": "1000000"}
        click_caps([day_cap])
        rows.append(measure("click, one click cap", do_click))
        click_caps(
            [day_cap, {"period": "month", "measure": "clicks", "limit": "1000000", "partner_id": partner_id}]
        )
        rows.append(measure("click, two click caps (offer day, partner month)", do_click))
        click_caps([{"period": "lifetime", "measure": "clicks", "limit": "1"}])  # the warm click filled it

        def capped_click() -> int:
            query = f"offer_id={offer_id}&aff_id={partner_id}&aff_sub=campaign-42&source=newsletter"
            return int(call("ClickFunction", "GET", "/aff_c", query)["statusCode"])

        rows.append(measure("click over its click cap (no fallback: 409, recorded)", capped_click))
        click_caps([])

        def new_session() -> str:
            do_click()
            return state["tid"]

        stats = stats_batch(raw, table_names, calls, new_session, pb)
        events.unregister("before-parameter-build.dynamodb", before)
        events.unregister("after-call.dynamodb", after)
    return {"rows": rows, "stats": stats}


def stats_batch(
    raw: Any, table_names: dict[str, str], calls: list[dict[str, Any]], new_session: Any, pb: Any
) -> dict[str, Any]:
    """What the stats consumer writes for a burst of tracking: per cell per batch, not per event."""
    import boto3
    from botocore.config import Config

    from goalpost_local.streams import StreamPump

    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    import tempfile

    from goalpost.streams import export
    from goalpost_local.export import ParquetFolderSink

    # the stats function runs the export too: locally into a Parquet folder (no Firehose)
    export.set_sink(ParquetFolderSink(Path(tempfile.mkdtemp(prefix="goalpost-bench-export-"))))
    pump = StreamPump(raw, streams, table_names, functions={"StatsFunction"}).attach()
    pump.drain()  # what the measured paths above wrote
    clicks, conversions = 600, 200
    for n in range(clicks):
        tid = new_session()
        if n < conversions:
            pb(f"transaction_id={tid}&amount=20")
    calls.clear()
    pump.drain()
    transactions = [c for c in calls if c["op"] == "TransactWriteItems"]
    cell_updates = sum(len(c["params"]["TransactItems"]) - 1 for c in transactions)
    events = clicks + conversions  # new sessions + new conversions
    # the report projection: each conversion's copies (its partner's, its offer's), each a
    # conditional PutItem of its own size in the stats table (no index)
    from bench.capacity import item_size, write_units

    copies = [
        c for c in calls if c["op"] == "PutItem" and c["params"]["TableName"] == table_names["StatsTable"]
    ]
    copy_sizes = [item_size(c["params"]["Item"]) for c in copies]
    copy_wcu = sum(write_units(size) for size in copy_sizes)
    return {
        "stream_records": events,
        "transactions": len(transactions),
        "cell_updates": cell_updates,
        "markers": len(transactions),
        "wcu": 2 * (cell_updates + len(transactions)),  # transactional writes cost 2 WCU per item (<1 KB)
        "requests": len(calls),
        "projection": {
            "conversions": conversions,
            "puts": len(copies),
            "item_bytes_max": max(copy_sizes, default=0),
            "wcu": copy_wcu,
            "wcu_per_conversion": round(copy_wcu / conversions, 3),
        },
    }


# --------------------------------------------------------------------------- warm CPU


def warm_cpu(iterations: int = 2000) -> dict[str, Any]:
    """CPU per request with DynamoDB answered by a stub at the HTTP layer (no network, no moto)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(BENCH_ENV)
    out = subprocess.run(
        [sys.executable, "-m", "bench.warm", str(iterations)],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# --------------------------------------------------------------------------- cost

PRICES = {
    "as_of": "AWS list prices, us-east-1, as published in 2025 (no internet here to re-check on the bench date)",
    "http_api_per_million": 1.00,
    "lambda_requests_per_million": 0.20,
    "lambda_arm64_gb_second": 0.0000133334,
    "dynamodb_on_demand_wru_per_million": 0.625,
    "dynamodb_on_demand_rru_per_million": 0.125,
    "dynamodb_storage_gb_month": 0.25,
    "cloudwatch_logs_ingest_per_gb": 0.50,
    "eventbridge_custom_events_per_million": 1.00,
}
EVENTS_PER_PUT = 10  # PutEvents entries per call (the stream consumer batches them)
PUT_EVENTS_MS = 25.0  # assumed latency of one PutEvents call, billed in the consumer's duration
MEMORY_GB = 0.5  # template Globals MemorySize 512
DYNAMODB_LATENCY_MS = {"write": 6.0, "read": 3.0, "transaction": 12.0}
ACCESS_LOG_BYTES = 260  # one API access-log line (template format)
COLD_START_SHARE = 0.01  # share of invocations that are cold (init is billed since 2025)
REPORT_OTHERS = int(os.environ.get("GOALPOST_BENCH_REPORT_OTHERS", "10000"))
"""Records of other partners on the report benchmark's day (moto writes ~150 a second here:
``GOALPOST_BENCH_REPORT_OTHERS=100000 make bench`` for the issue's 100,000, ~10 minutes)."""


def outcome_line_bytes() -> int:
    """The JSON line (with its metric) a recorded conversion writes to CloudWatch Logs."""
    from goalpost import telemetry

    event = {"routeKey": "GET /aff_lsr", "requestContext": {"requestId": "AbCdEfGhIjKlMnO="}}
    tid = "0123456789abcdef0123456789abcdef"
    line = telemetry.outcome_line(
        event, code="approved_server_postback", message=f"postback approved_server_postback: {tid}-0",
        transaction_id=tid, conversionId=f"{tid}-0", metric=telemetry.CONVERSIONS,
    )  # fmt: skip
    line["function"] = "goalpost-PostbackFunction-AbCdEfGh1234"
    return len(json.dumps(line)) + 26  # + the 26 bytes CloudWatch Logs counts per event


def cost(rt: dict[str, Any], cpu: dict[str, Any], cold: dict[str, Any]) -> dict[str, Any]:
    def per_million(
        path: dict[str, Any],
        cpu_ms: float,
        init_ms: float,
        session_bytes: int = 0,
        function_log_bytes: int = 0,
    ) -> dict[str, float]:
        latency = 0.0
        for op in path["requests"]:
            latency += DYNAMODB_LATENCY_MS[
                "transaction"
                if op == "TransactWriteItems"
                else "read"
                if op in ("GetItem", "Query")
                else "write"
            ]
        billed_ms = max(1.0, round(cpu_ms + latency))
        duration = billed_ms / 1000 * MEMORY_GB * PRICES["lambda_arm64_gb_second"] * 1e6
        init = COLD_START_SHARE * init_ms / 1000 * MEMORY_GB * PRICES["lambda_arm64_gb_second"] * 1e6
        parts = {
            "http_api": PRICES["http_api_per_million"],
            "lambda_requests": PRICES["lambda_requests_per_million"],
            "lambda_duration": duration + init,
            "dynamodb_writes": path["wcu"] * PRICES["dynamodb_on_demand_wru_per_million"],
            "dynamodb_reads": path["rcu"] * PRICES["dynamodb_on_demand_rru_per_million"],
            "dynamodb_storage": session_bytes * 1e6 / 1e9 * PRICES["dynamodb_storage_gb_month"],
            "access_logs": ACCESS_LOG_BYTES * 1e6 / 1e9 * PRICES["cloudwatch_logs_ingest_per_gb"],
            "function_logs": function_log_bytes * 1e6 / 1e9 * PRICES["cloudwatch_logs_ingest_per_gb"],
        }
        parts = {k: round(v, 4) for k, v in parts.items()}
        parts["total"] = round(sum(parts.values()), 3)
        parts["billed_ms_assumed"] = billed_ms
        return parts

    rows = {r["path"]: r for r in rt["rows"]}
    put_events_gb_s = PUT_EVENTS_MS / 1000 / EVENTS_PER_PUT * MEMORY_GB
    per_event = {
        "eventbridge_put_events": PRICES["eventbridge_custom_events_per_million"],
        "lambda_duration": round(put_events_gb_s * PRICES["lambda_arm64_gb_second"] * 1e6, 4),
    }
    per_event["total"] = round(sum(per_event.values()), 3)
    click = rows["click"]
    conv = rows["postback: new conversion (default goal)"]
    cold_rows = cold["rows"]
    # a session lives at most its lifespan (default 24 h): storage for a month is bytes x 1/30
    session_bytes = sum(click["item_bytes"]) / 30
    return {
        "prices": PRICES,
        "assumptions": {
            "memory_gb": MEMORY_GB,
            "dynamodb_latency_ms": DYNAMODB_LATENCY_MS,
            "cold_start_share": COLD_START_SHARE,
            "lambda_platform_logs": "none: SystemLogLevel WARN drops START/END/REPORT lines",
        },
        "per_million_clicks": per_million(
            click, cpu["click"]["median_ms"], cold_rows["click"]["median_ms"], int(session_bytes)
        ),
        "per_million_clicks_screened": per_million(
            rows["click, screening on (bots, empty UA, click rate, duplicate)"],
            cpu["click"]["median_ms"],
            cold_rows["click"]["median_ms"],
            int(session_bytes),
        ),
        "per_million_clicks_one_click_cap": per_million(
            rows["click, one click cap"],
            cpu["click"]["median_ms"],
            cold_rows["click"]["median_ms"],
            int(session_bytes),
        ),
        "per_million_clicks_two_click_caps": per_million(
            rows["click, two click caps (offer day, partner month)"],
            cpu["click"]["median_ms"],
            cold_rows["click"]["median_ms"],
            int(session_bytes),
        ),
        "per_million_conversions_with_caps": per_million(
            rows["postback: new conversion, offer day + partner month caps"],
            cpu["postback"]["median_ms"],
            cold_rows["postback"]["median_ms"],
            function_log_bytes=outcome_line_bytes(),
        ),
        "per_million_conversions": per_million(
            conv,
            cpu["postback"]["median_ms"],
            cold_rows["postback"]["median_ms"],
            function_log_bytes=outcome_line_bytes(),
        ),
        # EventBridge: published from the conversions stream's consumer (already invoked per
        # batch), ten entries per PutEvents call; a conversion approved at once is two events
        # (created, approved), a pending one one. Routing them (rules, targets) is the network's.
        "per_million_events": per_event,
        # the report projection (one-partner and one-offer reports), off the hot path: the
        # stats function's conditional puts, WORKERS at a time in an invocation it makes anyway
        "per_million_conversions_report_projection": projection_cost(rt["stats"]["projection"]),
        "events_per_million_conversions_approved_at_once": round(2 * per_event["total"], 3),
    }


def projection_cost(projection: dict[str, Any]) -> dict[str, float]:
    from goalpost.streams.report_projection import WORKERS

    per_conversion = projection["wcu_per_conversion"]
    puts = projection["puts"] / projection["conversions"]
    billed_s = puts * DYNAMODB_LATENCY_MS["write"] / 1000 / WORKERS
    parts = {
        "dynamodb_writes": per_conversion * PRICES["dynamodb_on_demand_wru_per_million"],
        "lambda_duration": billed_s * MEMORY_GB * PRICES["lambda_arm64_gb_second"] * 1e6,
    }
    parts = {k: round(v, 4) for k, v in parts.items()}
    parts["total"] = round(sum(parts.values()), 3)
    return parts


# --------------------------------------------------------------------------- load


def load(clicks: int = 10_000, threads: int = 8) -> dict[str, Any]:
    """20,000 requests (a click and its postback each) from 8 threads: throughput and memory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = PYTHONPATH
    out = subprocess.run(
        [sys.executable, "-m", "bench.load", str(clicks), str(threads)],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- report


def main() -> None:
    started = time.time()
    print("Goalpost bench (asserts nothing; figures vary with the machine)\n")
    cold = cold_start()
    print("Cold start: import of functions/<name>/app.py in a fresh interpreter, median of", cold["runs"])
    print("  (x floor: median of each run's ratio to the floor measured beside it, and its quartiles)")
    print(f"  {'target':34} {'ms':>8} {'x floor':>8}   quartiles")
    for name, row in cold["rows"].items():
        label = "import boto3 + client (floor)" if name == "floor" else name
        q1, q3 = row["ratio_quartiles"]
        print(f"  {label:34} {row['median_ms']:>8} {row['ratio_to_floor']:>8}   {q1:.2f}-{q3:.2f}")
    print(f"  click / full Powertools click: {cold['rows']['click']['ratio_to_full_powertools']}\n")
    logs = logging_cost()
    print("Logging choice: ms added to a cold start that already imported boto3 (median of 12)")
    for name, ms in logs.items():
        print(f"  {name:34} {ms:>8}")
    print()

    rt = round_trips()
    print("DynamoDB per request (capacity units by DynamoDB's sizing rules)")
    print(f"  {'path':50} {'requests':>8} {'RCU':>5} {'WCU':>5}  items (bytes)  operations")
    for row in rt["rows"]:
        print(
            f"  {row['path']:50} {row['request_count']:>8} {row['rcu']:>5} {row['wcu']:>5}  "
            f"{row['item_bytes']!s:13}  {' + '.join(row['requests'])}"
        )
    st = rt["stats"]
    print(
        f"  stats consumer: {st['stream_records']} tracked events -> {st['transactions']} transaction(s), "
        f"{st['cell_updates']} cell updates + {st['markers']} marker(s), {st['wcu']} WCU in all"
    )
    pr = st["projection"]
    print(
        f"  report projection: {pr['conversions']} conversions -> {pr['puts']} conditional puts "
        f"(largest {pr['item_bytes_max']} bytes), {pr['wcu']} WCU: {pr['wcu_per_conversion']} a conversion"
    )
    print()

    cpu = warm_cpu()
    print("Warm CPU per request (DynamoDB stubbed at the HTTP layer)")
    for name, row in cpu.items():
        print(f"  {name:34} median {row['median_ms']:.3f} ms   p99 {row['p99_ms']:.3f} ms")
    print(
        f"  click / minimal hand-written PutItem handler: {cpu['click']['median_ms'] / cpu['minimal click']['median_ms']:.2f}\n"
    )

    money = cost(rt, cpu, cold)
    print(f"Cost per million ({money['prices']['as_of']})")
    for label in (
        "per_million_clicks",
        "per_million_clicks_screened",
        "per_million_clicks_one_click_cap",
        "per_million_clicks_two_click_caps",
        "per_million_conversions",
        "per_million_conversions_with_caps",
        "per_million_conversions_report_projection",
        "per_million_events",
    ):
        parts = money[label]
        detail = ", ".join(f"{k} {v}" for k, v in parts.items() if k not in ("total", "billed_ms_assumed"))
        print(f"  {label:24} ${parts['total']:.3f}  ({detail})")
    print(
        "  events of a million conversions approved at once (created + approved): "
        f"${money['events_per_million_conversions_approved_at_once']:.3f}\n"
    )

    from bench.reports import report_reads

    reads = report_reads(REPORT_OTHERS)
    print(
        f"Report reads: one page ({reads['limit']}) of each report, items read (DynamoDB ScannedCount), "
        f"{reads['shards']} shards, {reads['mine']} records of partner 1 on offer 1"
    )
    print(f"  {'report':12} {'alone':>18} {'+' + format(reads['others'], ',') + ' others':>22}")
    for name in reads["alone"]:
        a, w = reads["alone"][name], reads["with_others"][name]
        print(
            f"  {name:12} {a['items_read']:>6} read / {a['queries']:>2} q   {w['items_read']:>8} read / {w['queries']:>2} q"
        )
    print(
        f"  one partner before the report keys were sharded and narrowed: every record of the day, "
        f"{reads['before_sharding_one_partner_items_read']:,} read\n"
    )

    export = export_cost()
    print(
        f"The export per million events ({export['prices']['as_of']}; Firehose bills records in 5 KB steps)"
    )
    for label in ("per_million_clicks", "per_million_conversions"):
        parts = export[label]
        print(
            f"  {label:24} ${parts['total']:.3f}  (Firehose ingest {parts['firehose_ingest']} + conversion "
            f"{parts['firehose_format_conversion']}, Lambda {parts['lambda_requests'] + parts['lambda_duration']:.4f}, "
            f"S3 a month {parts['s3_storage_month']}); {parts['json_bytes_per_event']} JSON bytes an event, "
            f"{parts['events_per_firehose_record']} events a record, {parts['parquet_bytes_per_event']} Parquet bytes; "
            f"one event a record: ${parts['without_packing_firehose']}"
        )
    print()

    board = dashboard_bench()
    print(
        f"Dashboard (/admin/dashboard) on a month of stats ({board['network']}: {board['cells_in_table']} cells, "
        f"rollups read: {board['items_read_utc']} in UTC, {board['items_read_tokyo']} in Asia/Tokyo): median "
        f"{board['median_ms']} ms, slowest {board['max_ms']} ms of {board['runs']} in UTC; in Asia/Tokyo median "
        f"{board['tokyo_median_ms']} ms, slowest {board['tokyo_max_ms']} ms (in-process on moto; seeded in "
        f"{board['seed_seconds']} s)"
    )
    print()

    access = access_bench()
    print("Offer access on the click (DynamoDB requests; the offer bundle's Query in read units)")
    for label, row in access["clicks"].items():
        print(
            f"  {label:44} {row['status']}  {' + '.join(row['requests']):32} bundle {row['bundle_rcu']} RCU"
        )
    piled = ", ".join(
        f"{n} items: {row['bundle_bytes']:,} B, {row['bundle_rcu']} RCU"
        for n, row in access["bundle_with_access_items"].items()
    )
    print(f"  access items in the offer's partition ({access['access_item_bytes']} B each): {piled}")
    print()

    run = load()
    print(
        f"Load on the local runtime: {run['requests']} requests ({run['clicks']} clicks + {run['postbacks']} postbacks), "
        f"{run['threads']} threads, {run['throughput_rps']} req/s, "
        f"p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms, p99 {run['p99_ms']} ms"
    )
    print(
        f"  sessions stored for every click: {run['sessions_ok']}; conversion stored for every accepted postback: "
        f"{run['conversions_ok']}; errors: {run['errors']}"
    )
    print(
        f"  memory (runtime + embedded DynamoDB): {run['start_rss_mb']} MB at start, peak {run['peak_rss_mb']} MB, "
        f"{run['end_rss_mb']} MB at the end; SIGTERM stopped it in {run['sigterm_stop_s']} s"
    )

    RESULTS.write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "date": time.strftime("%Y-%m-%d", time.gmtime(started)),
                "cold_start": cold,
                "logging_cold_start_ms": logs,
                "round_trips": rt,
                "warm_cpu": cpu,
                "cost": money,
                "export_cost": export,
                "report_reads": reads,
                "dashboard": board,
                "offer_access": access,
                "load": run,
            },
            indent=2,
            default=str,
        )
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
