"""The tracking routes' requests: strict query parsing (bad input is a clear 4xx), the
conversion request a postback or pixel makes, the session a pixel's cookie names.

API Gateway HTTP API joins repeated parameters with commas in
``queryStringParameters``; we parse ``rawQueryString`` ourselves to refuse them instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from goalpost.model.conversion import STATUSES
from goalpost.model.ids import COOKIE_PREFIX, is_transaction_id, optional_id
from goalpost.model.money import InvalidAmount, parse_amount
from goalpost.model.offer import DEFAULT_GOAL_ID
from goalpost.model.refusal import Refused
from goalpost.model.session import ADV_SUB_FIELDS, UNIQUE_FIELDS
from goalpost.rules.engine import ConversionRequest, Via
from goalpost.rules.signing import verify as verify_token
from goalpost.store import signing_keys

MAX_QUERY_BYTES = 8192
MAX_VALUE_CHARS = 500
"""TUNE allows adv_sub values of up to 500 characters; no tracking value needs more."""
MAX_FIELDS = 64

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKUP = re.compile(r"[<>\"'`\\]")
"""Tracking values end up in partner URLs, HTML pixels and CSV exports: no markup or quotes."""
_NAME = re.compile(r"[a-z_0-9]{1,40}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def query_params(event: Mapping[str, Any]) -> dict[str, str]:
    """Decode the query string: UTF-8 only, no control characters, no repeats, bounded sizes."""
    raw = event.get("rawQueryString") or ""
    if len(raw) > MAX_QUERY_BYTES:
        raise Refused(f"query string longer than {MAX_QUERY_BYTES} bytes", code="query_too_long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise Refused("query string is not valid UTF-8") from None
    except ValueError:
        raise Refused(f"more than {MAX_FIELDS} query parameters") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if not _NAME.fullmatch(name):
            continue  # unknown junk names are ignored, as trackers do with extra parameters
        if name in params:
            raise Refused(f"parameter {name} is repeated")
        if _CONTROL.search(value):
            raise Refused(f"parameter {name} contains control characters")
        if _MARKUP.search(value):
            raise Refused(
                f"parameter {name} contains characters not allowed in tracking values: < > \" ' ` \\"
            )
        if len(value) > MAX_VALUE_CHARS:
            raise Refused(f"parameter {name} is longer than {MAX_VALUE_CHARS} characters")
        params[name] = value
    return params


def lenient_params(event: Mapping[str, Any]) -> dict[str, str]:
    """The first value of each parameter, never refusing anything: only to decide how to answer.

    A postback asking ``format=json``, or a pixel (``a=l``), must be answered in its own form
    even when its parameters are refused; strict parsing (``query_params``) decides the rest.
    """
    raw = (event.get("rawQueryString") or "")[:MAX_QUERY_BYTES]
    found: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True, errors="replace"):
        found.setdefault(name, value)
    return found


def source_ip(event: Mapping[str, Any]) -> str:
    http: Mapping[str, Any] = event.get("requestContext", {}).get("http", {})
    return str(http.get("sourceIp", ""))


def user_agent(event: Mapping[str, Any]) -> str:
    http: Mapping[str, Any] = event.get("requestContext", {}).get("http", {})
    return str(http.get("userAgent", ""))[:400]


def conversion_request(
    params: Mapping[str, str],
    *,
    default_goal: bool,
    via: Via,
    ip: str,
    user_agent: str,
    transaction_id: str | None = None,
) -> ConversionRequest:
    """Validate a postback's or pixel's parameters; raises Refused with the reason.

    ``transaction_id`` is given by pixels that found their session by the tracking cookie.
    """
    txid = transaction_id if transaction_id is not None else params.get("transaction_id", "")
    if not txid:
        raise Refused("transaction_id is required", code="missing_transaction_id")
    if not is_transaction_id(txid):
        raise Refused("transaction_id is malformed", code="malformed_transaction_id")
    goal_id = optional_id(params, "goal_id")
    goal_name = params.get("goal_name") or None
    goal_ref = params.get("goal_ref") or None
    offer_id = optional_id(params, "offer_id")
    encrypted = False
    if params.get("enc"):
        target = verify_token(params["enc"], signing_keys.keyring())
        if target is None:
            raise Refused(
                "enc is not a valid encrypted link (altered, forged or signed with a retired key)",
                code="invalid_encrypted_link",
            )
        if (goal_id is not None and goal_id != target.goal_id) or (offer_id not in (None, target.offer_id)):
            raise Refused("goal_id/offer_id disagree with the encrypted link", code="enc_mismatch")
        encrypted, offer_id, goal_name, goal_ref = True, target.offer_id, None, None
        default_goal = target.goal_id == DEFAULT_GOAL_ID
        goal_id = None if default_goal else target.goal_id
    amount = None
    if params.get("amount", "") != "":
        try:
            amount = parse_amount(params["amount"])
        except InvalidAmount as error:
            raise Refused(str(error), code="invalid_amount") from None
    currency = params.get("currency") or None
    if currency is not None:
        if not _CURRENCY.fullmatch(currency):
            raise Refused("currency must be a three-letter ISO 4217 code", code="invalid_currency")
        currency = currency.upper()
    new_status = params.get("status", "")
    if new_status and new_status not in STATUSES:
        raise Refused("status must be approved, pending or rejected", code="bad_status")
    if not new_status and not default_goal and goal_id is None and goal_name is None and goal_ref is None:
        raise Refused("a goal postback needs goal_id, goal_name or goal_ref", code="missing_goal")
    adv_subs = {name: params[name] for name in ADV_SUB_FIELDS if params.get(name)}
    unique_ids = tuple((name, params[name]) for name in UNIQUE_FIELDS if params.get(name))
    canonical = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "format")
    fingerprint = hashlib.sha256(f"{txid}|{default_goal}|{canonical}".encode()).hexdigest()
    return ConversionRequest(
        transaction_id=txid.lower(),
        default_goal=default_goal,
        goal_id=goal_id,
        goal_name=goal_name,
        goal_ref=goal_ref,
        offer_id=offer_id,
        amount=amount,
        adv_subs=adv_subs,
        unique_ids=unique_ids,
        security_token=params.get("security_token", ""),
        ip=ip,
        user_agent=user_agent,
        via=via,
        fingerprint=fingerprint,
        encrypted=encrypted,
        new_status=new_status,
        reason=params.get("reason", "")[:200],
        advertiser_id=optional_id(params, "adv_id"),
        currency=currency,
        session_from_cookie=transaction_id is not None,
    )


MAX_COOKIE_CHARS = 4096


def session_from_cookies(cookies: Sequence[str], offer_id: str | None) -> str | None:
    """The transaction id from the per-offer tracking cookie (or the only one, if one)."""
    found: dict[str, str] = {}
    for cookie in cookies:
        if len(cookie) > MAX_COOKIE_CHARS:
            continue
        name, _, value = cookie.strip().partition("=")
        if name.startswith(COOKIE_PREFIX):
            found[name.removeprefix(COOKIE_PREFIX)] = value
    if offer_id is not None:
        return found.get(offer_id)
    if len(found) == 1:
        return next(iter(found.values()))
    return None
