"""Start the whole local stack: embedded DynamoDB, tables from template.yaml, the gateway."""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from goalpost_local.dynamodb import DynamoDBProcess
from goalpost_local.template import (
    create_event_buses,
    create_queues,
    create_tables,
    function_environment,
    physical_names,
    store_signing_keys,
    stream_arns,
)


@dataclass
class LocalStack:
    gateway: Any
    dynamodb: DynamoDBProcess | None
    admin_token: str
    thread: threading.Thread
    pump: Any = None
    sign_in: Any = None
    """The console's local user pool (goalpost_local.console.ConsoleSignIn), when embedded."""

    @property
    def base_url(self) -> str:
        return str(self.gateway.base_url)

    def console_url(self, user: str = "admin") -> str:
        """The console, about to be signed in: a one-time code in the URL's fragment (what logs,
        scrollback and history keep is spent once used, and worthless after 10 minutes)."""
        if self.sign_in is None:
            return f"{self.base_url}/console"
        return f"{self.base_url}/console#signed-in={self.gateway.one_time_code(user)}"

    def stop(self) -> None:
        """Bounded (SIGTERM to exit in under 2 s): pollers told first, then servers closed."""
        pumps = [p for p in (self.pump, getattr(self.gateway, "queue_pump", None)) if p is not None]
        for pump in pumps:
            pump.signal_stop()
        self.gateway.shutdown()
        self.gateway.server_close()
        if self.dynamodb is not None:
            self.dynamodb.stop()
        for pump in pumps:
            pump.stop()


LOCAL_SERVICES = ("SQS", "SSM", "COGNITO_IDENTITY_PROVIDER", "EVENTBRIDGE")
"""What the embedded moto serves beside DynamoDB (``AWS_ENDPOINT_URL_<service>``)."""


def local_endpoints(embedded: str, dynamodb: str | None = None) -> dict[str, str]:
    """Every endpoint a local run uses: nothing but the embedded moto and, when given, your
    DynamoDB (DynamoDB Local, whose streams it serves on the same endpoint). ``AWS_ENDPOINT_URL``
    sends any other service to moto too: without ``GOALPOST_USE_AWS`` no client can reach AWS."""
    table_endpoint = dynamodb or embedded
    return {
        "AWS_ENDPOINT_URL": embedded,
        "AWS_ENDPOINT_URL_DYNAMODB": table_endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": table_endpoint,
        **{f"AWS_ENDPOINT_URL_{service}": embedded for service in LOCAL_SERVICES},
    }


def configure_aws(endpoints: dict[str, str] | None) -> None:
    """Point boto3 at the local endpoints (``None``: ``GOALPOST_USE_AWS``, AWS's own)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if endpoints:
        os.environ.update(endpoints)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")


def place_signing_keys(*, embedded: bool, use_aws: bool) -> None:
    """Where the functions find the signing keys of encrypted links.

    Local (embedded moto, with its DynamoDB or beside DynamoDB Local): in moto's SSM, as
    deployed (``GOALPOST_SIGNING_KEYS`` when set, else random keys). ``GOALPOST_USE_AWS``: your
    account's parameter, named as the template names it.
    """
    if embedded:
        import boto3

        keys = os.environ.pop("GOALPOST_SIGNING_KEYS", "") or f"local:{secrets.token_urlsafe(32)}"
        store_signing_keys(boto3.client("ssm"), keys)
    elif not use_aws:
        os.environ.pop("GOALPOST_SIGNING_KEYS_PARAMETER", None)
        os.environ.setdefault("GOALPOST_SIGNING_KEYS", f"local:{secrets.token_urlsafe(32)}")


def start(host: str = "127.0.0.1", port: int = 3000, admin_token: str | None = None) -> LocalStack:
    """Start everything in this process, in background threads; returns once serving.

    Without ``GOALPOST_USE_AWS`` every service is local: the embedded moto serves SQS, SSM,
    Cognito and EventBridge always, and DynamoDB too unless ``AWS_ENDPOINT_URL_DYNAMODB`` names another
    (DynamoDB Local). Only ``GOALPOST_USE_AWS`` lets a client reach AWS.
    """
    use_aws = bool(os.environ.get("GOALPOST_USE_AWS"))
    own_dynamodb = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    moto: DynamoDBProcess | None = None
    embedded: DynamoDBProcess | None = None
    stack_name = os.environ.get("GOALPOST_STACK", "")
    stack_endpoint = os.environ.get("AWS_ENDPOINT_URL", "") if stack_name else ""
    if stack_name:  # a stack's own resources, on the moto server that holds it
        if not stack_endpoint:
            raise SystemExit("GOALPOST_STACK needs AWS_ENDPOINT_URL: the moto server that holds the stack")
        configure_aws(local_endpoints(stack_endpoint))
    elif not use_aws:  # moto when it serves the tables too (the default): its IAM checks and stream trimming
        moto = DynamoDBProcess(host).start()
        embedded = moto if own_dynamodb is None else None
        configure_aws(local_endpoints(moto.endpoint, own_dynamodb))
        if embedded is not None:
            os.environ["GOALPOST_LOCAL_TRIM_STREAMS"] = embedded.endpoint  # only the pump reads these streams
    else:
        configure_aws(None)
    try:
        return _start_serving(host, port, admin_token, moto, embedded, stack_name, stack_endpoint)
    except BaseException:  # a failed (or interrupted) start leaves no moto process behind
        if moto is not None:
            moto.stop()
        raise


def _start_serving(
    host: str,
    port: int,
    admin_token: str | None,
    moto: DynamoDBProcess | None,
    embedded: DynamoDBProcess | None,
    stack_name: str,
    stack_endpoint: str,
) -> LocalStack:
    """Tables, queues, keys, the gateway and the event source mappings, on the endpoints set."""
    use_aws = bool(os.environ.get("GOALPOST_USE_AWS"))

    import boto3

    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    prefix = os.environ.get("GOALPOST_TABLE_PREFIX", "goalpost-local")
    deployed = None
    if stack_name:  # the stack's own resources, by physical id: nothing created here
        from goalpost_local import stack

        deployed = stack.find(boto3.client("cloudformation"), stack_name)
        table_names, queue_urls = deployed.tables(), deployed.queues()
        buses = deployed.event_buses()
    else:
        table_names = create_tables(dynamodb, prefix=prefix)
        queue_urls = create_queues(sqs, prefix=prefix)
        buses = create_event_buses(boto3.client("events"), prefix=prefix)
    parameters = deployed.parameters if deployed is not None else None
    os.environ.update(function_environment(table_names, queue_urls, parameters, buses))
    if embedded is not None or deployed is not None:  # against real AWS, IAM itself decides
        from goalpost_local import iam

        physical = physical_names(table_names, queue_urls, buses)
        iam.enforce(physical, stream_arns(dynamodb, table_names), parameters)
    if deployed is None:  # a stack's parameter is the operator's, made before the deploy
        place_signing_keys(embedded=moto is not None, use_aws=use_aws)
    os.environ.setdefault("CONFIG_CACHE_SECONDS", "2")
    # partner delivery back-off starts at 1 s locally (30 s in the cloud): same queue, quicker tries
    os.environ.setdefault("GOALPOST_DELIVERY_BACKOFF_SECONDS", "1")
    # moto ignores ClientRequestToken, so a botocore retry of a transaction that did apply
    # would look like a duplicate; under local load, wait for moto instead of retrying.
    os.environ.setdefault("GOALPOST_DYNAMODB_READ_TIMEOUT", "120")

    from goalpost.store import dynamo
    from goalpost.streams import events, outbox
    from goalpost_local.gateway import LocalGateway
    from goalpost_local.queues import QueuePump
    from goalpost_local.streams import StreamPump

    dynamo.reset_client()
    outbox.reset_client()
    events.reset_client()
    token = admin_token or os.environ.get("GOALPOST_ADMIN_TOKEN") or secrets.token_urlsafe(24)
    os.environ.setdefault("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "1")  # local partners live on 127.0.0.1
    sign_in = None
    cognito_endpoint = moto.endpoint if moto is not None else stack_endpoint
    if moto is not None:  # the console's user pool in moto's Cognito, as the template makes it
        from goalpost_local import console

        sign_in = console.create_user_pool(
            boto3.client("cognito-idp"), os.environ["AWS_DEFAULT_REGION"], prefix
        )
    elif deployed is not None:  # the stack's pool and client; console users invited into it
        from goalpost_local import console

        pool_id, client_id = deployed.user_pool()
        sign_in = console.invite_users(
            boto3.client("cognito-idp"), os.environ["AWS_DEFAULT_REGION"], pool_id, client_id
        )
    gateway = LocalGateway((host, port), token, sign_in, cognito_endpoint=cognito_endpoint)
    os.environ["GOALPOST_CONSOLE_COGNITO_ENDPOINT"] = f"{gateway.base_url}/__local/cognito" if sign_in else ""
    os.environ["GOALPOST_CONSOLE_CLIENT_ID"] = sign_in.client_id if sign_in else ""
    # The export: no Firehose format conversion locally, so its rows become Parquet files in a
    # folder, in the export bucket's layout (goalpost_local.export; make analytics reads them).
    from pathlib import Path

    from goalpost.streams import export
    from goalpost_local.analytics import DEFAULT_EXPORT_DIR
    from goalpost_local.export import ParquetFolderSink

    export.set_sink(
        ParquetFolderSink(Path(os.environ.get("GOALPOST_LOCAL_EXPORT_DIR") or DEFAULT_EXPORT_DIR))
    )
    os.environ["GOALPOST_CONSOLE_USER_POOL_ID"] = sign_in.pool_id if sign_in else ""
    pump = StreamPump(boto3.client("dynamodb"), boto3.client("dynamodbstreams"), table_names).start()
    gateway.stream_pump = pump
    gateway.queue_pump = QueuePump(sqs, queue_urls).start()
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    return LocalStack(
        gateway=gateway, dynamodb=moto, admin_token=token, thread=thread, pump=pump, sign_in=sign_in
    )
