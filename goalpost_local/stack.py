"""A deployed stack's resources, for the local runtime (``GOALPOST_STACK=<stack name>``).

The deploy check (tests/deploy) creates the stack on moto's CloudFormation; the runtime then
uses the tables, queues, user pool and signing-keys parameter the stack names, by their
physical ids, and creates none of its own: what the code needs must come from the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goalpost_local.template import parameter_defaults, resources


class StackIncomplete(Exception):
    """The stack lacks a resource the runtime needs (not created, or not in the template)."""


@dataclass(frozen=True)
class Deployed:
    name: str
    physical: dict[str, str]
    """Logical id -> physical id of every resource the stack created."""
    parameters: dict[str, str]
    """The stack's parameters (the template's defaults where the deploy set none)."""

    def _of(self, kind: str) -> dict[str, str]:
        wanted = set(resources(kind))
        missing = wanted - set(self.physical)
        if missing:
            raise StackIncomplete(f"stack {self.name} has no {kind} {sorted(missing)}")
        return {logical: self.physical[logical] for logical in wanted}

    def tables(self) -> dict[str, str]:
        """Logical id -> table name."""
        return self._of("AWS::DynamoDB::Table")

    def queues(self) -> dict[str, str]:
        """Logical id -> queue URL (an SQS queue's physical id)."""
        return self._of("AWS::SQS::Queue")

    def event_buses(self) -> dict[str, str]:
        """Logical id -> EventBridge bus name (its physical id)."""
        return self._of("AWS::Events::EventBus")

    def user_pool(self) -> tuple[str, str]:
        """The console's user pool id and its client id."""
        ((pool,),) = [list(self._of("AWS::Cognito::UserPool").values())]
        ((client,),) = [list(self._of("AWS::Cognito::UserPoolClient").values())]
        return pool, client

    @property
    def signing_keys_parameter(self) -> str:
        return self.parameters["SigningKeysParameter"]


def find(cloudformation: Any, stack_name: str) -> Deployed:
    """The stack's resources (only those it completed) and parameters."""
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise StackIncomplete(f"stack {stack_name} is {stack['StackStatus']}")
    physical: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceStatus"] == "CREATE_COMPLETE" and resource.get("PhysicalResourceId"):
                physical[resource["LogicalResourceId"]] = resource["PhysicalResourceId"]
    parameters = {
        **parameter_defaults(),
        **{p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])},
    }
    return Deployed(stack_name, physical, parameters)
