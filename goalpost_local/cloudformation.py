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

The export (README, "Export and analytics"): moto's CloudFormation models neither Glue
databases and tables, nor Athena workgroups, nor Firehose delivery streams, nor S3 bucket
policies, though its backends have each. They are modelled here on those backends with the
API's own calls (CreateDatabase, CreateTable, CreateWorkGroup, CreateDeliveryStream,
PutBucketPolicy), so the deploy check reads back what the stack made, and the stack's
deletion removes them. moto's bucket takes only encryption and tags from CloudFormation: its
lifecycle rules, public access block and ownership controls are applied here too.
"""

from __future__ import annotations

import json
from typing import Any

from moto.athena.models import athena_backends
from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.events.models import EventBus
from moto.firehose.models import firehose_backends
from moto.glue.models import glue_backends
from moto.kms.models import Key
from moto.s3.models import FakeBucket, s3_backends
from moto.sqs.models import sqs_backends
from moto.utilities.utils import get_partition

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


class _Named:
    """A resource known by its name (Ref), deleted with the stack by ``_delete``. A mixin: moto
    finds models among CloudFormationModel's direct subclasses only."""

    def __init__(self, name: str, account_id: str, region_name: str, arn: str = "") -> None:
        self.name, self.account_id, self.region_name, self.arn = name, account_id, region_name, arn

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    def delete(self, account_id: str, region_name: str) -> None:
        self._delete()

    def _delete(self) -> None:
        raise NotImplementedError


class GlueDatabase(_Named, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Glue::Database"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> GlueDatabase:
        database_input = dict(cloudformation_json["Properties"]["DatabaseInput"])
        name = str(database_input.get("Name") or resource_name).lower()  # Glue keeps names lower case
        glue_backends[account_id][region_name].create_database(name, {**database_input, "Name": name})
        return cls(name, account_id, region_name)

    def _delete(self) -> None:
        glue_backends[self.account_id][self.region_name].delete_database(self.name)


class GlueTable(_Named, CloudFormationModel):
    def __init__(self, database: str, name: str, account_id: str, region_name: str) -> None:
        super().__init__(name, account_id, region_name)
        self.database = database

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Glue::Table"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> GlueTable:
        properties = cloudformation_json["Properties"]
        database, table_input = str(properties["DatabaseName"]), dict(properties["TableInput"])
        name = str(table_input["Name"]).lower()
        glue_backends[account_id][region_name].create_table(database, name, table_input)
        return cls(database, name, account_id, region_name)

    def _delete(self) -> None:
        # moto deletes a stack's resources in no particular order (CloudFormation: dependents
        # first): a table whose database went first went with it
        database = glue_backends[self.account_id][self.region_name].databases.get(self.database)
        if database is not None:
            database.tables.pop(self.name, None)


class AthenaWorkGroup(_Named, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Athena::WorkGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> AthenaWorkGroup:
        properties = cloudformation_json["Properties"]
        name = str(properties.get("Name") or resource_name)
        athena_backends[account_id][region_name].create_work_group(
            name,
            properties.get("WorkGroupConfiguration", {}),
            properties.get("Description", ""),
            properties.get("Tags", []),
        )
        return cls(name, account_id, region_name)

    def _delete(self) -> None:
        athena_backends[self.account_id][self.region_name].delete_work_group(self.name)


class DeliveryStream(_Named, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::KinesisFirehose::DeliveryStream"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DeliveryStreamName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> DeliveryStream:
        properties = cloudformation_json["Properties"]
        name = str(properties.get("DeliveryStreamName") or resource_name)
        arn = firehose_backends[account_id][region_name].create_delivery_stream(
            region=region_name,
            delivery_stream_name=name,
            delivery_stream_type=properties.get("DeliveryStreamType", "DirectPut"),
            kinesis_stream_source_configuration={},
            delivery_stream_encryption_configuration_input={},
            s3_destination_configuration={},
            extended_s3_destination_configuration=properties["ExtendedS3DestinationConfiguration"],
            redshift_destination_configuration={},
            elasticsearch_destination_configuration={},
            splunk_destination_configuration={},
            http_endpoint_destination_configuration={},
            snowflake_destination_configuration={},
            iceberg_destination_configuration={},
            tags=properties.get("Tags", []),
        )
        return cls(name, account_id, region_name, str(arn))

    def _delete(self) -> None:
        firehose_backends[self.account_id][self.region_name].delete_delivery_stream(self.name)


class BucketPolicy(_Named, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> BucketPolicy:
        properties = cloudformation_json["Properties"]
        bucket = str(properties["Bucket"])
        policy = json.dumps(properties["PolicyDocument"]).encode()
        s3_backends[account_id][get_partition(region_name)].put_bucket_policy(bucket, policy)
        return cls(bucket, account_id, region_name)

    def _delete(self) -> None:
        backend = s3_backends[self.account_id][get_partition(self.region_name)]
        if self.name in backend.buckets:  # the bucket may have gone first (see GlueTable)
            backend.delete_bucket_policy(self.name)


_create_bucket = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule as the S3 API takes it."""
    found: dict[str, Any] = {
        "ID": rule.get("Id", ""),
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        found["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        found["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return found


def _create_bucket_whole(
    cls: type[FakeBucket],
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kw: Any,
) -> FakeBucket:
    bucket: FakeBucket = _create_bucket(
        cls, resource_name, cloudformation_json, account_id, region_name, **kw
    )
    properties = cloudformation_json.get("Properties", {})
    backend = s3_backends[account_id][get_partition(region_name)]
    if "LifecycleConfiguration" in properties:
        rules = [_lifecycle_rule(r) for r in properties["LifecycleConfiguration"]["Rules"]]
        backend.put_bucket_lifecycle_configuration(bucket.name, rules)
    if "PublicAccessBlockConfiguration" in properties:
        backend.put_public_access_block(bucket.name, properties["PublicAccessBlockConfiguration"])
    if "OwnershipControls" in properties:
        backend.put_bucket_ownership_controls(bucket.name, properties["OwnershipControls"])
    return bucket


FakeBucket.create_from_cloudformation_json = classmethod(_create_bucket_whole)  # type: ignore[method-assign,assignment]


def _bus_name(self: EventBus) -> str:
    return str(self.name)


EventBus.physical_resource_id = property(_bus_name)  # type: ignore[assignment,method-assign,attr-defined]
