"""Screening a click or a conversion: the rules (``rules.screening``) over the counters
(``store.screening_store``). Imported only by a click path whose network screens clicks.

A counter that cannot be written (throttled, timed out) lets the request through unjudged by
its rule, logged: screening must never turn a storage hiccup into a lost visitor or conversion.
"""

import logging
from typing import NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from goalpost.model.conversion_request import ConversionRequest
from goalpost.model.screening import Screening, Verdict
from goalpost.model.session import Session
from goalpost.rules import screening as rules
from goalpost.store import screening_store

logger = logging.getLogger("goalpost.screening")


class Visit(NamedTuple):
    """The visitor's running duplicate-click window, for the browser's visit cookie."""

    started: float
    """Its unique click's time (this click's, when it was the unique one)."""
    seconds_left: int


class ClickScreening(NamedTuple):
    verdicts: list[Verdict]
    visit: Visit | None = None
    """None while the duplicate rule is off (or its counter could not be written)."""
    opened: str = ""
    """The visitor whose window this click's own write opened ("": none): a click that then
    never reaches the offer (``close_visit``) must not leave it open."""


def screen_click(session: Session, screening: Screening, *, visit_cookie: str, now: float) -> ClickScreening:
    """The click rules in order of cost: the user agent (no write), the IP's click rate, then
    the duplicate visitor (one write each, only while its rule is on and nothing refused yet).

    The duplicate rule asks the browser first: a visit cookie from a click within the window
    makes this click its duplicate without a write, from any IP. Without one, the IP and user
    agent's window answers (one conditional write)."""
    verdicts = rules.user_agent_verdicts(session.user_agent, screening)
    refused = any(v.action == "refuse" for v in verdicts)
    visit: Visit | None = None
    opened = ""
    try:
        if screening.click_rate.on and not refused:
            count = screening_store.count_click(rules.ip_key(session.ip), int(now // 60))
            found = rules.click_rate_verdict(count, screening.click_rate, session.ip)
            if found is not None:
                verdicts.append(found)
                refused = found.action == "refuse"
        window = screening.duplicate_clicks.limit
        if screening.duplicate_clicks.on and not refused:
            started = rules.visit_window_start(visit_cookie, now, window)
            if started is None:
                visitor = rules.visitor_key(session.offer_id, session.ip, session.user_agent)
                started = screening_store.visit(session.offer_id, visitor, now, window)
                opened = visitor if started is None else ""
            dup = rules.duplicate_click_verdict(started, now, screening.duplicate_clicks)
            if dup is not None:
                verdicts.append(dup)
            started = now if started is None else started
            visit = Visit(started, round(started + window - now))  # to the second: the server judges the end
    except (ClientError, BotoCoreError):
        logger.exception("screening counter not written: the click passes unjudged by it")
    return ClickScreening(verdicts, visit, opened)


def close_visit(session: Session, screened: ClickScreening, *, now: float) -> None:
    """Undo the window a click opened when it then never reached the offer (sent to the
    fallback by a full click cap): the visitor's next click that does reach it is its unique
    one. One conditional delete, on that path only, that removes only the window this click
    opened (a window another click opened since stays). Not written (throttled): logged, the
    window stays, the click still goes where it was going."""
    if not screened.opened:
        return
    try:
        screening_store.forget_visit(session.offer_id, screened.opened, now)
    except (ClientError, BotoCoreError):
        logger.exception("visitor window of a click that never reached its offer not removed")


def screen_conversion(
    request: ConversionRequest, session: Session, screening: Screening, conversion_key: str, *, now: float
) -> list[Verdict]:
    """The conversion rules that need more than the judge's facts: a pixel's IP against its
    click's, then the conversions per visitor IP per hour on the offer (one write, while the
    rule is on; ``conversion_key`` names the conversion, which counts once however often it
    is reported)."""
    verdicts: list[Verdict] = []
    if request.via == "client_cookie":
        found = rules.ip_mismatch_verdict(request.ip, session.ip, screening.ip_mismatch)
        if found is not None:
            verdicts.append(found)
    rule = screening.conversion_rate
    # The visitor's IP: a pixel's own (the browser's), a server postback's click (the request
    # itself comes from the advertiser's server, the same for every conversion).
    visitor_ip = request.ip if request.via == "client_cookie" else session.ip
    if rule.on and visitor_ip:
        key = rules.ip_key(visitor_ip)
        try:
            counted = screening_store.count_conversion(
                session.offer_id,
                key,
                int(now // 3600),
                conversion_key,
                rule.limit,
            )
        except (ClientError, BotoCoreError):
            logger.exception("conversion rate counter not written: the conversion passes unjudged by it")
            counted = True
        found = rules.conversion_rate_verdict(counted, rule, visitor_ip, session.offer_id)
        if found is not None:
            verdicts.append(found)
    return verdicts
