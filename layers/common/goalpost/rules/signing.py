"""Encrypted (signed) conversion links: an ``enc`` token that names offer and goal.

A goal with "Encrypted Conversion Tracking" accepts only links carrying a valid token, so
nobody can fire its conversions by editing offer_id/goal_id in a URL. Tokens are
``<offer_id>.<goal_id>.<key id>.<mac>``: the MAC is HMAC-SHA256 over offer and goal with
the key named by the key id (``store.signing_keys`` keeps the keys).

What a valid token proves, and what it does not: it proves that the link was made by this
network for this offer and goal, so nobody can point a copied postback at another goal by
editing ids in the URL. It is static per goal (the same for every conversion) and sits in
the advertiser's page HTML for pixels, so it proves nothing about who fires it: that is
the job of the session (a live transaction id or tracking cookie) and, for server
postbacks, the advertiser's security token.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import NamedTuple

from goalpost.model.ids import NUMERIC_ID

_TOKEN = re.compile(rf"({NUMERIC_ID})\.({NUMERIC_ID})\.([A-Za-z0-9_-]{{1,32}})\.([A-Za-z0-9_-]{{16,64}})")

Key = tuple[str, bytes]
"""A signing key: its id (named in every token it signs) and its secret."""


class SignedTarget(NamedTuple):
    offer_id: str
    goal_id: str


def _mac(secret: bytes, offer_id: str, goal_id: str) -> str:
    digest = hmac.new(secret, f"goalpost-enc|{offer_id}|{goal_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def sign(offer_id: str, goal_id: str, key: Key) -> str:
    """The token the admin API hands out for a goal (signed with the current key)."""
    key_id, secret = key
    return f"{offer_id}.{goal_id}.{key_id}.{_mac(secret, offer_id, goal_id)}"


def verify(token: str, keys: Sequence[Key]) -> SignedTarget | None:
    """Offer and goal of a valid token; None for a forged, altered or retired-key token."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    offer_id, goal_id, key_id, mac = match.groups()
    for known_id, secret in keys:
        if known_id == key_id:
            if hmac.compare_digest(mac, _mac(secret, offer_id, goal_id)):
                return SignedTarget(str(int(offer_id)), str(int(goal_id)))
            return None
    return None


# ------------------------------------------------------------------ test links
_TEST_TOKEN = re.compile(
    rf"({NUMERIC_ID})\.({NUMERIC_ID})\.([01])\.([A-Za-z0-9_-]{{1,32}})\.([A-Za-z0-9_-]{{16,64}})"
)


class SignedTestLink(NamedTuple):
    """What an admin's test link says: its offer and partner, and whether the partner's
    pixels are told of its (test) conversions."""

    offer_id: str
    partner_id: str
    deliver: bool


def _test_mac(secret: bytes, offer_id: str, partner_id: str, deliver: str) -> str:
    content = f"goalpost-test|{offer_id}|{partner_id}|{deliver}".encode()
    return (
        base64.urlsafe_b64encode(hmac.new(secret, content, hashlib.sha256).digest()[:24]).decode().rstrip("=")
    )


def sign_test_link(offer_id: str, partner_id: str, deliver: bool, key: Key) -> str:
    """The ``test`` token of a test link: ``<offer>.<partner>.<0|1>.<key id>.<mac>``."""
    key_id, secret = key
    flag = "1" if deliver else "0"
    return f"{offer_id}.{partner_id}.{flag}.{key_id}.{_test_mac(secret, offer_id, partner_id, flag)}"


def verify_test_link(token: str, keys: Sequence[Key]) -> SignedTestLink | None:
    """The test link a valid token names; None for a forged, altered or retired-key token."""
    match = _TEST_TOKEN.fullmatch(token)
    if match is None:
        return None
    offer_id, partner_id, flag, key_id, mac = match.groups()
    for known_id, secret in keys:
        if known_id == key_id:
            if hmac.compare_digest(mac, _test_mac(secret, offer_id, partner_id, flag)):
                return SignedTestLink(str(int(offer_id)), str(int(partner_id)), flag == "1")
            return None
    return None
