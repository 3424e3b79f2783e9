"""The tracking link (click): start a session and send the user to the offer."""

import logging
from collections.abc import Mapping
from typing import NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from goalpost.model.caps import has_click_caps
from goalpost.model.ids import cookie_name, new_transaction_id, require_id, visit_cookie_name
from goalpost.model.offer import NetworkSettings, Offer
from goalpost.model.refusal import Refused
from goalpost.model.screening import Verdict, flags_of, in_force, strongest
from goalpost.model.session import CLICK_CONTEXT_FIELDS, MAX_CLICK_SUB_CHARS, MAX_TEST_TOKEN, Session
from goalpost.rules.access import NO_ACCESS, may_run
from goalpost.rules.macros import UnsafeUrl, expand_url
from goalpost.store import config_cache, session_store

logger = logging.getLogger("goalpost.tracking")


class Click(NamedTuple):
    session: Session
    location: str
    cookie: str
    tracked: bool = True
    """False when the session could not be stored: the user still reaches the offer."""
    redirected: str = ""
    """The code the click was sent to a fallback for ("": it reached its offer)."""
    reason: str = ""
    visit_cookie: str = ""
    """The duplicate-click window's cookie, while that rule is on ("": none to set)."""

    @property
    def cookies(self) -> list[str]:
        return [c for c in (self.cookie, self.visit_cookie) if c]


def start_session(
    params: Mapping[str, str], *, ip: str, user_agent: str, now: float, visit_cookie: str = ""
) -> Click:
    """Check offer, partner and the partner's access to the offer, screen the visitor, store the
    session (the only write while screening is off), build the redirect; a click that cannot
    reach its offer goes to the offer's fallback (``fallback``). ``visit_cookie``: the offer's
    visit cookie the browser sent (``ids.visit_cookie_name``)."""
    offer_id = require_id(params, "offer_id")
    partner_id = require_id(params, "aff_id")
    subs: dict[str, str] = {}
    for name in CLICK_CONTEXT_FIELDS:
        value = params.get(name, "")
        if len(value) > MAX_CLICK_SUB_CHARS:
            raise Refused(f"{name} is longer than {MAX_CLICK_SUB_CHARS} characters")
        if value:
            subs[name] = value

    test_link = params.get("test", "")  # an admin's test link: checked when a conversion comes
    if len(test_link) > MAX_TEST_TOKEN:
        raise Refused(f"test is longer than {MAX_TEST_TOKEN} characters")

    bundle = config_cache.offer_bundle(offer_id)
    if bundle is None:
        raise Refused(f"offer {offer_id} does not exist", code="unknown_offer")
    offer = bundle.offer
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
        test_link=test_link,
    )
    if offer.status != "active":
        return fallback(session, offer, Refused(f"offer {offer_id} is {offer.status}", code="offer_inactive"))
    partner = config_cache.partner(partner_id)
    if partner is None:
        raise Refused(f"partner {partner_id} does not exist", code="unknown_partner")
    if partner.status != "active":
        refused = Refused(f"partner {partner_id} is {partner.status}", code="partner_inactive")
        return fallback(session, offer, refused)
    if not may_run(offer.access, bundle.access.get(partner_id)):
        # the partner's access came with the offer (its partition): no read of its own
        reason = f"partner {partner_id} has no access to offer {offer_id} ({offer.access})"
        refused = Refused(reason, code=NO_ACCESS)
        return fallback(session, offer, refused)
    macro_values = {
        "transaction_id": session.transaction_id,
        "offer_id": offer_id,
        "affiliate_id": partner_id,
        "offer_ref": offer.ref_id,
        **{name: subs.get(name, "") for name in CLICK_CONTEXT_FIELDS},
    }
    try:  # before screening: a click refused for its URL opens no duplicate window
        location = expand_url(offer.offer_url, macro_values)
    except UnsafeUrl:
        raise Refused(
            f"offer {offer_id}'s URL has macros in its host: refused rather than redirect elsewhere",
            code="unsafe_offer_url",
        ) from None
    network = config_cache.network()
    screening = in_force(network.screening, offer.screening)
    visit_cookie_set = ""
    screened = None
    if screening.screens_clicks:
        from goalpost.tracking.screening import screen_click  # only networks that screen import it

        screened = screen_click(session, screening, visit_cookie=visit_cookie, now=now)
        verdicts, visit = screened.verdicts, screened.visit
        if visit is not None and visit.seconds_left > 0:
            visit_cookie_set = _cookie(
                visit_cookie_name(offer_id), f"{visit.started:.3f}", visit.seconds_left
            )
        decided = strongest(verdicts)
        if decided is not None and decided.action == "refuse":
            return fallback(session._replace(flags=flags_of(verdicts)), offer, _refusal(decided), network)
        session = session._replace(flags=flags_of(verdicts))

    if offer.caps and has_click_caps(offer.caps):
        capped = _click_cap(session, offer, now)  # only offers with click caps write more
        if capped is not None:
            if screened is not None and screened.opened is not None:
                from goalpost.tracking.screening import close_opened

                close_opened(screened.opened)  # it never reached its offer: no window of its own
            return fallback(session, offer, capped, network)
    try:
        session_store.put_session(session)
    except (ClientError, BotoCoreError):
        # The user reaches the offer untracked rather than an error page: the advertiser keeps
        # the visitor; a later postback with this id answers unknown_transaction, honestly.
        logger.exception("session not stored: redirecting untracked")
        return Click(session=session, location=location, cookie="", tracked=False)
    cookie = _cookie(cookie_name(offer_id), session.transaction_id, lifespan)
    return Click(session=session, location=location, cookie=cookie, visit_cookie=visit_cookie_set)


def _cookie(name: str, value: str, max_age: int) -> str:
    """First-party to the tracking domain, sent on the advertiser's pixel requests (cross-site)."""
    return f"{name}={value}; Max-Age={max_age}; Path=/; SameSite=None; Secure; HttpOnly"


def _click_cap(session: Session, offer: Offer, now: float) -> Refused | None:
    """Count the click in its click caps' counters (README, Click caps): the refusal of a click
    over one, else None. A counter that cannot be written lets the click through (logged), as a
    screening counter does."""
    from goalpost.rules.caps import click_counters
    from goalpost.store.counter_store import count_click

    counters = click_counters(
        offer.caps, partner_id=session.partner_id, now=int(now), timezone=offer.timezone
    )
    if not counters:
        return None
    try:
        full = count_click(offer.offer_id, counters)
    except (ClientError, BotoCoreError):
        logger.exception("click cap counter not written: the click passes uncounted")
        return None
    if full is None:
        return None
    cap = full.cap
    whose = "the offer" if cap.partner_id == "" else f"partner {session.partner_id}"
    per = "in all" if cap.period == "lifetime" else f"a {cap.period}"
    return Refused(
        f"{whose}'s click cap on offer {offer.offer_id} is reached ({full.limit} clicks {per})",
        code="click_cap",
    )


def _refusal(verdict: Verdict) -> Refused:
    return Refused(verdict.reason, code=verdict.code)


def fallback(
    session: Session, offer: Offer, refused: Refused, network: NetworkSettings | None = None
) -> Click:
    """Where a click goes that cannot reach its offer (inactive, the partner inactive or without
    access, screened out): the offer's fallback offer (when active),
    its fallback URL, then the network's default URL; with none, the refusal is answered.

    The click is recorded with why (an item of the sessions table that expired as it was
    written and sets no cookie: nothing can convert on it); the fallback URL is given the
    click's own values (sub ids, partner) but no transaction id. ``offer_id`` and
    ``offer_ref`` are the fallback offer's own in its URL, the refusing offer's in a fallback
    URL (it tells the page which offer the visitor could not reach).
    """
    location = ""
    macro_offer = offer
    if offer.fallback_offer_id:
        target = config_cache.offer_bundle(offer.fallback_offer_id)
        if target is not None and target.offer.status == "active":
            location, macro_offer = target.offer.offer_url, target.offer
    if not location:
        location = offer.fallback_url
    if not location:
        location = (network or config_cache.network()).fallback_url
    if not location and refused.code in ("offer_inactive", "partner_inactive"):
        raise refused  # as before fallbacks: nothing recorded, the refusal answered
    record = session._replace(expires_at=int(session.created_at), redirected=refused.code)
    try:
        session_store.put_session(record)
    except (ClientError, BotoCoreError):
        logger.exception("redirected click not recorded")
    if not location:
        raise refused
    values = {
        "transaction_id": "",
        "offer_id": macro_offer.offer_id,
        "affiliate_id": session.partner_id,
        "offer_ref": macro_offer.ref_id,
        **{name: session.subs.get(name, "") for name in CLICK_CONTEXT_FIELDS},
    }
    try:
        location = expand_url(location, values)
    except UnsafeUrl:
        raise refused from None
    return Click(session=record, location=location, cookie="", redirected=refused.code, reason=refused.reason)
