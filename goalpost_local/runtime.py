"""Start the whole local stack: embedded DynamoDB, tables from template.yaml, the gateway."""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from goalpost_local.dynamodb import DynamoDBProcess
from goalpost_local.template import (
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


def configure_aws(endpoint: str | None) -> None:
    """Point boto3 at the embedded DynamoDB unless the user chose another endpoint."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        os.environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = endpoint
        os.environ["AWS_ENDPOINT_URL_SQS"] = endpoint
        os.environ["AWS_ENDPOINT_URL_SSM"] = endpoint
        os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")


def place_signing_keys(*, embedded: bool, use_aws: bool) -> None:
    """Where the functions find the signing keys of encrypted links.

    Embedded: in its SSM, as deployed (``GOALPOST_SIGNING_KEYS`` when set, else random keys).
    ``GOALPOST_USE_AWS``: your account's parameter, named as the template names it. Another
    DynamoDB endpoint (DynamoDB Local) has no SSM beside it: the keys come from the environment.
    """
    if embedded:
        import boto3

        keys = os.environ.pop("GOALPOST_SIGNING_KEYS", "") or f"local:{secrets.token_urlsafe(32)}"
        store_signing_keys(boto3.client("ssm"), keys)
    elif not use_aws:
        os.environ.pop("GOALPOST_SIGNING_KEYS_PARAMETER", None)
        os.environ.setdefault("GOALPOST_SIGNING_KEYS", f"local:{secrets.token_urlsafe(32)}")


def start(host: str = "127.0.0.1", port: int = 3000, admin_token: str | None = None) -> LocalStack:
    """Start everything in this process, in background threads; returns once serving."""
    embedded: DynamoDBProcess | None = None
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") and not os.environ.get("GOALPOST_USE_AWS"):
        embedded = DynamoDBProcess(host).start()
        configure_aws(embedded.endpoint)
        os.environ["GOALPOST_LOCAL_TRIM_STREAMS"] = embedded.endpoint  # only the pump reads these streams
    else:
        configure_aws(None)

    import boto3

    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    prefix = os.environ.get("GOALPOST_TABLE_PREFIX", "goalpost-local")
    table_names = create_tables(dynamodb, prefix=prefix)
    queue_urls = create_queues(sqs, prefix=prefix)
    os.environ.update(function_environment(table_names, queue_urls))
    if embedded is not None:  # against real AWS, IAM itself decides
        from goalpost_local import iam

        iam.enforce(physical_names(table_names, queue_urls), stream_arns(dynamodb, table_names))
    place_signing_keys(embedded=embedded is not None, use_aws=bool(os.environ.get("GOALPOST_USE_AWS")))
    os.environ.setdefault("CONFIG_CACHE_SECONDS", "2")
    # partner delivery back-off starts at 1 s locally (30 s in the cloud): same queue, quicker tries
    os.environ.setdefault("GOALPOST_DELIVERY_BACKOFF_SECONDS", "1")
    # moto ignores ClientRequestToken, so a botocore retry of a transaction that did apply
    # would look like a duplicate; under local load, wait for moto instead of retrying.
    os.environ.setdefault("GOALPOST_DYNAMODB_READ_TIMEOUT", "120")

    from goalpost.store import dynamo
    from goalpost.streams import outbox
    from goalpost_local.gateway import LocalGateway
    from goalpost_local.queues import QueuePump
    from goalpost_local.streams import StreamPump

    dynamo.reset_client()
    outbox.reset_client()
    token = admin_token or os.environ.get("GOALPOST_ADMIN_TOKEN") or secrets.token_urlsafe(24)
    os.environ.setdefault("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "1")  # local partners live on 127.0.0.1
    sign_in = None
    if embedded is not None:  # the console's user pool in moto's Cognito, as the template makes it
        from goalpost_local import console

        sign_in = console.create_user_pool(
            boto3.client("cognito-idp"), os.environ["AWS_DEFAULT_REGION"], prefix
        )
    gateway = LocalGateway(
        (host, port), token, sign_in, cognito_endpoint=embedded.endpoint if embedded is not None else ""
    )
    os.environ["GOALPOST_CONSOLE_COGNITO_ENDPOINT"] = f"{gateway.base_url}/__local/cognito" if sign_in else ""
    os.environ["GOALPOST_CONSOLE_CLIENT_ID"] = sign_in.client_id if sign_in else ""
    pump = StreamPump(boto3.client("dynamodb"), boto3.client("dynamodbstreams"), table_names).start()
    gateway.stream_pump = pump
    gateway.queue_pump = QueuePump(sqs, queue_urls).start()
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    return LocalStack(
        gateway=gateway, dynamodb=embedded, admin_token=token, thread=thread, pump=pump, sign_in=sign_in
    )
