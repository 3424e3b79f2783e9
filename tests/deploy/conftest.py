"""The deploy check's stack: `sam build`'s output packaged to moto's S3, translated by the SAM
translator, and created by moto's CloudFormation (server mode), once per run.

Run by `make deploy-check` (part of `make test`), after `make build`; the rest of the suite
never collects this folder (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from goalpost_local.template import ROOT

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
BUILT = ROOT / ".aws-sam" / "build" / "template.yaml"
STACK = "goalpost-ci"
BUCKET = "goalpost-ci-artifacts"
# As README, Deploying, has the operator do it before the first deploy.
SIGNING_KEYS_PARAMETER = "/goalpost-ci/signing-keys"
SIGNING_KEYS = "ci1:deploy-check-secret-0123456789abcdefghij"
PARAMETERS = {"SigningKeysParameter": SIGNING_KEYS_PARAMETER, "DeletionProtection": "false"}
CUSTOM_DOMAIN = {
    **PARAMETERS,
    "DomainName": "track.example.net",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
    "HostedZoneId": "Z0000000000000000000",
}


def translate(template: Path, parameters: dict[str, str]) -> dict[str, Any]:
    """The SAM translator on a template (tests/deploy/translate.py, in the SAM CLI's venv)."""
    pairs = [f"{k}={v}" for k, v in parameters.items()]
    done = subprocess.run(
        [str(SAM_PYTHON), str(Path(__file__).with_name("translate.py")), str(template), *pairs],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_ENDPOINT_URL": ""},
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"the SAM translator refused {template.name} with {parameters}:\n{done.stderr}")
    translated: dict[str, Any] = json.loads(done.stdout)
    return translated


@dataclass
class Deployment:
    endpoint: str
    packaged: Path
    translated: dict[str, Any]
    """The packaged template translated with the stack's parameters (what the stack holds)."""
    stack: dict[str, Any] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")


def _create_stack(deployment: Deployment) -> None:
    cloudformation = deployment.client("cloudformation")
    cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(deployment.translated),
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
    )
    deadline = time.monotonic() + 120
    while True:
        stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    deployment.stack = stack
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=STACK)
    deployment.resources = [r for page in pages for r in page["StackResourceSummaries"]]


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    from goalpost_local.dynamodb import DynamoDBProcess

    if not BUILT.exists():
        pytest.fail("no .aws-sam/build: run `make deploy-check` (it runs `make build` first)")
    server = DynamoDBProcess().start()  # moto in server mode, every service (the local runtime's own)
    try:
        workdir = tmp_path_factory.mktemp("deploy")
        packaged = workdir / "packaged.yaml"
        import boto3

        boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        done = subprocess.run(
            [
                str(SAM), "package", "--template-file", str(BUILT), "--s3-bucket", BUCKET,
                "--s3-prefix", STACK, "--output-template-file", str(packaged), "--region", "us-east-1",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "AWS_ENDPOINT_URL": server.endpoint, "SAM_CLI_TELEMETRY": "0"},
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        deployment = Deployment(server.endpoint, packaged, translate(packaged, PARAMETERS))
        deployment.client("ssm").put_parameter(
            Name=SIGNING_KEYS_PARAMETER, Value=SIGNING_KEYS, Type="SecureString", Overwrite=True
        )
        _create_stack(deployment)
        yield deployment
    finally:
        server.stop()
