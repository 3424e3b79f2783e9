"""GET /aff_l - the advertiser's image/iframe pixel for the offer's default goal."""

from __future__ import annotations

import logging
from typing import Any

from goalpost import store
from goalpost.pixels import pixel_response

logging.getLogger().setLevel(logging.INFO)
store.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return pixel_response(event, default_goal=True)
