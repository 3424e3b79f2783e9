"""The screening rules as plain functions: facts in, verdicts out (nothing here talks to AWS).

Counts and last-seen times come from ``store.screening_store``; which IP and user agent a
request has comes from ``web.params`` (API Gateway's ``requestContext.http.sourceIp``, never
``X-Forwarded-For``, which any client can write).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache

from goalpost.model.screening import Rule, Screening, Verdict

IPV6_PREFIX = 64
"""IPv6 addresses are compared by their /64: one subscriber's line, whose low 64 bits a
device may rotate at will (privacy addresses)."""


def ip_key(ip: str) -> str:
    """What the IP rules count by: an IPv4 address, an IPv6 /64 (an IPv4-mapped IPv6 address
    is its IPv4 address); text that is no address is kept as it is."""
    import ipaddress

    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()
    if address.version == 6:
        assert isinstance(address, ipaddress.IPv6Address)
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def visitor_key(offer_id: str, ip: str, user_agent: str) -> str:
    """One visitor on one offer as the server sees it: IP (or /64) and user agent, hashed (fixed
    size whatever the user agent's length or characters).

    Not the tracking cookie: each click sets it to its own transaction id, so a browser's second
    click would never match its first. The browser is recognised by its visit cookie instead
    (``visit_window_start``)."""
    text = "\x1f".join((offer_id, ip_key(ip), user_agent))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def visit_window_start(cookie: str, now: float, window_seconds: int) -> float | None:
    """The unique click a browser's visit cookie names, while its window runs; None for no
    cookie, an ended window or a value that is no time (the browser's own word: a forged one
    can only make its own click a duplicate, and dropping it leaves the IP and user agent)."""
    try:
        started = float(cookie)
    except ValueError:
        return None
    if not 0 <= now - started < window_seconds:  # NaN fails too
        return None
    return started


@cache
def bot_list() -> tuple[Callable[[str], bool], str]:
    """The crawler list (``crawler-user-agents``, MIT): loaded on first use only, so a network
    that does not screen bots never pays for it. Its matcher and version."""
    from importlib.metadata import version

    import crawleruseragents  # type: ignore[import-untyped]

    return crawleruseragents.is_crawler, version("crawler-user-agents")


def bot_list_version() -> str:
    """The installed list's version, without loading the list (the admin shows it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("crawler-user-agents")
    except PackageNotFoundError:
        return ""


def is_bot(user_agent: str) -> bool:
    return bot_list()[0](user_agent)


def user_agent_verdicts(user_agent: str, screening: Screening) -> list[Verdict]:
    """Empty user agents, then known bots (any text: non-ASCII agents are matched as they are)."""
    verdicts: list[Verdict] = []
    if not user_agent.strip():
        if screening.empty_user_agent.on:
            verdicts.append(Verdict("empty_user_agent", screening.empty_user_agent.action, "no user agent"))
        return verdicts
    if screening.bots.on and is_bot(user_agent):
        verdicts.append(
            Verdict("bot_user_agent", screening.bots.action, f"user agent {user_agent[:80]!r} is a known bot")
        )
    return verdicts


def click_rate_verdict(clicks_this_minute: int, rule: Rule, ip: str) -> Verdict | None:
    """``clicks_this_minute`` counts this click too: the limit-th click passes, the next does not."""
    if not rule.on or clicks_this_minute <= rule.limit:
        return None
    return Verdict(
        "click_rate",
        rule.action,
        f"{clicks_this_minute} clicks this minute from {ip_key(ip)} (limit {rule.limit})",
    )


def duplicate_click_verdict(last_click_at: float | None, now: float, rule: Rule) -> Verdict | None:
    """A click by the same visitor on the same offer less than the window (seconds) ago."""
    if not rule.on or last_click_at is None or now - last_click_at >= rule.limit:
        return None
    return Verdict(
        "duplicate_click",
        rule.action,
        f"same visitor clicked this offer {now - last_click_at:.0f} s ago (window {rule.limit} s)",
    )


def too_soon_verdict(lookback_refusal: tuple[str, str] | None, rule: Rule) -> Verdict | None:
    """The lookback minimum (``rules.caps.lookback_refusal``'s lookback_too_soon), acted on as
    the ``too_soon`` rule says; a refusal for being too late is not screening (always refused)."""
    if lookback_refusal is None or lookback_refusal[0] != "lookback_too_soon" or not rule.on:
        return None
    return Verdict("lookback_too_soon", rule.action, lookback_refusal[1])


def ip_mismatch_verdict(conversion_ip: str, click_ip: str, rule: Rule) -> Verdict | None:
    """A pixel is fired by the visitor's browser: its IP should be the click's (IPv6: its /64).
    Unknown on either side is no evidence."""
    if not rule.on or not conversion_ip or not click_ip:
        return None
    if ip_key(conversion_ip) == ip_key(click_ip):
        return None
    return Verdict(
        "ip_mismatch", rule.action, f"pixel from {ip_key(conversion_ip)}, click from {ip_key(click_ip)}"
    )


def conversion_rate_verdict(counted: bool, rule: Rule, ip: str, offer_id: str) -> Verdict | None:
    """``counted``: the hour's counter for this IP on this offer had room for this conversion
    (``store.screening_store.count_conversion``: it holds at most ``limit``)."""
    if not rule.on or counted:
        return None
    return Verdict(
        "conversion_rate",
        rule.action,
        f"more than {rule.limit} conversions this hour from {ip_key(ip)} on offer {offer_id}",
    )


def postback_ip_allowed(ip: str, allowed: Sequence[str]) -> bool:
    """An advertiser's allow-list of addresses and networks (CIDR); empty: any IP."""
    if not allowed:
        return True
    import ipaddress

    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:  # type: ignore[union-attr]
        address = address.ipv4_mapped  # type: ignore[union-attr]
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # the admin API validates entries; an old bad one allows nothing
    return False


def ip_not_allowed_verdict(ip: str, allowed: Sequence[str], advertiser_id: str) -> Verdict | None:
    """TUNE's code 14: always refused (a postback from elsewhere is not the advertiser's)."""
    if postback_ip_allowed(ip, allowed):
        return None
    return Verdict(
        "ip_not_allowed",
        "refuse",
        f"postback from {ip or 'an unknown IP'}, not on advertiser {advertiser_id}'s allow-list",
    )
