"""The OpenAPI document's header: title, description and how each half is authenticated.

Routes document themselves (``http.documented`` and their return types); Powertools builds
the document from them, serves it with Swagger UI, and ``make openapi`` commits it.
"""

from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import APIKey, HTTPBearer

OPENAPI: dict[str, Any] = {
    "title": "Goalpost admin API",
    "version": "1.0.0",
    "description": (
        "Offers, goals, payouts and partners (IAM-signed requests under /admin, or a console "
        "user's token under /console/api/admin) and the partner's own view (x-api-key under "
        "/partner). Updates take If-Match with the version (ETag) you read (428 without it); "
        "creates answer 201 and accept an Idempotency-Key; every list is cursor-paginated."
    ),
    "security_schemes": {
        "iam": APIKey.model_validate(
            {"in": "header", "name": "Authorization", "description": "AWS SigV4 (IAM)"}
        ),
        "partnerKey": APIKey.model_validate({"in": "header", "name": "x-api-key"}),
        "consoleUser": HTTPBearer(
            bearerFormat="JWT",
            description="Console users: a Cognito access token, on /console/api/admin/... (same routes)",
        ),
    },
}


def openapi_json(app: Any) -> str:
    """The document as Swagger UI serves it (the committed docs/openapi.json is this)."""
    return str(app.get_openapi_json_schema(**OPENAPI))
