"""IAM as AWS enforces it, locally: a function may make only the calls its template policies allow.

Every AWS call a function makes while it handles an event (in the local runtime and in the
integration tests) is checked against the policies template.yaml gives that function: inline
statements, and SAM policy templates expanded from SAM's own definitions (samtranslator's
``policy_templates.json``, from the SAM CLI's virtualenv) with the template's intrinsics
resolved to the local tables, streams and queues. A call no statement allows fails with the
``AccessDeniedException`` AWS sends, so a policy gap fails a test instead of production.

Why not moto's own access control (``INITIAL_NO_AUTH_ACTION_COUNT``): its DynamoDB handler
names no resource, so moto matches every DynamoDB action against resource ``*``; a statement
scoped to a table ARN (all of ours, as least privilege wants) never matches it, and every call
would be denied. It also needs each function to sign with its own IAM user's keys. moto is
kept for what it does well (the data); the policy evaluation is done here, on the same inputs
IAM uses: action, resource ARN, Allow/Deny with wildcards, and the one condition the template
uses: ``ForAllValues:StringLike`` on ``dynamodb:LeadingKeys`` (the partition keys a request
names; any other condition is refused when the policies load). Calls made outside a function
(tests arranging data, the seed) are not checked: they stand for an admin's own credentials.
"""

from __future__ import annotations

import contextvars
import fnmatch
import glob
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from goalpost_local.template import ROOT, load_template, parameter_defaults, resources

ACCOUNT = "123456789012"
"""moto's default account: the ARNs of its streams and queues carry it."""

acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("goalpost_acting_function", default=None)
"""The function whose code is running (set around each invocation)."""


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    leading_keys: tuple[str, ...] | None = None
    """``ForAllValues:StringLike`` on ``dynamodb:LeadingKeys``: the patterns every partition key
    the request names must match (None: no condition)."""

    def covers(self, action: str, resource: str, keys: tuple[str, ...] = ()) -> bool:
        return (
            any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions)
            and any(fnmatch.fnmatchcase(resource, r) for r in self.resources)
            and (self.leading_keys is None or all(string_like(k, self.leading_keys) for k in keys))
        )


def string_like(value: str, patterns: tuple[str, ...]) -> bool:
    """IAM's StringLike: case-sensitive, ``*`` any run of characters, ``?`` one (nothing else
    is special, unlike fnmatch's brackets)."""
    for pattern in patterns:
        expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        if re.fullmatch(expression, value, re.DOTALL):
            return True
    return False


class AccessDenied(Exception):
    """Raised for a call outside the acting function's policies (as botocore's ClientError)."""


def region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{region()}:{ACCOUNT}:table/{name}"


def parameter_arn(name: str) -> str:
    """An SSM parameter's ARN (a name without a leading slash gets one, as SSM's ARNs do)."""
    return f"arn:aws:ssm:{region()}:{ACCOUNT}:parameter/{name.lstrip('/')}"


def user_pool_arn(pool_id: str) -> str:
    return f"arn:aws:cognito-idp:{region()}:{ACCOUNT}:userpool/{pool_id}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{region()}:{ACCOUNT}:{name}"


def event_bus_arn(name: str) -> str:
    return f"arn:aws:events:{region()}:{ACCOUNT}:event-bus/{name}"


def queue_arn_of(logical_id: str) -> str:
    """The ARN of a template queue, by logical id, as created locally."""
    return queue_arn(ENFORCER.physical.get(logical_id, logical_id))


@cache
def sam_policy_templates() -> dict[str, Any]:
    """SAM's own policy template definitions (the SAM CLI's virtualenv, made by `make install`)."""
    pattern = str(ROOT / ".venv-sam" / "lib" / "python*" / "site-packages" / "samtranslator")
    for folder in sorted(glob.glob(pattern)):
        path = Path(folder) / "policy_templates_data" / "policy_templates.json"
        if path.exists():
            templates: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["Templates"]
            return templates
    raise RuntimeError("SAM's policy templates are missing: run `make install` (it sets up .venv-sam)")


class _Resolver:
    """Resolves the intrinsics policies use (Ref, GetAtt, Sub, Select, Split) to local names."""

    def __init__(
        self,
        physical: Mapping[str, str],
        stream_arns: Mapping[str, str],
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        self.physical = physical
        self.stream_arns = stream_arns
        self.kinds = {name: r["Type"] for name, r in resources_all().items()}
        self.parameters = {**parameter_defaults(), **(parameters or {})}

    def get_att(self, logical: str, attribute: str) -> str:
        kind, name = self.kinds.get(logical, ""), self.physical.get(logical, logical)
        if kind == "AWS::DynamoDB::Table":
            if attribute == "Arn":
                return table_arn(name)
            if attribute == "StreamArn":
                return self.stream_arns.get(logical) or f"{table_arn(name)}/stream/*"
        if kind == "AWS::SQS::Queue":
            return queue_arn(name) if attribute == "Arn" else name
        if kind == "AWS::KinesisFirehose::DeliveryStream" and attribute == "Arn":
            # the export's streams: locally its rows go to a Parquet folder (goalpost_local.export)
            return f"arn:aws:firehose:{region()}:{ACCOUNT}:deliverystream/{name}"
        if kind == "AWS::Cognito::UserPool" and attribute == "Arn":
            return user_pool_arn(self.physical.get(logical, "*"))  # made after the policies
        raise ValueError(f"cannot resolve !GetAtt {logical}.{attribute} locally")

    def ref(self, name: str, variables: Mapping[str, Any]) -> str:
        pseudo = {"AWS::Region": region(), "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
        if name in variables:  # a Sub variable may refer to a template parameter (SAM's do)
            return str(self.resolve(variables[name], {k: v for k, v in variables.items() if k != name}))
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:  # a template parameter: as a deploy with defaults sets it
            return self.parameters[name]
        return self.physical.get(name, name)

    def sub(self, text: str, variables: Mapping[str, Any]) -> str:
        out, rest = "", text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            logical, dot, attribute = name.partition(".")
            value = (
                self.get_att(logical, attribute)
                if dot and name not in variables
                else self.ref(name, variables)
            )
            out += before + value
        return out + rest

    def resolve(self, node: Any, variables: Mapping[str, Any]) -> Any:
        if isinstance(node, list):
            return [self.resolve(n, variables) for n in node]
        if not isinstance(node, dict):
            return node
        if "Ref" in node:
            return self.ref(str(node["Ref"]), variables)
        if "Fn::GetAtt" in node:
            logical, attribute = node["Fn::GetAtt"]
            return self.get_att(str(logical), str(attribute))
        if "Fn::Sub" in node:
            spec = node["Fn::Sub"]
            if isinstance(spec, list):
                return self.sub(spec[0], {**variables, **spec[1]})
            return self.sub(spec, variables)
        if "Fn::Select" in node:
            index, items = node["Fn::Select"]
            return self.resolve(items, variables)[int(index)]
        if "Fn::Split" in node:
            separator, text = node["Fn::Split"]
            return str(self.resolve(text, variables)).split(separator)
        return {k: self.resolve(v, variables) for k, v in node.items()}


def resources_all() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load_template()["Resources"]
    return found


def _leading_keys(condition: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """The one condition modelled: ``ForAllValues:StringLike`` on ``dynamodb:LeadingKeys``
    (any other fails loudly: an unmodelled condition would silently allow too much)."""
    if not condition:
        return None
    ((operator, tests),) = condition.items()
    ((key, values),) = tests.items()
    if operator != "ForAllValues:StringLike" or key != "dynamodb:LeadingKeys":
        raise ValueError(f"condition {operator} on {key} is not modelled locally")
    return tuple(str(v) for v in (values if isinstance(values, list) else [values]))


def _statements(raw: Any) -> list[Statement]:
    found = []
    for statement in raw if isinstance(raw, list) else [raw]:
        actions = statement["Action"]
        targets = statement["Resource"]
        found.append(
            Statement(
                effect=statement["Effect"],
                actions=tuple(actions if isinstance(actions, list) else [actions]),
                resources=tuple(str(r) for r in (targets if isinstance(targets, list) else [targets])),
                leading_keys=_leading_keys(statement.get("Condition")),
            )
        )
    return found


def function_policies(
    physical: Mapping[str, str],
    stream_arns: Mapping[str, str],
    parameters: Mapping[str, str] | None = None,
) -> dict[str, list[Statement]]:
    """Each function's statements, as SAM would attach them to its execution role (template
    parameters: the defaults, or a deployed stack's)."""
    resolver = _Resolver(physical, stream_arns, parameters)
    templates = sam_policy_templates()
    policies: dict[str, list[Statement]] = {}
    for function, resource in resources("AWS::Serverless::Function").items():
        statements: list[Statement] = []
        for entry in resource["Properties"].get("Policies", []):
            if not isinstance(entry, dict):
                raise ValueError(f"{function}: managed policy {entry!r} is not modelled locally")
            if "Statement" in entry:
                statements += _statements(resolver.resolve(entry["Statement"], {}))
                continue
            ((name, arguments),) = entry.items()
            definition = templates[name]["Definition"]["Statement"]
            given = {k: resolver.resolve(v, {}) for k, v in (arguments or {}).items()}
            statements += _statements(resolver.resolve(definition, given))
        policies[function] = statements
    return policies


def allowed(statements: list[Statement], action: str, resource: str, keys: tuple[str, ...] = ()) -> bool:
    """IAM's rule for identity policies: an explicit Deny wins, else some Allow must match
    (``keys``: the partition key values the request names, for ``dynamodb:LeadingKeys``)."""
    matching = [s for s in statements if s.covers(action, resource, keys)]
    return bool(matching) and all(s.effect == "Allow" for s in matching)


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


_TOKEN_AUTHORIZED = frozenset({"GetUser", "GlobalSignOut", "RevokeToken", "InitiateAuth"})
"""Cognito calls AWS authorizes by the token they carry (no IAM policy is consulted)."""


def required(service: str, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (action, resource) pairs IAM checks for one API call."""
    return [(action, resource) for action, resource, _ in checked(service, operation, params)]


@cache
def _partition_keys() -> dict[str, tuple[str, dict[str, str]]]:
    """Logical table id -> its partition key attribute and each index's (template.yaml)."""
    found = {}
    for logical, table in resources("AWS::DynamoDB::Table").items():
        props = table["Properties"]

        def hash_of(schema: list[dict[str, str]]) -> str:
            return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

        indexes = {i["IndexName"]: hash_of(i["KeySchema"]) for i in props.get("GlobalSecondaryIndexes", [])}
        found[logical] = (hash_of(props["KeySchema"]), indexes)
    return found


def _key_attribute(table: str, index: str | None) -> str | None:
    """The partition key attribute of a table (by its local name) or of one of its indexes."""
    for logical, (attribute, indexes) in _partition_keys().items():
        if ENFORCER.physical.get(logical, logical) == table:
            return indexes.get(index) if index else attribute
    return None


def _value(typed: Any) -> str:
    ((_, value),) = typed.items()
    return str(value)


def leading_keys(operation: str, table: str, body: Mapping[str, Any]) -> tuple[str, ...]:
    """The partition key values one DynamoDB request names (``dynamodb:LeadingKeys``): none for
    a Scan, which is why IAM's ForAllValues lets a Scan through (a role with a LeadingKeys
    condition must not be granted Scan)."""
    attribute = _key_attribute(table, body.get("IndexName"))
    if attribute is None:
        return ()
    if operation == "Query":
        names = body.get("ExpressionAttributeNames", {})
        values = body.get("ExpressionAttributeValues", {})
        for name, placeholder in re.findall(
            r"([#\w.]+)\s*=\s*(:\w+)", body.get("KeyConditionExpression", "")
        ):
            if names.get(name, name) == attribute:
                return (_value(values[placeholder]),)
        return ()
    if operation in ("BatchGetItem", "BatchWriteItem"):
        keys = []
        for entry in body.get("Keys", []) or body.get("Writes", []):
            key = (
                entry.get("PutRequest", {}).get("Item") or entry.get("DeleteRequest", {}).get("Key") or entry
            )
            keys.append(_value(key[attribute]))
        return tuple(keys)
    key = body.get("Key") or body.get("Item") or {}
    return (_value(key[attribute]),) if attribute in key else ()


def checked(
    service: str, operation: str, params: Mapping[str, Any]
) -> list[tuple[str, str, tuple[str, ...]]]:
    """(action, resource, partition key values) for each authorization of one API call."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            needed = []
            for item in params.get("TransactItems", []):
                ((kind, body),) = item.items()
                action = _TRANSACT_ACTIONS[kind]
                keys = leading_keys(action, body["TableName"], body)
                needed.append((f"dynamodb:{action}", table_arn(body["TableName"]), keys))
            return needed
        if operation == "BatchGetItem":
            return [
                (f"dynamodb:{operation}", table_arn(t), leading_keys(operation, t, request))
                for t, request in params.get("RequestItems", {}).items()
            ]
        if operation == "BatchWriteItem":
            return [
                (f"dynamodb:{operation}", table_arn(t), leading_keys(operation, t, {"Writes": writes}))
                for t, writes in params.get("RequestItems", {}).items()
            ]
        table = params.get("TableName")
        if not table:
            return [(f"dynamodb:{operation}", "*", ())]
        arn = table_arn(str(table))
        if params.get("IndexName"):
            arn += f"/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", arn, leading_keys(operation, str(table), params))]
    return [(action, resource, ()) for action, resource in _other(service, operation, params)]


def _other(service: str, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    if service == "dynamodbstreams":
        return [(f"dynamodb:{operation}", str(params.get("StreamArn", "*")))]
    if service == "sqs":
        return [(f"sqs:{operation}", str(params.get("QueueUrl", "*")))]
    if service == "events" and operation == "PutEvents":
        buses = {str(e.get("EventBusName") or "default") for e in params.get("Entries", [])}
        return [("events:PutEvents", event_bus_arn(bus)) for bus in sorted(buses)]
    if service == "cognito-idp" and operation in _TOKEN_AUTHORIZED:
        return []  # authorized by the user's access token, not by the caller's IAM policy
    if service == "cognito-idp" and params.get("UserPoolId"):
        return [(f"cognito-idp:{operation}", user_pool_arn(str(params["UserPoolId"])))]
    if service == "ssm" and params.get("Name"):
        return [(f"ssm:{operation}", parameter_arn(str(params["Name"])))]
    return [(f"{service}:{operation}", "*")]


class Enforcer:
    """Holds the policies in force; its hook runs before every botocore call of this process."""

    def __init__(self) -> None:
        self.policies: dict[str, list[Statement]] | None = None
        self.queue_arns: dict[str, str] = {}
        """Queue URL -> ARN (SQS calls name queues by URL)."""
        self.physical: dict[str, str] = {}
        """Logical id -> local physical name of every table and queue."""
        self.iterators: dict[str, str] = {}
        """Shard iterator -> stream ARN (GetRecords names its stream only through the iterator)."""

    def check(self, function: str, action: str, resource: str, keys: tuple[str, ...] = ()) -> None:
        if self.policies is None:
            return
        statements = self.policies.get(function, [])
        if not allowed(statements, action, resource, keys):
            raise AccessDenied(
                f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{function}Role/{function} is not authorized "
                f"to perform: {action} on resource: {resource} because no identity-based policy allows "
                f"the {action} action"
            )

    def before_call(self, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        function = acting.get()
        if function is None or self.policies is None:
            return
        service = model.service_model.service_name
        for action, resource, keys in checked(service, model.name, params):
            resource = self.queue_arns.get(resource, resource)
            if action == "dynamodb:GetRecords":
                resource = self.iterators.get(str(params.get("ShardIterator")), "*")
            try:
                self.check(function, action, resource, keys)
            except AccessDenied as denied:
                from botocore.exceptions import ClientError

                error: dict[str, Any] = {
                    "Error": {"Code": "AccessDeniedException", "Message": str(denied)},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                }
                raise ClientError(error, model.name) from None  # type: ignore[arg-type]

    def after_call(self, model: Any, parsed: Mapping[str, Any], context: Mapping[str, Any], **_: Any) -> None:
        """Remember which stream each shard iterator reads (for GetRecords' resource)."""
        if model.service_model.service_name != "dynamodbstreams":
            return
        stream = context.get("goalpost_stream_arn")
        iterator = parsed.get("ShardIterator") or parsed.get("NextShardIterator")
        if stream and iterator:
            if len(self.iterators) > 10_000:
                self.iterators.clear()
            self.iterators[str(iterator)] = str(stream)

    def remember_stream(
        self, model: Any, params: Mapping[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        if model.service_model.service_name == "dynamodbstreams":
            stream = params.get("StreamArn") or self.iterators.get(str(params.get("ShardIterator")))
            if stream:
                context["goalpost_stream_arn"] = stream


ENFORCER = Enforcer()


def enforce(
    physical: Mapping[str, str],
    stream_arns: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> None:
    """Put the template's policies in force for every AWS client of this process: the layer's
    (from its own botocore session) and boto3's (the local runtime's stream pump)."""
    import boto3

    from goalpost.store import aws

    ENFORCER.policies = function_policies(physical, stream_arns or {}, parameters)
    ENFORCER.physical = dict(physical)
    for events in (aws.session().get_component("event_emitter"), boto3._get_default_session().events):
        # before-parameter-build sees the API parameters (before-call sees the serialized request)
        events.register(
            "before-parameter-build", ENFORCER.remember_stream, unique_id="goalpost-local-iam-streams"
        )
        events.register("before-parameter-build", ENFORCER.before_call, unique_id="goalpost-local-iam")
        events.register("after-call", ENFORCER.after_call, unique_id="goalpost-local-iam-iterators")


def relax() -> None:
    """No policies in force (the end of a test)."""
    ENFORCER.policies = None


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """Run code as the function (its calls are checked against the function's policies)."""
    token = acting.set(function)
    try:
        yield
    finally:
        acting.reset(token)


def as_function(function: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """A handler that runs as its function (what load_handler hands out)."""

    def invoke(*args: Any, **kwargs: Any) -> Any:
        with acting_as(function):
            return handler(*args, **kwargs)

    return invoke
