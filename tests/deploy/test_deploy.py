"""The deploy check: what `sam deploy` does to the template, without an AWS account.

The SAM translator (CloudFormation runs the same one on a change set) takes the template for
the default parameters and a custom domain; every JSON held in a string parses; moto's
CloudFormation creates the translated stack from artifacts in its S3; and the local runtime,
given only the stack's name, serves a click -> postback -> report -> partner delivery on the
stack's own tables, queues, parameter and user pool.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from goalpost_local.template import ROOT, load_template
from tests.deploy.conftest import CUSTOM_DOMAIN, PARAMETERS, SAM, STACK, Deployment, translate

# Resource types moto's CloudFormation does not create (it skips them). Each one is a decision:
# a new type the template gains fails the check until it is created or listed here, with why.
UNMODELLED = {
    "AWS::ApiGatewayV2::Api": "moto does not model HTTP APIs in CloudFormation; the local gateway "
    "serves the template's routes and authorizers (goalpost_local/gateway.py)",
    "AWS::ApiGatewayV2::Stage": "moto does not model HTTP APIs (the $default stage of the API above)",
    "AWS::ApiGatewayV2::DomainName": "moto does not model HTTP API custom domains",
    "AWS::ApiGatewayV2::ApiMapping": "moto does not model HTTP API custom domains",
    "AWS::CloudWatch::Alarm": "moto does not model alarms in CloudFormation; their shape is checked "
    "here on the translated template (metric limit, one per function, topic)",
    "AWS::SNS::TopicPolicy": "moto does not model SNS topic policies in CloudFormation",
}


def _holds(condition: Any, conditions: dict[str, Any], parameters: dict[str, str]) -> bool:
    if isinstance(condition, str):
        return _holds(conditions[condition], conditions, parameters)
    ((kind, args),) = condition.items()
    if kind == "Condition":
        return _holds(str(args), conditions, parameters)
    if kind == "Fn::Not":
        return not _holds(args[0], conditions, parameters)
    if kind == "Fn::And":
        return all(_holds(a, conditions, parameters) for a in args)
    if kind == "Fn::Or":
        return any(_holds(a, conditions, parameters) for a in args)
    if kind == "Fn::Equals":
        left, right = (parameters[a["Ref"]] if isinstance(a, dict) else str(a) for a in args)
        return left == right
    raise AssertionError(f"condition {kind} not understood by the deploy check")


def _deployed_resources(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
    """Logical id -> type of the resources CloudFormation creates for these parameters."""
    given = {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}
    given.update(parameters)
    conditions = template.get("Conditions", {})
    return {
        name: resource["Type"]
        for name, resource in template["Resources"].items()
        if "Condition" not in resource or _holds(resource["Condition"], conditions, given)
    }


def _references(node: Any) -> Iterator[str]:
    """Every logical id or parameter a Ref, GetAtt or Sub names."""
    if isinstance(node, list):
        for item in node:
            yield from _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield str(value)
            elif key == "Fn::GetAtt":
                yield str(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                for name in re.findall(r"\$\{([^}!]+)\}", text):
                    if name.split(".")[0] not in variables:
                        yield name.split(".")[0]
                yield from _references(variables)
            else:
                yield from _references(value)


def test_the_template_alone_in_an_empty_folder_is_valid_for_sam_validate(tmp_path) -> None:
    """The Done-when of issue 25, as a person would try it (no samconfig.toml, no --lint)."""
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    done = subprocess.run(
        [str(SAM), "validate", "--template", "template.yaml", "--region", "us-east-1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "is a valid SAM Template" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("parameters", [PARAMETERS, CUSTOM_DOMAIN], ids=["default", "custom-domain"])
def test_the_translator_takes_the_template_and_every_reference_resolves(
    deployment: Deployment, parameters: dict[str, str]
) -> None:
    translated = translate(deployment.packaged, parameters)
    deployed = _deployed_resources(translated, parameters)
    known = set(deployed) | set(translated["Parameters"])
    dangling = {
        (name, ref)
        for name in deployed
        for ref in _references(translated["Resources"][name])
        if ref not in known and not ref.startswith("AWS::")
    }
    assert not dangling, f"references to resources the stack does not have: {sorted(dangling)}"
    domain = {"TrackingDomain", "TrackingDomainMapping", "TrackingDomainRecord"}
    if parameters is CUSTOM_DOMAIN:
        assert domain <= set(deployed)
        mapping = translated["Resources"]["TrackingDomainMapping"]["Properties"]
        assert deployed[mapping["Stage"]["Ref"]] == "AWS::ApiGatewayV2::Stage"
        assert mapping["ApiId"] == {"Ref": "TrackingApi"}
    else:
        assert not domain & set(deployed)


def _json_strings(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, text) of every string that holds JSON (starts with { or [), Sub variables filled."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _json_strings(item, f"{where}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                filled = re.sub(r"\$\{[^}!]+\}", "sub-variable", text)
                if filled.lstrip()[:1] in ("{", "["):
                    yield f"{where}.Fn::Sub", filled
                if not isinstance(value, str):
                    yield from _json_strings(value[1], f"{where}.Fn::Sub[1]")
            else:
                yield from _json_strings(value, f"{where}.{key}")
    elif isinstance(node, str) and node.lstrip()[:1] in ("{", "["):
        yield where, node


def test_every_json_held_in_a_string_parses(deployment: Deployment) -> None:
    found = [
        *_json_strings(load_template(), "template.yaml"),
        *_json_strings(deployment.translated, "translated"),
    ]
    where = [w for w, _ in found]
    assert any("DashboardBody" in w for w in where) and any("Pattern" in w for w in where), where
    broken = []
    for place, text in found:
        try:
            json.loads(text)
        except ValueError as error:
            broken.append(f"{place}: {error}")
    assert not broken, "\n".join(broken)


def test_moto_creates_every_resource_it_models_and_the_rest_is_listed(deployment: Deployment) -> None:
    assert deployment.stack["StackStatus"] == "CREATE_COMPLETE", deployment.stack.get("StackStatusReason")
    expected = _deployed_resources(deployment.translated, PARAMETERS)
    # moto lists a type it skipped with an empty type (and some types it created, such as
    # permissions and layer versions, without a physical id)
    created = {
        r["LogicalResourceId"]: r["ResourceType"]
        for r in deployment.resources
        if r["ResourceType"] and r["ResourceStatus"] == "CREATE_COMPLETE"
    }
    missing = {n: t for n, t in expected.items() if t not in UNMODELLED and n not in created}
    assert not missing, f"moto did not create these; model them or list their type in UNMODELLED: {missing}"
    stale = {t for n, t in expected.items() if t in UNMODELLED and n in created}
    assert not stale, f"moto creates these now: take them off UNMODELLED: {stale}"
    unmodelled = [n for n, t in expected.items() if t in UNMODELLED]
    print(f"\n{len(created)} of {len(expected)} resources created on moto; not modelled: {len(unmodelled)}")


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(deployment: Deployment) -> None:
    """CloudWatch cannot publish to a topic under the AWS-managed aws/sns key."""
    topic = next(
        r["PhysicalResourceId"] for r in deployment.resources if r["LogicalResourceId"] == "AlarmTopic"
    )
    key = deployment.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId")
    assert key, "the alarm topic is not encrypted"
    assert not key.startswith("alias/aws/"), f"{key} is an AWS-managed key: CloudWatch cannot use it"
    kms = deployment.client("kms")
    metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert metadata["KeyManager"] == "CUSTOMER", f"{key} is an AWS-managed key: CloudWatch cannot use it"
    policy = json.loads(kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"])
    granted: set[str] = set()
    for statement in policy["Statement"]:
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        if statement["Effect"] == "Allow" and "cloudwatch.amazonaws.com" in services:
            actions = statement["Action"]
            granted |= set(actions if isinstance(actions, list) else [actions])
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= granted, policy


def test_every_function_has_its_own_alarm_within_the_metric_limit(deployment: Deployment) -> None:
    """A metric-math alarm takes at most 10 metrics: one alarm per function scales."""
    resources = deployment.translated["Resources"]
    functions = {n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    watched: dict[str, set[str]] = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        metrics = resource["Properties"].get("Metrics", [])
        assert len([m for m in metrics if "MetricStat" in m]) <= 10, f"{name}: more than 10 metrics"
        for metric in metrics:
            stat = metric.get("MetricStat", {}).get("Metric", {})
            if stat.get("Namespace") == "AWS/Lambda" and stat["MetricName"] in ("Errors", "Throttles"):
                (dimension,) = stat["Dimensions"]
                watched.setdefault(name, set()).add(f"{dimension['Value']['Ref']}.{stat['MetricName']}")
    for function in functions:
        alarms = [a for a, seen in watched.items() if seen == {f"{function}.Errors", f"{function}.Throttles"}]
        assert len(alarms) == 1, f"{function}: needs one alarm of its own on its errors and throttles"
    assert all(len(seen) == 2 for seen in watched.values()), watched


def test_the_dashboard_the_stack_created_is_json(deployment: Deployment) -> None:
    name = next(
        r["PhysicalResourceId"] for r in deployment.resources if r["LogicalResourceId"] == "Dashboard"
    )
    body = deployment.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"]
    assert len(json.loads(body)["widgets"]) == 10


# List prices, us-east-1: CloudWatch $0.10 per standard-resolution alarm metric and $3.00 per
# dashboard, a month; KMS $1.00 per customer-managed key a month (its API calls: CloudWatch's
# publishes, within the free 20,000); SQS $0.40 per million requests, which an SQS event
# source mapping makes while idle: Lambda keeps 5 pollers long-polling (a 20 s ReceiveMessage
# each), 5 x 3 a minute = 648,000 a month. Everything else is billed per request or per GB
# stored: nothing for an idle, empty stack (tables, streams, functions, API, logs, Cognito).
ALARM_METRIC, DASHBOARD, KMS_KEY = Decimal("0.10"), Decimal("3.00"), Decimal("1.00")
IDLE_SQS_REQUESTS, SQS_PER_MILLION = 5 * 3 * 60 * 24 * 30, Decimal("0.40")


def idle_monthly_cost(template: dict[str, Any]) -> dict[str, Decimal]:
    resources = _deployed_resources(template, PARAMETERS).items()
    props = {name: template["Resources"][name].get("Properties", {}) for name, _ in resources}
    metrics = sum(
        1 if "MetricName" in props[name] else len([m for m in props[name]["Metrics"] if "MetricStat" in m])
        for name, kind in resources
        if kind == "AWS::CloudWatch::Alarm"
    )
    kinds = dict(resources)
    sqs_mappings = sum(
        1
        for name, kind in resources
        if kind == "AWS::Lambda::EventSourceMapping"
        and kinds.get(props[name]["EventSourceArn"].get("Fn::GetAtt", [""])[0]) == "AWS::SQS::Queue"
    )
    return {
        f"{metrics} alarm metrics": metrics * ALARM_METRIC,
        "dashboards": sum(1 for _, k in resources if k == "AWS::CloudWatch::Dashboard") * DASHBOARD,
        "KMS keys": sum(1 for _, k in resources if k == "AWS::KMS::Key") * KMS_KEY,
        f"{sqs_mappings} idle SQS pollers": sqs_mappings * IDLE_SQS_REQUESTS * SQS_PER_MILLION / 1_000_000,
    }


def test_the_readme_states_the_idle_stack_cost_the_template_adds_up_to(deployment: Deployment) -> None:
    parts = idle_monthly_cost(deployment.translated)
    total = sum(parts.values(), Decimal(0)).quantize(Decimal("0.01"))
    print(f"\nidle stack, a month: ${total} = " + ", ".join(f"{k} ${v:.2f}" for k, v in parts.items()))
    assert f"**${total} a month**" in (ROOT / "README.md").read_text(), f"README: idle stack costs ${total}"


def test_the_export_bucket_glue_tables_streams_and_workgroup_are_what_the_stack_made(
    deployment: Deployment,
) -> None:
    """moto's CloudFormation does not model Glue, Athena workgroups, Firehose or bucket
    policies: goalpost_local/cloudformation.py creates them on moto's backends, so this reads
    back what the stack's own properties made."""
    from goalpost.streams.export import TABLES

    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in deployment.resources}
    s3 = deployment.client("s3")
    bucket = physical["ExportBucket"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(
        block[k]
        for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    )
    lifecycle = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    retention = load_template()["Parameters"]["ExportRetentionDays"]["Default"]
    assert lifecycle["ExportRetention"]["Expiration"]["Days"] == int(
        PARAMETERS.get("ExportRetentionDays", retention)
    )
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    (tls,) = [st for st in policy["Statement"] if st["Effect"] == "Deny"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and tls["Action"] == "s3:*"

    glue = deployment.client("glue")
    database = physical["ExportDatabase"]
    assert database == f"{STACK.replace('-', '_')}_export"
    for table, columns in TABLES.items():
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
        assert [(c["Name"], c["Type"]) for c in found["StorageDescriptor"]["Columns"]] == list(columns)
        assert found["StorageDescriptor"]["Location"] == f"s3://{bucket}/{table}/"
        assert found["Parameters"]["projection.enabled"] == "true"
        assert found["Parameters"]["storage.location.template"] == f"s3://{bucket}/{table}/dt=${{dt}}/"

    firehose = deployment.client("firehose")
    for logical, table in (
        ("ExportClicksStream", "clicks"),
        ("ExportConversionEventsStream", "conversion_events"),
        ("ExportDeliveriesStream", "deliveries"),
    ):
        name = physical[logical]
        description = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        (destination,) = description["Destinations"]
        s3_destination = destination["ExtendedS3DestinationDescription"]
        assert s3_destination["BucketARN"] == f"arn:aws:s3:::{bucket}"
        assert s3_destination["Prefix"] == f"{table}/dt=!{{timestamp:yyyy-MM-dd}}/"
        schema = s3_destination["DataFormatConversionConfiguration"]["SchemaConfiguration"]
        assert (schema["DatabaseName"], schema["TableName"]) == (database, table)

    workgroup = deployment.client("athena").get_work_group(WorkGroup=physical["ExportWorkGroup"])["WorkGroup"]
    results = workgroup["Configuration"]["ResultConfiguration"]["OutputLocation"]
    assert results == f"s3://{bucket}/athena-results/"


# ---------------------------------------------------------------- smoke on the stack's resources


class _Partner(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PartnerHandler)
        self.hits: list[str] = []


class _PartnerHandler(BaseHTTPRequestHandler):
    server: _Partner

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _inventory(deployment: Deployment) -> dict[str, Any]:
    cognito = deployment.client("cognito-idp")
    return {
        "tables": sorted(deployment.client("dynamodb").list_tables()["TableNames"]),
        "queues": sorted(deployment.client("sqs").list_queues().get("QueueUrls", [])),
        "pools": sorted(p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]),
        "parameters": sorted(p["Name"] for p in deployment.client("ssm").describe_parameters()["Parameters"]),
    }


def test_click_postback_report_and_partner_delivery_on_the_stacks_own_resources(
    deployment: Deployment,
) -> None:
    from goalpost_local import console
    from goalpost_local.process import spawn
    from tests.e2e.conftest import TOKEN, LocalRuntime, all_conversions, click, make_network, wait_for

    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in deployment.resources}
    before = _inventory(deployment)
    tables = load_template()["Resources"]
    assert before["tables"] == sorted(
        physical[n] for n, r in tables.items() if r["Type"] == "AWS::DynamoDB::Table"
    )
    partner = _Partner()
    threading.Thread(target=partner.serve_forever, daemon=True).start()
    env = {
        "GOALPOST_STACK": STACK,
        "AWS_ENDPOINT_URL": deployment.endpoint,
        "GOALPOST_SIGNING_KEYS": "",  # the stack's SSM parameter, nothing else
        "GOALPOST_DELIVERY_BACKOFF_SECONDS": "0",
    }
    try:
        with spawn(TOKEN, env) as spawned:
            rt = LocalRuntime(spawned.base_url, spawned.dynamodb_endpoint, spawned.logs)
            net = make_network(rt, "https://shop.example/?tid={transaction_id}")
            offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
            partner_url = (
                f"http://127.0.0.1:{partner.server_address[1]}/pb?tid={{transaction_id}}&p={{payout}}"
            )
            pixel = rt.admin(
                "POST",
                f"/admin/offers/{offer_id}/partner-pixels",
                {"partner_id": partner_id, "kind": "postback", "code": partner_url},
            )
            assert pixel.status == 201, pixel.body
            tid = click(rt, net)
            assert rt.get(f"/aff_lsr?transaction_id={tid}").status == 200
            conversions = all_conversions(rt, offer_id)  # the offer's list: the stream's projection
            assert [(c["transaction_id"], c["payout"]) for c in conversions] == [(tid, "1.00000")]
            try:
                wait_for(lambda: partner.hits, seconds=30)
            except AssertionError:
                raise AssertionError("no partner delivery:\n" + "".join(spawned.logs)[-5000:]) from None
            assert partner.hits == [f"/pb?tid={tid}&p=1.00"]
            deliveries = rt.admin("GET", f"/admin/offers/{offer_id}/deliveries").json()["items"]
            assert [d["status"] for d in deliveries] == ["delivered"]

            def totals() -> dict[str, Any]:
                response = rt.admin("GET", f"/admin/stats?interval=total&offer_id={offer_id}")
                assert response.status == 200, response.body
                found: dict[str, Any] = response.json()["totals"]
                return found

            wait_for(lambda: (totals()["clicks"], totals()["conversions"]) == (1, 1), seconds=30)
            assert totals()["payout"] == "1.00"

            # The console: a user invited into the stack's pool signs in through the stack's
            # client, and its token opens the admin API under /console/api/admin.
            pool_id, client_id = physical["ConsoleUserPool"], physical["ConsoleUserPoolClient"]
            line = next(line for line in spawned.logs if "console users:" in line)
            password = line.split("console users: admin / ", 1)[1].split(" ", 1)[0]
            sign_in = console.ConsoleSignIn(
                "us-east-1", pool_id, client_id,
                console.ConsoleUser("admin", password, "ConsoleAdmins"), console.ConsoleUser("", "", ""),
            )  # fmt: skip
            tokens = console.sign_in(deployment.client("cognito-idp"), sign_in, sign_in.admin)
            listed = rt.get("/console/api/admin/advertisers", {"authorization": f"Bearer {tokens['access']}"})
            assert listed.status == 200, listed.body
            assert [a["name"] for a in listed.json()["items"]] == ["Acme"]
    finally:
        partner.shutdown()
    after = _inventory(deployment)
    assert after == before, "the runtime created resources of its own"


def test_teardown_as_the_readme_writes_it_leaves_nothing_behind(deployment: Deployment) -> None:
    """README, Tearing down a test stack: `sam delete`, then the tables the stack retains
    (unprotected: DeletionProtection=false), then the signing-keys parameter. Runs last."""
    done = subprocess.run(
        [str(SAM), "delete", "--stack-name", STACK, "--region", "us-east-1", "--no-prompts"],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_ENDPOINT_URL": deployment.endpoint, "SAM_CLI_TELEMETRY": "0"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    dynamodb = deployment.client("dynamodb")
    retained = {
        r["PhysicalResourceId"]
        for r in deployment.resources
        if r["LogicalResourceId"] in ("ConversionsTable", "ConfigTable", "StatsTable", "SecretsTable")
    }
    left = [t for t in dynamodb.list_tables()["TableNames"] if t.startswith(f"{STACK}-")]
    assert set(left) == retained  # the money tables stay, by design (DeletionPolicy: Retain)
    for table in left:
        dynamodb.delete_table(TableName=table)
    deployment.client("ssm").delete_parameter(Name=PARAMETERS["SigningKeysParameter"])
    assert dynamodb.list_tables()["TableNames"] == []
    assert deployment.client("glue").get_databases()["DatabaseList"] == []
    assert deployment.client("firehose").list_delivery_streams()["DeliveryStreamNames"] == []
    export_bucket = next(
        r["PhysicalResourceId"] for r in deployment.resources if r["LogicalResourceId"] == "ExportBucket"
    )
    assert export_bucket not in {b["Name"] for b in deployment.client("s3").list_buckets()["Buckets"]}
    assert (
        deployment.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])[
            "StackSummaries"
        ]
        == []
    )
