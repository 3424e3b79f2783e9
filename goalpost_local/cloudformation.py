"""CloudFormation models moto lacks, for the deploy check's stack (tests/deploy).

moto's CloudFormation creates the resource types it models and skips the others. The console's
sign-in needs the stack's own user pool and client, so these three Cognito types are modelled
here on moto's Cognito backend: the template's properties go to the same calls the Cognito API
takes (CreateUserPool, CreateUserPoolClient, CreateGroup), and the local runtime then finds
the pool and client by their physical ids. Loaded by the embedded DynamoDB's server process
(goalpost_local.dynamodb), before its first stack.

Event source mappings: moto plays Lambda's poller itself, invoking the function in Docker for
each SQS message and stream record (and dropping a stream's records when that succeeds). The
local runtime's pumps are the pollers here, reading the queues and streams as Lambda does, so
a mapping the stack creates is recorded (ListEventSourceMappings shows it) but not attached
to its queue or table.

KMS keys: CloudFormation takes a key policy as a JSON object, the KMS API as a string; moto
stores the object as it comes and then fails every call on the key (json.loads of a dict),
so the policy is handed to it as the string KMS would hold.

EventBridge buses: moto creates a stack's bus but gives it no physical id; CloudFormation's is
the bus's name (what !Ref returns), by which the local runtime finds it.

Tables: CloudFormation reads "false" (a parameter's value) as false for a Boolean property;
moto keeps the string, and "false" is truthy, so a test stack's tables came out protected.
"""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.events.models import EventBus
from moto.kms.models import Key
from moto.sqs.models import sqs_backends

# Properties CloudFormation takes that the Cognito API does not (set by other calls there).
_NOT_IN_CREATE_USER_POOL = {"UserPoolName", "EnabledMfas", "UserPoolTags"}


def _backend(account_id: str, region_name: str) -> Any:
    return cognitoidp_backends[account_id][region_name]


class UserPool(CloudFormationModel):
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserPoolName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "ProviderName", "ProviderURL", "UserPoolId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        provider = f"cognito-idp.{self.pool.region}.amazonaws.com/{self.pool.id}"
        return str(
            {
                "Arn": self.pool.arn,
                "ProviderName": provider,
                "ProviderURL": f"https://{provider}",
                "UserPoolId": self.pool.id,
            }[attribute_name]
        )

    @property
    def physical_resource_id(self) -> str:
        return str(self.pool.id)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> UserPool:
        properties = dict(cloudformation_json.get("Properties", {}))
        config = {k: v for k, v in properties.items() if k not in _NOT_IN_CREATE_USER_POOL}
        name = properties.get("UserPoolName", resource_name)
        return cls(_backend(account_id, region_name).create_user_pool(name, config))


class UserPoolClient(CloudFormationModel):
    def __init__(self, client: Any) -> None:
        self.client = client

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ClientName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ClientId", "Name")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "ClientId":
            return str(self.client.id)
        return str(self.client.extended_config["ClientName"])

    @property
    def physical_resource_id(self) -> str:
        return str(self.client.id)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> UserPoolClient:
        properties = dict(cloudformation_json.get("Properties", {}))
        pool_id = properties.pop("UserPoolId")
        generate_secret = bool(properties.pop("GenerateSecret", False))
        properties.setdefault("ClientName", resource_name)
        backend = _backend(account_id, region_name)
        return cls(backend.create_user_pool_client(pool_id, generate_secret, properties))


class UserPoolGroup(CloudFormationModel):
    def __init__(self, group: Any) -> None:
        self.group = group

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "GroupName"

    @property
    def physical_resource_id(self) -> str:
        return str(self.group.group_name)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> UserPoolGroup:
        properties = cloudformation_json.get("Properties", {})
        group = _backend(account_id, region_name).create_group(
            properties["UserPoolId"],
            properties.get("GroupName", resource_name),
            properties.get("Description", ""),
            properties.get("RoleArn", ""),
            properties.get("Precedence", 0),
        )
        return cls(group)


_create_event_source_mapping = LambdaBackend.create_event_source_mapping


def _create_unattached_mapping(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
    mapping = _create_event_source_mapping(self, spec)
    sources: list[Any] = [
        *sqs_backends[self.account_id][self.region_name].queues.values(),
        *dynamodb_backends[self.account_id][self.region_name].tables.values(),
    ]
    for source in sources:
        attached = source.lambda_event_source_mappings
        for key in [key for key, value in attached.items() if value is mapping]:
            del attached[key]
    return mapping


LambdaBackend.create_event_source_mapping = _create_unattached_mapping  # type: ignore[method-assign]


_create_key = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _create_key_with_policy_text(
    cls: type[Key],
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kw: Any,
) -> Key:
    properties = cloudformation_json.get("Properties", {})
    if isinstance(properties.get("KeyPolicy"), dict):
        cloudformation_json = {
            **cloudformation_json,
            "Properties": {**properties, "KeyPolicy": json.dumps(properties["KeyPolicy"])},
        }
    key: Key = _create_key(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
    return key


Key.create_from_cloudformation_json = classmethod(_create_key_with_policy_text)  # type: ignore[method-assign,assignment]


_create_table = Table.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _create_table_with_booleans(
    cls: type[Table],
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kw: Any,
) -> Table:
    properties = cloudformation_json.get("Properties", {})
    protection = properties.get("DeletionProtectionEnabled")
    if isinstance(protection, str):
        cloudformation_json = {
            **cloudformation_json,
            "Properties": {**properties, "DeletionProtectionEnabled": protection.lower() == "true"},
        }
    table: Table = _create_table(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
    return table


Table.create_from_cloudformation_json = classmethod(_create_table_with_booleans)  # type: ignore[method-assign,assignment]


def _bus_name(self: EventBus) -> str:
    return str(self.name)


EventBus.physical_resource_id = property(_bus_name)  # type: ignore[assignment,method-assign,attr-defined]
