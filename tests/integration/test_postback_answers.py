"""web.postbacks: which answer each form of /aff_lsr and /aff_goal gets before any rule runs.

The handler only calls ``postback_answer``; the forms (a=lsr, a=l, a=lc), the lenient
re-parse of a refused query, the formats and the pixel adapter's lazy import are the layer's.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import call, click, conversions, setup_network

ROOT = Path(__file__).resolve().parents[2]
POSTBACK = "PostbackFunction"


def test_the_pixel_adapter_is_imported_on_the_first_pixel_form_only() -> None:
    """Most postback containers never answer a pixel: its module stays out of their cold start."""
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', r'{ROOT}/functions/postback/app.py')\n"
        "app = importlib.util.module_from_spec(spec); spec.loader.exec_module(app)\n"
        "print('probe', 'goalpost.web.pixels' in sys.modules)\n"
        # a refused query (a repeated parameter) never reaches storage: no AWS needed
        "event = {'rawPath': '/aff_goal', 'rawQueryString': 'a=l&amount=1&amount=2', 'headers': {},\n"
        "         'requestContext': {'http': {'sourceIp': '203.0.113.9', 'method': 'GET'}}}\n"
        "answer = app.lambda_handler(event, None)\n"
        "print('probe', 'goalpost.web.pixels' in sys.modules, answer['headers']['content-type'])\n"
    )
    env = {
        "PYTHONPATH": str(ROOT / "layers" / "common"),
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "GOALPOST_SIGNING_KEYS": os.environ["GOALPOST_SIGNING_KEYS"],
        **{
            name: name.lower()
            for name in ("SESSIONS_TABLE", "CONVERSIONS_TABLE", "CONFIG_TABLE", "STATS_TABLE")
        },
    }
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    # (the outcome's log line goes to stdout too)
    assert [line for line in out.stdout.splitlines() if line.startswith("probe")] == [
        "probe False",
        "probe True image/gif",
    ]


def test_a_refused_query_still_answers_in_the_form_and_format_asked(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "2"}}])
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    repeated = f"transaction_id={tid}&amount=1&amount=2"

    pixel = call(POSTBACK, "GET", "/aff_goal", f"a=l&goal_name=sale&{repeated}")
    assert pixel["statusCode"] == 200 and pixel["headers"]["content-type"] == "image/gif"
    assert base64.b64decode(pixel["body"]).startswith(b"GIF89a")
    assert pixel["headers"]["x-goalpost-code"] == "bad_request"

    as_json = call(POSTBACK, "GET", "/aff_lsr", f"format=json&{repeated}")
    assert as_json["statusCode"] == 400 and as_json["headers"]["content-type"] == "application/json"
    assert json.loads(as_json["body"]) == {
        "success": False,
        "code": "bad_request",
        "reason": "parameter amount is repeated",
    }

    as_text = call(POSTBACK, "GET", "/aff_goal", f"goal_name=sale&{repeated}")
    assert as_text["statusCode"] == 400 and "parameter amount is repeated" in as_text["body"]
    assert not as_text["headers"]["content-type"].startswith("application/json")
    assert conversions(offer_id) == []


def test_the_action_is_read_on_aff_goal_only(aws) -> None:
    net = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Sale", "payout": {"flat": "2"}}])
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])

    unknown = call(POSTBACK, "GET", "/aff_goal", f"a=zz&goal_name=sale&transaction_id={tid}&format=json")
    assert unknown["statusCode"] == 400
    assert (
        json.loads(unknown["body"])["reason"]
        == "a must be lsr (postback), l (pixel) or lc (goal click), got 'zz'"
    )

    # /aff_lsr is always a server postback: a=l there is not a pixel (no GIF), nor refused
    default_goal = call(POSTBACK, "GET", "/aff_lsr", f"a=l&transaction_id={tid}&format=json")
    assert default_goal["headers"]["content-type"] == "application/json"
    assert json.loads(default_goal["body"])["code"] == "approved_server_postback"
    assert [c["goal_name"] for c in conversions(offer_id)] == ["conversion"]
