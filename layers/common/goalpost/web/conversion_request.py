"""The conversion request a postback or pixel makes: its parameters parsed once, here.

A pixel passes the transaction id its tracking cookie names (``session_from_cookies``); a
postback names it in ``transaction_id``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from goalpost.model.conversion import STATUSES, TEST_CODES
from goalpost.model.conversion_request import ConversionRequest, Via
from goalpost.model.ids import COOKIE_PREFIX, is_transaction_id, optional_id
from goalpost.model.money import InvalidAmount, parse_amount
from goalpost.model.offer import DEFAULT_GOAL_ID
from goalpost.model.refusal import Refused
from goalpost.model.session import ADV_SUB_FIELDS, UNIQUE_FIELDS
from goalpost.rules.signing import verify as verify_token
from goalpost.store import signing_keys
from goalpost.web.params import source_ip, user_agent

_CURRENCY = re.compile(r"[A-Za-z]{3}")
TUNE_TEST_STATUSES = {str(number): code for code, number in TEST_CODES.items()}
"""``status=21``, ``22`` or ``23`` (TUNE's employee test, affiliate test, debug): recorded as that test."""


def request_of(
    event: Mapping[str, Any],
    params: Mapping[str, str],
    *,
    default_goal: bool,
    via: Via,
    transaction_id: str | None = None,
) -> ConversionRequest:
    """``conversion_request`` for an HTTP request: its caller's address and user agent from the event."""
    return conversion_request(
        params,
        default_goal=default_goal,
        via=via,
        ip=source_ip(event),
        user_agent=user_agent(event),
        transaction_id=transaction_id,
    )


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
        from goalpost.model.currency import is_currency  # sent with amounts only: off the cold start

        if not _CURRENCY.fullmatch(currency) or not is_currency(currency.upper()):
            raise Refused("currency must be a three-letter ISO 4217 code", code="invalid_currency")
        currency = currency.upper()
    new_status = params.get("status", "")
    test, test_code = params.get("test", "") in ("1", "true"), ""
    if new_status in TUNE_TEST_STATUSES:  # TUNE's test status codes: a test conversion, not an update
        test, test_code, new_status = True, TUNE_TEST_STATUSES[new_status], ""
    if new_status and new_status not in STATUSES:
        raise Refused(
            "status must be approved, pending or rejected (or TUNE's test codes 21, 22, 23)",
            code="bad_status",
        )
    if new_status and via != "server_postback":
        # A pixel is fired by the visitor's browser, which the partner may control: were it
        # heard, a partner could approve its own held conversions.
        raise Refused(
            "only the advertiser's server postback changes a conversion's status, never a pixel",
            code="status_by_pixel",
        )
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
        query=params,
        test=test,
        test_code=test_code,
        test_delivery=params.get("test_delivery", "") in ("1", "true"),
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
