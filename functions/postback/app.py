"""GET /aff_lsr and /aff_goal - advertiser server postbacks (and goal pixels, a=l|lc).

API Gateway routes by path only, so /aff_goal lands here for all of its forms; the pixel
forms are answered by the same layer function as /aff_l, imported on first use.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

gc.disable()  # no garbage collections while the init phase imports: they cost ~30 ms (make bench)

from goalpost import settings
from goalpost.store import dynamo, signing_keys
from goalpost.web.postbacks import postback_answer

logging.getLogger().setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(
    settings.config_table, settings.conversions_table, settings.sessions_table, settings.stats_table
)
dynamo.client()  # create the DynamoDB client in the init phase
signing_keys.check_environment_keys()  # malformed keys in the environment fail the cold start loudly
gc.enable()
gc.freeze()  # what init built is permanent: warm invocations never scan it


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return postback_answer(event)
