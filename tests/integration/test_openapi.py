"""The OpenAPI document: generated from the code, committed, served, and kept in sync."""

import json
import subprocess
import sys

from goalpost_local.openapi import OPENAPI_FILE, generate
from goalpost_local.template import ROOT
from tests.helpers import ADMIN, call


def test_committed_openapi_matches_the_code() -> None:
    assert OPENAPI_FILE.read_text(encoding="utf-8") == generate(), (
        "run `make openapi` and commit docs/openapi.json"
    )


def test_openapi_is_3_1_and_documents_every_admin_route_and_error_shape() -> None:
    spec = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert spec["openapi"].startswith("3.1")
    for path in (
        "/admin/offers",
        "/admin/offers/{offer_id}/goals/{goal_id}",
        "/admin/network",
        "/partner/offers",
    ):
        assert path in spec["paths"]
    patch = spec["paths"]["/admin/offers/{offer_id}"]["patch"]
    assert any(p["name"] == "if-match" for p in patch["parameters"])
    assert spec["components"]["schemas"]["OfferPatch"]["additionalProperties"] is False
    error_schemas = patch["responses"]["4XX"]["content"]["application/json"]["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/Error"} in error_schemas


def test_swagger_ui_and_json_are_served(aws) -> None:
    page = call(ADMIN, "GET", "/admin/swagger")
    assert page["statusCode"] == 200 and "swagger-ui" in page["body"] and "/admin/offers" in page["body"]
    served = call(ADMIN, "GET", "/admin/openapi.json")
    assert json.loads(served["body"])["paths"].keys() == json.loads(OPENAPI_FILE.read_text())["paths"].keys()


def test_tracking_functions_import_no_admin_models_nor_validating_resolver() -> None:
    probe = (
        "import importlib.util, sys\n"
        "for name in ('click', 'postback', 'pixel'):\n"
        f"    spec = importlib.util.spec_from_file_location(name, r'{ROOT}/functions/' + name + '/app.py')\n"
        "    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "bad = [m for m in sys.modules if m.startswith(('pydantic', 'goalpost.admin', 'aws_lambda_powertools'))]\n"
        "print(','.join(bad))\n"
    )
    env = {"PYTHONPATH": f"{ROOT / 'layers' / 'common'}", "AWS_DEFAULT_REGION": "us-east-1",
           "SESSIONS_TABLE": "s", "CONVERSIONS_TABLE": "c", "CONFIG_TABLE": "f", "PATH": "/usr/bin:/bin"}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
