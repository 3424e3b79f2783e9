"""GET /aff_l (the default goal's image/iframe pixel) and GET /aff_i (impression pixel)."""

from __future__ import annotations

import gc
import logging
from typing import Any

gc.disable()  # no garbage collections while the init phase imports: they cost ~30 ms (make bench)

from goalpost import settings
from goalpost.store import dynamo, signing_keys
from goalpost.web.pixels import impression_response, pixel_response

logging.getLogger().setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(
    settings.config_table, settings.conversions_table, settings.sessions_table, settings.stats_table
)
dynamo.client()
signing_keys.check_environment_keys()  # malformed keys in the environment fail the cold start loudly
gc.enable()
gc.freeze()  # what init built is permanent: warm invocations never scan it


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("rawPath") == "/aff_i":
        return impression_response(event)
    return pixel_response(event, default_goal=True)
