"""HttpApi Lambda authorizer (simple responses): the partner's x-api-key to its partner id.

Keys are stored only as SHA-256; API Gateway caches each answer for five minutes.
"""

import logging
from typing import Any

from goalpost import settings
from goalpost.store import config_store, dynamo

logger = logging.getLogger()
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(settings.config_table)
dynamo.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    key = (event.get("headers") or {}).get("x-api-key", "")
    if not key or len(key) > 200:
        return {"isAuthorized": False}
    partner_id = config_store.partner_for_api_key(key)
    partner = config_store.get_partner(partner_id) if partner_id else None
    if partner is None or partner.status != "active":
        logger.info("partner key refused")
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": {"partner_id": partner.partner_id}}
