"""Every environment variable the layer and the functions read: each named once, here, with its default.

A setting is read when called (one dictionary lookup), never cached at import: tests set
variables per test, and the local runtime sets them after the layer is imported. A function's
init names what it needs with ``require``, so a stack missing a table fails its cold start
loudly instead of its first request. No other module reads ``os.environ``
(tests/unit/test_one_environment.py). Plain NamedTuples: this sits under the hot paths.
"""

from __future__ import annotations

import os
from typing import NamedTuple


class MissingSetting(KeyError):
    """Required variables are unset (a KeyError, as ``os.environ[name]`` raises)."""


class Text(NamedTuple):
    name: str
    default: str | None = None
    """None: required (unset raises MissingSetting)."""

    def __call__(self) -> str:
        value = os.environ.get(self.name)
        if value is not None:
            return value
        if self.default is None:
            raise MissingSetting(self.name)
        return self.default


class Number(NamedTuple):
    name: str
    default: float

    def __call__(self) -> float:
        return float(os.environ.get(self.name, self.default))


class Whole(NamedTuple):
    name: str
    default: int

    def __call__(self) -> int:
        return int(os.environ.get(self.name, self.default))


class Flag(NamedTuple):
    """On when the variable is exactly ``1``."""

    name: str

    def __call__(self) -> bool:
        return os.environ.get(self.name) == "1"


Setting = Text | Number | Whole | Flag

# Tables and the queue (template.yaml's Globals, resolved by goalpost_local.template locally).
sessions_table = Text("SESSIONS_TABLE")
conversions_table = Text("CONVERSIONS_TABLE")
config_table = Text("CONFIG_TABLE")
stats_table = Text("STATS_TABLE")
secrets_table = Text("SECRETS_TABLE")
partner_deliveries_queue_url = Text("PARTNER_DELIVERIES_QUEUE_URL")
event_bus_name = Text("EVENT_BUS_NAME", "")
"""The EventBridge bus the conversions-stream consumer publishes to ("" : publish nothing)."""

# The export's Firehose streams (ExportFunction's own environment; locally a Parquet writer).
export_clicks_stream = Text("EXPORT_CLICKS_STREAM")
export_conversions_stream = Text("EXPORT_CONVERSIONS_STREAM")
export_deliveries_stream = Text("EXPORT_DELIVERIES_STREAM")

# Tuning.
config_cache_seconds = Number("CONFIG_CACHE_SECONDS", 30)
"""How long a container trusts its cached offer, goal and partner config."""
dynamodb_read_timeout = Number("GOALPOST_DYNAMODB_READ_TIMEOUT", 5)
"""Seconds the DynamoDB client waits for an answer (the local runtime on a busy machine: more)."""
delivery_deadline_seconds = Number("GOALPOST_DELIVERY_DEADLINE_SECONDS", 5)
"""Seconds one partner postback attempt may take in all."""
delivery_backoff_seconds = Whole("GOALPOST_DELIVERY_BACKOFF_SECONDS", 30)
"""A failed delivery's first wait; doubled per try."""

# Link signing: the SSM parameter's name when deployed, else the keys themselves (local, tests).
signing_keys_parameter = Text("GOALPOST_SIGNING_KEYS_PARAMETER", "")
signing_keys = Text("GOALPOST_SIGNING_KEYS", "")

# Network and security.
tracking_domain = Text("GOALPOST_TRACKING_DOMAIN", "")
"""The stack's custom domain (template parameter DomainName), for links handed to partners."""
allow_private_postbacks = Flag("GOALPOST_ALLOW_PRIVATE_POSTBACKS")
"""Partner postbacks to any port and private addresses: the local runtime's test partners only."""

# The console's sign-in form.
console_cognito_endpoint = Text("GOALPOST_CONSOLE_COGNITO_ENDPOINT", "")
console_client_id = Text("GOALPOST_CONSOLE_CLIENT_ID", "")
console_user_pool_id = Text("GOALPOST_CONSOLE_USER_POOL_ID", "")
"""The console's user pool: the admin API's console-user routes change and sign out its users."""

# Set by Lambda.
function_name = Text("AWS_LAMBDA_FUNCTION_NAME", "")

ALL: tuple[Setting, ...] = tuple(
    value for value in tuple(globals().values()) if isinstance(value, Text | Number | Whole | Flag)
)
"""Every setting above, in order."""


def require(*needed: Setting) -> None:
    """A function's init check: each needed setting is set (or has a default) and parses.

    Raises MissingSetting naming every unset one, ValueError for a number that does not parse.
    """
    missing = [setting.name for setting in needed if isinstance(setting, Text) and _unset(setting)]
    if missing:
        raise MissingSetting(f"unset environment variables: {', '.join(missing)}")
    for setting in needed:
        try:
            setting()
        except ValueError:
            raise ValueError(f"{setting.name}={os.environ.get(setting.name)!r} is not a number") from None


def _unset(setting: Text) -> bool:
    return setting.default is None and setting.name not in os.environ
