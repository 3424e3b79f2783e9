"""Macro expansion for offer URLs and partner postbacks (``{transaction_id}``...)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

_MACRO = re.compile(r"\{([a-z_0-9]+)\}")

ALIASES = {"aff_sub1": "aff_sub", "adv_sub1": "adv_sub"}


def expand_macros(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` macros with URL-encoded values; unknown macros become empty.

    Every value is percent-encoded (nothing is "safe"), so a value can never add query
    parameters, change the host or inject a fragment into the URL it lands in.
    """

    def substitute(match: re.Match[str]) -> str:
        name = ALIASES.get(match.group(1), match.group(1))
        return quote(values.get(name, ""), safe="")

    return _MACRO.sub(substitute, template)
