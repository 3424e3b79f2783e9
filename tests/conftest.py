"""Shared fixtures: AWS isolation, tables from template.yaml on moto, handler loading."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Never reach a real AWS account from tests, whatever the developer's shell has.
for _name in (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_SESSION_TOKEN",
):
    os.environ.pop(_name, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
if os.environ.get("GOALPOST_LOCAL_SHIFT_DAYS"):
    # The time-shifted run (make test): this process and the local runtime it spawns live
    # GOALPOST_LOCAL_SHIFT_DAYS days from today, so a test that pins a date without setting the
    # tracker's clock, or a module that reads a second clock, fails here whatever today is.
    import goalpost_local  # noqa: F401 - starts the shift
# The deploy check (tests/deploy) works on `make build`'s output: `make deploy-check` runs it.
collect_ignore = [] if os.environ.get("GOALPOST_DEPLOY_CHECK") else ["deploy"]
os.environ["GOALPOST_SIGNING_KEYS"] = (
    "k2:test-secret-two-0123456789abcdefghijkl,k1:test-secret-one-0123456789abcdefghijkl"
)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Stops the tracker's clock at the real time of the test's start; the test moves it."""
    import time

    from goalpost.model import clock as tracker_clock
    from tests.helpers import Clock

    held = Clock(time.time())
    tracker_clock.set_source(held)
    try:
        yield held
    finally:
        tracker_clock.set_source(None)


@pytest.fixture
def export_folder(tmp_path: Any) -> Any:
    """Where the stats function's export writes its Parquet files in a test (the local sink)."""
    return tmp_path / "export"


@pytest.fixture
def aws(export_folder: Any) -> Iterator[Any]:
    """moto's in-process DynamoDB with the tables of template.yaml; yields a boto3 client.
    The export (ridden by the stats function) writes Parquet to ``export_folder``, as the local
    runtime does: there is no Firehose format conversion on moto."""
    import boto3
    from moto import mock_aws

    import goalpost_local.dynamodb  # noqa: F401 - moto as the local runtime runs it (lean transaction backups)
    from goalpost.streams import export
    from goalpost_local import iam
    from goalpost_local.export import ParquetFolderSink
    from goalpost_local.template import (
        create_event_buses,
        create_queues,
        create_tables,
        function_environment,
        physical_names,
        store_signing_keys,
        stream_arns,
    )
    from tests.helpers import forget_cached_clients, forget_stats_consumer

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        names = create_tables(client, prefix="test")
        queues = create_queues(boto3.client("sqs", region_name="us-east-1"), prefix="test")
        buses = create_event_buses(boto3.client("events", region_name="us-east-1"), prefix="test")
        # the functions read the keys from SSM, as deployed (GOALPOST_SIGNING_KEYS_PARAMETER)
        store_signing_keys(boto3.client("ssm", region_name="us-east-1"), os.environ["GOALPOST_SIGNING_KEYS"])
        # each function held to its template policies
        iam.enforce(physical_names(names, queues, buses), stream_arns(client, names))
        env = {**function_environment(names, queues, None, buses), "GOALPOST_ALLOW_PRIVATE_POSTBACKS": "1"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        forget_cached_clients()
        export.set_sink(ParquetFolderSink(export_folder))
        try:
            yield client
        finally:
            forget_stats_consumer()
            export.set_sink(None)
            iam.relax()
            forget_cached_clients()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture
def stats_consumer(aws: Any) -> Any:
    """The stats function fed from moto's streams, as the event source mapping would: ``.drain()``."""
    from tests.helpers import the_stats_consumer

    return the_stats_consumer(aws)


@pytest.fixture
def deliveries(aws: Any) -> Any:
    """Partner postbacks as they run in the cloud: the conversions stream feeds the planner,
    whose queue feeds the delivery function (``.drain()`` runs both until nothing is left)."""
    from tests.helpers import delivery_pumps

    return delivery_pumps(aws)
