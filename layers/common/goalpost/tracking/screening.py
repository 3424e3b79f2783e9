"""Screening a click or a conversion: the rules (``rules.screening``) over the counters
(``store.screening_store``). Imported only by a click path whose network screens clicks.

A counter that cannot be written (throttled, timed out) lets the request through unjudged by
its rule, logged: screening must never turn a storage hiccup into a lost visitor or conversion.
"""

import logging
from typing import NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from goalpost.model.conversion_request import ConversionRequest
from goalpost.model.ip_ledger import Window
from goalpost.model.screening import Screening, Verdict
from goalpost.model.session import Session
from goalpost.rules import ip_ledger
from goalpost.rules import screening as rules
from goalpost.store import screening_store

logger = logging.getLogger("goalpost.screening")


class Visit(NamedTuple):
    """The visitor's running duplicate-click window, for the browser's visit cookie."""

    started: float
    """Its unique click's time (this click's, when it was the unique one)."""
    seconds_left: int


class Opened(NamedTuple):
    """A duplicate window a click opened in its IP's ledger: closed again if the click then
    never reaches its offer (``close_opened``)."""

    ip_key: str
    name: str
    window: Window


class ClickScreening(NamedTuple):
    verdicts: list[Verdict]
    visit: Visit | None = None
    """None while the duplicate rule is off (or its counter could not be written)."""
    opened: Opened | None = None


def screen_click(session: Session, screening: Screening, *, visit_cookie: str, now: float) -> ClickScreening:
    """The click rules in order of cost: the user agent (no write), then the IP's click rate and
    the duplicate visitor, while nothing refused the click yet.

    Both counting rules keep their state in the IP's ledger (``rules.ip_ledger``): one read,
    then one write that counts the click and opens the visitor's window, exact under any
    concurrency. The duplicate rule asks the browser first: a visit cookie from a click within
    the window makes this click its duplicate, from any IP, and the ledger then only counts it
    (or, with the click rate off, is not touched)."""
    verdicts = rules.user_agent_verdicts(session.user_agent, screening)
    if any(v.action == "refuse" for v in verdicts):
        return ClickScreening(verdicts)
    rate, duplicates = screening.click_rate, screening.duplicate_clicks
    started = rules.visit_window_start(visit_cookie, now, duplicates.limit) if duplicates.on else None
    opened: Opened | None = None
    if rate.on or (duplicates.on and started is None):
        ip = rules.ip_key(session.ip)
        visitor = (
            ""
            if not duplicates.on or started is not None
            else rules.visitor_key(session.offer_id, session.ip, session.user_agent)
        )
        refuse_over = rate.limit if rate.on and rate.action == "refuse" else None
        try:
            planned = ip_ledger.plan(
                screening_store.read_ledger(ip), minute=int(now // 60), now=now, visitor=visitor,
                window_seconds=duplicates.limit, refuse_over=refuse_over,
            )  # fmt: skip
            judged = ip_ledger.judged(screening_store.write_ledger(ip, planned, now), planned, visitor, now)
        except (ClientError, BotoCoreError):
            logger.exception("screening counter not written: the click passes unjudged by it")
            return ClickScreening(verdicts)
        if planned.opened is not None:
            mine = Opened(ip, planned.open_name, planned.opened)
            if judged.undo:  # it wrote a window a racer across the bucket's edge opened first
                close_opened(mine)
            elif judged.started is None:
                opened = mine
        found = rules.click_rate_verdict(judged.clicks_this_minute, rate, session.ip)
        if found is not None:
            verdicts.append(found)
            if found.action == "refuse":  # it never reaches its offer: it keeps no window
                if opened is not None:
                    close_opened(opened)
                return ClickScreening(verdicts)
        if visitor:
            started = judged.started
    if not duplicates.on:
        return ClickScreening(verdicts)
    found = rules.duplicate_click_verdict(started, now, duplicates)
    verdicts.extend([found] if found is not None else [])
    started = now if started is None else started
    visit = Visit(
        started, round(started + duplicates.limit - now)
    )  # to the second: the server judges the end
    return ClickScreening(verdicts, visit, opened)


def close_opened(opened: Opened) -> None:
    """Close a window the click opened but does not keep (a second write, only then). Failing,
    the window stays (logged): a later click of that visitor counts as its duplicate."""
    try:
        screening_store.close_window(opened.ip_key, opened.name, opened.window)
    except (ClientError, BotoCoreError):
        logger.exception("a window the click did not keep could not be closed")


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
