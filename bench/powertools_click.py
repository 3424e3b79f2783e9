"""The click handler on the full Powertools stack, built only to compare cold starts.

Logger + Metrics + Tracer + the validating resolver with a pydantic model of the query:
what a handler written "by the book" would import. Not deployed.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from goalpost.store import dynamo
from goalpost.tracking.clicks import start_session

logger = Logger()
metrics = Metrics(namespace="goalpost")
tracer = Tracer()
app = APIGatewayHttpResolver(enable_validation=True)
dynamo.client()


class ClickQuery(BaseModel):
    offer_id: Annotated[str, Field(pattern=r"^[0-9]{1,12}$")]
    aff_id: Annotated[str, Field(pattern=r"^[0-9]{1,12}$")]


@app.get("/aff_c")
@tracer.capture_method
def click(offer_id: Annotated[str, Query()], aff_id: Annotated[str, Query()]) -> Response[Any]:
    query = ClickQuery(offer_id=offer_id, aff_id=aff_id)
    result = start_session(
        {"offer_id": query.offer_id, "aff_id": query.aff_id}, ip="", user_agent="", now=int(time.time())
    )
    return Response(302, headers={"location": result.location}, body="")


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
