"""The tracking link (click): start a session and send the user to the offer."""

import logging
from collections.abc import Mapping
from typing import NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from goalpost.model.ids import cookie_name, new_transaction_id, require_id
from goalpost.model.refusal import Refused
from goalpost.model.session import CLICK_CONTEXT_FIELDS, MAX_CLICK_SUB_CHARS, Session
from goalpost.rules.macros import UnsafeUrl, expand_url
from goalpost.store import config_cache, session_store

logger = logging.getLogger("goalpost.tracking")


class Click(NamedTuple):
    session: Session
    location: str
    cookie: str
    tracked: bool = True
    """False when the session could not be stored: the user still reaches the offer."""


def start_session(params: Mapping[str, str], *, ip: str, user_agent: str, now: float) -> Click:
    """Check offer and partner, store the session (the only write), build the redirect."""
    offer_id = require_id(params, "offer_id")
    partner_id = require_id(params, "aff_id")
    subs: dict[str, str] = {}
    for name in CLICK_CONTEXT_FIELDS:
        value = params.get(name, "")
        if len(value) > MAX_CLICK_SUB_CHARS:
            raise Refused(f"{name} is longer than {MAX_CLICK_SUB_CHARS} characters")
        if value:
            subs[name] = value

    bundle = config_cache.offer_bundle(offer_id)
    if bundle is None:
        raise Refused(f"offer {offer_id} does not exist", code="unknown_offer")
    offer = bundle.offer
    if offer.status != "active":
        raise Refused(f"offer {offer_id} is {offer.status}", code="offer_inactive")
    partner = config_cache.partner(partner_id)
    if partner is None:
        raise Refused(f"partner {partner_id} does not exist", code="unknown_partner")
    if partner.status != "active":
        raise Refused(f"partner {partner_id} is {partner.status}", code="partner_inactive")

    lifespan = offer.session_hours * 3600
    session = Session(
        transaction_id=new_transaction_id(),
        offer_id=offer_id,
        partner_id=partner_id,
        created_at=round(now, 3),
        expires_at=int(now) + lifespan,
        subs=subs,
        ip=ip,
        user_agent=user_agent,
    )
    macro_values = {
        "transaction_id": session.transaction_id,
        "offer_id": offer_id,
        "affiliate_id": partner_id,
        "offer_ref": offer.ref_id,
        **{name: subs.get(name, "") for name in CLICK_CONTEXT_FIELDS},
    }
    try:
        location = expand_url(offer.offer_url, macro_values)
    except UnsafeUrl:
        raise Refused(
            f"offer {offer_id}'s URL has macros in its host: refused rather than redirect elsewhere",
            code="unsafe_offer_url",
        ) from None
    try:
        session_store.put_session(session)
    except (ClientError, BotoCoreError):
        # The user reaches the offer untracked rather than an error page: the advertiser keeps
        # the visitor; a later postback with this id answers unknown_transaction, honestly.
        logger.exception("session not stored: redirecting untracked")
        return Click(session=session, location=location, cookie="", tracked=False)
    cookie = (
        f"{cookie_name(offer_id)}={session.transaction_id}; Max-Age={lifespan}; Path=/; "
        "SameSite=None; Secure; HttpOnly"
    )
    return Click(session=session, location=location, cookie=cookie)
