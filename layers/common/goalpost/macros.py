"""Macro expansion for offer URLs and partner postbacks (``{transaction_id}``...)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from goalpost.domain import OfferBundle
from goalpost.money import format_money

_MACRO = re.compile(r"\{([a-z_0-9]+)\}")

ALIASES = {"aff_sub1": "aff_sub", "adv_sub1": "adv_sub"}


def url_encode(value: str) -> str:
    return quote(value, safe="")


def expand_macros(template: str, values: Mapping[str, str], escape: Callable[[str], str] = url_encode) -> str:
    """Fill ``{name}`` macros with encoded values; unknown macros become empty.

    By default every value is percent-encoded (nothing is "safe"), so a value can never add
    query parameters, change the host or inject a fragment into the URL it lands in. For
    HTML pixel code, pass ``html.escape`` so a value can never add markup.
    """

    def substitute(match: re.Match[str]) -> str:
        name = ALIASES.get(match.group(1), match.group(1))
        return escape(values.get(name, ""))

    return _MACRO.sub(substitute, template)


def _money(value: Any) -> str:
    return format_money(value) if isinstance(value, Decimal) else ""


def conversion_macros(conversion: Mapping[str, Any], bundle: OfferBundle, goal_id: str) -> dict[str, str]:
    """The contract's partner macros for one conversion (partner postbacks and pixels)."""
    import secrets

    goal = bundle.goal(goal_id)
    subs: Mapping[str, str] = conversion.get("subs", {})
    adv_subs: Mapping[str, str] = conversion.get("adv_subs", {})
    values = {
        "transaction_id": str(conversion.get("transaction_id", "")),
        "offer_id": bundle.offer.offer_id,
        "affiliate_id": str(conversion.get("partner_id", "")),
        "source": subs.get("source", ""),
        "aff_click_id": subs.get("aff_click_id", ""),
        "payout": _money(conversion.get("payout")),
        "sale_amount": _money(conversion.get("sale_amount")),
        "currency": str(conversion.get("currency", "")),
        "goal_id": goal_id,
        "goal_name": goal.slug if goal else str(conversion.get("goal_name", "")),
        "goal_ref": goal.ref_id if goal else "",
        "session_ip": str(conversion.get("session_ip", "")),
        "ip": str(conversion.get("ip", "")),
        "ran": str(secrets.randbelow(10**9)),
        "advertiser_id": str(conversion.get("advertiser_id", "")),
        "offer_ref": bundle.offer.ref_id,
        "conversion_id": str(conversion.get("conversion_id", "")),
    }
    for name in ("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5"):
        values[name] = subs.get(name, "")
    for name in ("adv_sub", "adv_sub2", "adv_sub3", "adv_sub4", "adv_sub5"):
        values[name] = adv_subs.get(name, "")
    return values
