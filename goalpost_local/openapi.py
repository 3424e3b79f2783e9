"""`make openapi`: write the admin API's OpenAPI document to docs/openapi.json.

A test regenerates it and fails when the committed file is out of date.
"""

import json
import os

from goalpost_local.template import ROOT, routes

OPENAPI_FILE = ROOT / "docs" / "openapi.json"


def generate() -> str:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("SESSIONS_TABLE", "CONVERSIONS_TABLE", "CONFIG_TABLE", "STATS_TABLE", "SECRETS_TABLE"):
        os.environ.setdefault(name, "unused")
    from goalpost_local.gateway import function_module

    route = next(r for r in routes() if r.function == "GoalsAdminFunction")
    module = function_module(route.code_uri, route.handler, route.function)
    from goalpost.admin.openapi import openapi_json

    return json.dumps(json.loads(openapi_json(module.app)), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    OPENAPI_FILE.write_text(generate(), encoding="utf-8")
    print(f"wrote {OPENAPI_FILE.relative_to(ROOT)}")
