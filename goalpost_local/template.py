"""Reading template.yaml: the one schema, used by the local runtime and by the tests."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !GetAtt, !Sub ...) as their long forms."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return data


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource for name, resource in load_template()["Resources"].items() if resource["Type"] == kind
    }


_CREATE_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "StreamSpecification",
    "SSESpecification",
)


def table_definitions() -> dict[str, dict[str, Any]]:
    """CreateTable arguments for every AWS::DynamoDB::Table, by logical id (minus TableName)."""
    tables: dict[str, dict[str, Any]] = {}
    for name, resource in resources("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        kwargs = {k: props[k] for k in _CREATE_TABLE_KEYS if k in props}
        if "StreamSpecification" in kwargs:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **kwargs["StreamSpecification"]}
        if "SSESpecification" in kwargs:
            kwargs["SSESpecification"] = {"Enabled": kwargs.pop("SSESpecification")["SSEEnabled"]}
        tables[name] = kwargs
    return tables


def create_tables(client: Any, prefix: str = "goalpost-local") -> dict[str, str]:
    """Create the template's tables (and their TTL settings); returns logical id -> table name."""
    names: dict[str, str] = {}
    existing = set(client.list_tables().get("TableNames", []))
    for logical_id, kwargs in table_definitions().items():
        table_name = f"{prefix}-{logical_id}"
        names[logical_id] = table_name
        if table_name in existing:
            continue
        client.create_table(TableName=table_name, **kwargs)
        ttl = load_template()["Resources"][logical_id]["Properties"].get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]},
            )
    return names


def create_queues(client: Any, prefix: str = "goalpost-local") -> dict[str, str]:
    """Create the template's SQS queues (dead-letter targets first); returns logical id -> URL.

    Queue names are ``<prefix>-<logical id>``; a RedrivePolicy's target is resolved to the
    local queue's ARN, so moto moves a message after ``maxReceiveCount`` receives as SQS does.
    """
    queues = resources("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda name: "RedrivePolicy" in queues[name].get("Properties", {}))
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    for logical_id in ordered:
        props = queues[logical_id].get("Properties", {})
        attributes = {
            key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in props
        }
        if "RedrivePolicy" in props:
            policy = props["RedrivePolicy"]
            target = policy["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[target], "maxReceiveCount": str(policy["maxReceiveCount"])}
            )
        url = client.create_queue(QueueName=f"{prefix}-{logical_id}", Attributes=attributes)["QueueUrl"]
        urls[logical_id] = url
        arns[logical_id] = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    return urls


def create_event_buses(client: Any, prefix: str = "goalpost-local") -> dict[str, str]:
    """Create the template's EventBridge buses (in moto's events); returns logical id -> name."""
    names: dict[str, str] = {}
    for logical_id in resources("AWS::Events::EventBus"):
        name = f"{prefix}-{logical_id}"
        try:
            client.create_event_bus(Name=name)
        except client.exceptions.ResourceAlreadyExistsException:
            pass  # a restart against the same moto server: the bus is there
        names[logical_id] = name
    return names


def physical_names(
    table_names: dict[str, str], queue_urls: dict[str, str], event_buses: dict[str, str] | None = None
) -> dict[str, str]:
    """Logical id -> physical name of every table, queue and bus (what !Ref / QueueName resolve to)."""
    queues = {logical: url.rsplit("/", 1)[-1] for logical, url in queue_urls.items()}
    return {**table_names, **queues, **(event_buses or {})}


def stream_arns(client: Any, table_names: dict[str, str]) -> dict[str, str]:
    """Logical id -> the stream ARN of every table that has a stream."""
    found = {}
    for logical_id, name in table_names.items():
        arn = client.describe_table(TableName=name)["Table"].get("LatestStreamArn")
        if arn:
            found[logical_id] = str(arn)
    return found


def parameter_defaults() -> dict[str, str]:
    """The template's parameters as a deploy without overrides sets them."""
    return {
        name: str(spec.get("Default", "")) for name, spec in load_template().get("Parameters", {}).items()
    }


def condition_holds(node: Any, params: dict[str, str]) -> bool:
    """A template condition (Equals, Not, And, Or, Condition) under the given parameters."""
    if isinstance(node, str):
        return condition_holds(load_template()["Conditions"][node], params)
    ((kind, args),) = node.items()
    if kind == "Condition":
        return condition_holds(str(args), params)
    if kind == "Fn::Not":
        return not condition_holds(args[0], params)
    if kind == "Fn::And":
        return all(condition_holds(a, params) for a in args)
    if kind == "Fn::Or":
        return any(condition_holds(a, params) for a in args)
    if kind == "Fn::Equals":
        left, right = (params.get(a["Ref"], "") if isinstance(a, dict) else str(a) for a in args)
        return left == right
    raise ValueError(f"condition {kind} is not understood locally")


def store_signing_keys(ssm: Any, keys: str) -> None:
    """Put the signing keys where the functions read them (the template's SSM SecureString).
    Locally that is the embedded moto, standing in for the parameter an operator creates
    before the first deploy."""
    name = parameter_defaults()["SigningKeysParameter"]
    ssm.put_parameter(Name=name, Value=keys, Type="SecureString", Overwrite=True)


def function_environment(
    table_names: dict[str, str],
    queue_urls: dict[str, str] | None = None,
    parameters: dict[str, str] | None = None,
    event_buses: dict[str, str] | None = None,
) -> dict[str, str]:
    """Globals' environment variables with !Ref to tables, queues and buses resolved to the local
    ones (and to template parameters: the defaults, or a deployed stack's ``parameters``). A bus
    not given resolves to "" (its events are then not published)."""
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    params = {**parameter_defaults(), **(parameters or {})}
    env: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, dict) and "Fn::If" in value:  # a deploy's choice: its default branch
            condition, when_true, when_false = value["Fn::If"]
            value = when_true if condition_holds(condition, params) else when_false
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            resolved = (
                table_names.get(ref)
                or (queue_urls or {}).get(ref)
                or (event_buses or {}).get(ref)
                or params.get(ref, "")
            )
            if resolved or key not in os.environ:
                env[key] = resolved  # a parameter without default (a secret) keeps the caller's value
        else:
            env[key] = str(value)
    return env


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    code_uri: str
    handler: str
    authorizer: str
    """"" (none), "AWS_IAM", or the name of a Lambda authorizer of the HttpApi."""
    pattern: re.Pattern[str]

    def matches(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


def _path_pattern(path: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("+}"):
            regex += f"(?P<{part[1:-2]}>.+)"
        elif part.startswith("{"):
            regex += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def routes() -> list[Route]:
    """Every HttpApi event of every function, as SAM would wire it."""
    found: list[Route] = []
    for name, resource in resources("AWS::Serverless::Function").items():
        props = resource["Properties"]
        for event in props.get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            event_props = event["Properties"]
            found.append(
                Route(
                    method=event_props["Method"].upper(),
                    path=event_props["Path"],
                    function=name,
                    code_uri=props["CodeUri"],
                    handler=props["Handler"],
                    authorizer=event_props.get("Auth", {}).get("Authorizer", ""),
                    pattern=_path_pattern(event_props["Path"]),
                )
            )
    return sorted(found, key=_path_rank)


def _path_rank(route: Route) -> tuple[bool, bool, int]:
    """API Gateway's order (HTTP APIs, "Routing API requests"): a path without variables, then
    one with path variables, then one with a greedy variable; among those, the longer literal
    part (more specific) first."""
    literal = route.path.split("{", 1)[0]
    return ("+}" in route.path, "{" in route.path, -len(literal.rstrip("/").split("/")))


class AmbiguousRoute(Exception):
    """Two routes match a request, one more specific by its path, the other by its method."""


def select_route(candidates: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway picks for a request (most specific path, then the exact method
    over ANY), or None (no route: 404). Raises AmbiguousRoute when the most specific path
    only matches through ANY while a less specific path names the method itself: API Gateway's
    rules do not say which wins, so the template must not leave it open."""
    matching = [(r, params) for r in candidates if (params := r.matches(method, path)) is not None]
    if not matching:
        return None
    matching.sort(key=lambda found: (_path_rank(found[0]), found[0].method == "ANY"))
    best, params = matching[0]
    if best.method == "ANY":
        exact = [r for r, _ in matching if r.method == method and _path_rank(r) != _path_rank(best)]
        if exact:
            raise AmbiguousRoute(
                f"{method} {path} matches ANY {best.path} (more specific path) and "
                f"{method} {exact[0].path} (exact method): add {method} {best.path}"
            )
    return best, params


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def check_routes(candidates: list[Route]) -> None:
    """Raises AmbiguousRoute if a request for any route's path, by any method, is ambiguous."""
    for route in candidates:
        for method in METHODS if route.method == "ANY" else (route.method,):
            select_route(candidates, method, probe_path(route.path))


def probe_path(route_path: str) -> str:
    """A request path that a route matches (each variable filled in; a greedy one with two parts)."""
    return re.sub(r"\{[^}]+\+\}", "probe/path", re.sub(r"\{[^}+]+\}", "probe", route_path))


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str
    code_uri: str
    handler: str
    identity_headers: tuple[str, ...]


def authorizers() -> dict[str, Authorizer]:
    """The HttpApis' Lambda authorizers, by name, with the function each one calls."""
    found: dict[str, Authorizer] = {}
    functions = resources("AWS::Serverless::Function")
    for api in resources("AWS::Serverless::HttpApi").values():
        for name, spec in api["Properties"].get("Auth", {}).get("Authorizers", {}).items():
            if "FunctionArn" not in spec:
                continue  # a JWT authorizer (goalpost_local.console)
            function = spec["FunctionArn"]["Fn::GetAtt"][0]
            props = functions[function]["Properties"]
            found[name] = Authorizer(
                name=name,
                function=function,
                code_uri=props["CodeUri"],
                handler=props["Handler"],
                identity_headers=tuple(h.lower() for h in spec.get("Identity", {}).get("Headers", ())),
            )
    return found
