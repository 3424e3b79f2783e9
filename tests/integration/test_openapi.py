"""The OpenAPI document: generated from the code, committed, served, and kept in sync."""

import json
import subprocess
import sys

from goalpost.model.audit import Audit
from goalpost.store import config_cache, config_store, dynamo
from goalpost_local.openapi import OPENAPI_FILE, generate
from goalpost_local.template import ROOT
from tests.helpers import ADMIN, call


def test_committed_openapi_matches_the_code() -> None:
    assert OPENAPI_FILE.read_text(encoding="utf-8") == generate(), (
        "run `make openapi` and commit docs/openapi.json"
    )


def test_generating_the_document_keeps_no_client_for_the_next_test() -> None:
    """Its cold start of the admin function made a DynamoDB client outside any moto: kept, it
    sent every later test of the process to the real endpoint (the order bug of stop 23)."""
    generate()
    assert dynamo._CLIENT is None


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
    if_match = next(p for p in patch["parameters"] if p["name"] == "if-match")
    assert if_match["required"] is True  # as the API behaves: without it, 428
    assert spec["components"]["schemas"]["OfferPatch"]["additionalProperties"] is False
    refused = patch["responses"]["428"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/Refusal"}
    assert {"$ref": "#/components/schemas/ApiErrorOut"} in spec["components"]["schemas"]["Refusal"]["anyOf"]


def test_every_operation_declares_the_schema_of_its_answer() -> None:
    spec = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 47
    for path, method, op in operations:
        success = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert len(success) == 1, (method, path)
        ((code, answer),) = success.items()
        if code != "204":
            assert answer["content"]["application/json"]["schema"], (method, path)
        assert op["security"], (method, path)


def test_creates_are_documented_as_they_answer_201() -> None:
    spec = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    for path in ("/admin/offers", "/admin/advertisers", "/admin/partners", "/admin/offers/{offer_id}/goals"):
        assert set(spec["paths"][path]["post"]["responses"]) & {"200", "201"} == {"201"}, path


def test_an_update_without_if_match_is_428(aws) -> None:
    missing = call(ADMIN, "PUT", "/admin/network", body={"currency": "EUR"})
    assert missing["statusCode"] == 428
    assert json.loads(missing["body"])["error"]["code"] == "if_match_required"


def test_reads_keep_the_config_cache_and_changes_clear_it(aws) -> None:
    assert config_cache.network().currency == "USD"  # cached now
    put = call(ADMIN, "PUT", "/admin/network", body={"currency": "EUR"}, if_match='"0"')
    assert put["statusCode"] == 200, put["body"]
    assert config_cache.network().currency == "EUR"  # the change cleared it
    other = {**json.loads(put["body"]), "currency": "GBP"}
    config_store.save_entity(
        "network", "settings", {k: v for k, v in other.items() if k != "version"},
        audit=Audit("test", "t", "update", None, None), expected_version=other["version"],
    )  # fmt: skip
    assert call(ADMIN, "GET", "/admin/offers")["statusCode"] == 200
    assert config_cache.network().currency == "EUR"  # a read left the cache as it was


def test_swagger_ui_and_json_are_served(aws) -> None:
    page = call(ADMIN, "GET", "/admin/swagger")
    assert page["statusCode"] == 200 and "swagger-ui" in page["body"] and "/admin/offers" in page["body"]
    served = call(ADMIN, "GET", "/admin/swagger", "format=json")
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
           "SESSIONS_TABLE": "s", "CONVERSIONS_TABLE": "c", "CONFIG_TABLE": "f", "STATS_TABLE": "t",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
