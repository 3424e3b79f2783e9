"""One place for the environment: every variable the layer and the functions read is a setting of
goalpost.settings, named once with its default; no other module reads ``os.environ``. Each
function's init requires the tables (and queue) its template policies name."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from goalpost import settings
from goalpost_local.template import load_template, resources

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "layers/common/goalpost").rglob("*.py")),
    *sorted((ROOT / "functions").glob("*/app.py")),
]
THE_SETTINGS = ROOT / "layers/common/goalpost/settings.py"
ENVIRONMENT_READS = {"environ", "environb", "getenv", "getenvb"}
RESOURCE_SETTINGS = {
    "SessionsTable": settings.sessions_table,
    "ConversionsTable": settings.conversions_table,
    "ConfigTable": settings.config_table,
    "StatsTable": settings.stats_table,
    "SecretsTable": settings.secrets_table,
    "PartnerDeliveriesQueue": settings.partner_deliveries_queue_url,
}


def environment_reads(path: Path) -> list[str]:
    """``os.environ``, ``os.getenv(...)`` and ``from os import environ|getenv``, wherever they are."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_READS:
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ENVIRONMENT_READS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} from os import {alias.name}")
    return found


def test_no_module_reads_the_environment_but_the_settings() -> None:
    assert len(SOURCES) > 50  # the scan sees the layer and the functions
    reads = [read for path in SOURCES if path != THE_SETTINGS for read in environment_reads(path)]
    assert reads == []


def test_the_scan_finds_an_environment_read() -> None:
    sample = ROOT / "tests" / "unit" / "_environment_read_sample.py"
    try:
        sample.write_text(
            "import os\nfrom os import environ, getenv as g\n"
            "a = os.environ['X']\nb = os.getenv('Y')\nc = os.path.join('a')\n"
        )
        assert [r.split(" ", 1)[1] for r in environment_reads(sample)] == [
            "from os import environ",
            "from os import getenv",
            "os.environ",
            "os.getenv",
        ]
    finally:
        sample.unlink()


def test_each_variable_is_named_once() -> None:
    names = [setting.name for setting in settings.ALL]
    assert len(names) == len(set(names)) >= 17
    assert settings.sessions_table in settings.ALL and settings.function_name in settings.ALL


def test_every_variable_the_template_sets_is_a_setting() -> None:
    """A variable set for the functions that no setting names is a setting nobody reads."""
    template = load_template()
    given = set(template["Globals"]["Function"]["Environment"]["Variables"])
    for function in resources("AWS::Serverless::Function").values():
        given |= set(function["Properties"].get("Environment", {}).get("Variables", {}))
    given -= {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"}  # read by Powertools itself
    assert given <= {setting.name for setting in settings.ALL}


def test_settings_are_read_when_called_with_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONFIG_CACHE_SECONDS", raising=False)
    monkeypatch.delenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", raising=False)
    monkeypatch.delenv("GOALPOST_TRACKING_DOMAIN", raising=False)
    assert settings.config_cache_seconds() == 30.0
    assert settings.allow_private_postbacks() is False
    assert settings.tracking_domain() == ""
    monkeypatch.setenv("CONFIG_CACHE_SECONDS", "2.5")  # a test's own value, set after import
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "1")
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "7")
    assert settings.config_cache_seconds() == 2.5
    assert settings.allow_private_postbacks() is True
    assert settings.delivery_backoff_seconds() == 7
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "yes")  # only "1" turns it on
    assert settings.allow_private_postbacks() is False


def test_a_required_setting_unset_is_a_key_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETS_TABLE", raising=False)
    with pytest.raises(KeyError, match="SECRETS_TABLE"):
        settings.secrets_table()


def test_require_names_every_missing_setting_and_a_malformed_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SESSIONS_TABLE", raising=False)
    monkeypatch.delenv("STATS_TABLE", raising=False)
    monkeypatch.setenv("CONFIG_TABLE", "config")
    with pytest.raises(settings.MissingSetting, match="SESSIONS_TABLE, STATS_TABLE"):
        settings.require(settings.sessions_table, settings.config_table, settings.stats_table)
    settings.require(settings.config_table, settings.tracking_domain)  # set, or with a default
    monkeypatch.setenv("CONFIG_CACHE_SECONDS", "soon")
    with pytest.raises(ValueError, match="CONFIG_CACHE_SECONDS='soon' is not a number"):
        settings.require(settings.config_table, settings.config_cache_seconds)


def _required_in(app: Path) -> set[str]:
    """The settings a function's app.py passes to ``settings.require`` at init."""
    required: set[str] = set()
    for node in ast.walk(ast.parse(app.read_text(), str(app))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "require"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "settings"
        ):
            required |= {arg.attr for arg in node.args if isinstance(arg, ast.Attribute)}
    return required


def _named_by_policies(policies: list[Any]) -> set[str]:
    """The tables a function's own statements reach, and the deliveries queue it sends to or polls
    (a stream it is fed from is the event source mapping's, never read by name)."""
    named: set[str] = set()
    for policy in policies:
        if not isinstance(policy, dict):
            continue
        text = json.dumps(policy)
        for resource, setting in RESOURCE_SETTINGS.items():
            arn = f"{resource}.Arn" in text or f'"{resource}", "Arn"' in text  # !GetAtt, either form
            table_statement = "Statement" in policy and arn
            queue_policy = {"SQSSendMessagePolicy", "SQSPollerPolicy"} & set(policy) and resource in text
            if table_statement or (resource.endswith("Queue") and queue_policy):
                named.add(setting.name)
    return named


def test_each_function_requires_at_init_what_its_policies_name() -> None:
    checked = 0
    for function, resource in resources("AWS::Serverless::Function").items():
        app = ROOT / resource["Properties"]["CodeUri"] / "app.py"
        required = {getattr(settings, name).name for name in _required_in(app)}
        needed = _named_by_policies(resource["Properties"].get("Policies", []))
        assert required == needed, (function, sorted(required), sorted(needed))
        checked += bool(needed)
    assert checked >= 9  # every function that reaches a table or the queue
