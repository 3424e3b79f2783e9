"""The formats other systems hold on to: ids in URLs, conversion and refusal ids in reports,
the encrypted links in advertisers' pages, goal slugs in their postbacks. Changing one
silently breaks what is already out there, so each is pinned."""

from __future__ import annotations

import re

import pytest

from goalpost.model.ids import (
    check_id,
    conversion_id_of,
    cookie_name,
    is_transaction_id,
    iso_timestamp,
    new_transaction_id,
    optional_id,
    refusal_id_of,
    require_id,
)
from goalpost.model.refusal import Refused
from goalpost.rules.signing import sign, verify
from goalpost.rules.slugs import slug_of

KEY = ("k1", b"test-secret-one")


def test_an_encrypted_link_token_keeps_its_format_so_links_in_advertisers_pages_keep_working() -> None:
    # Known answers: a change here invalidates every encrypted link already handed out.
    assert sign("12", "7", KEY) == "12.7.k1.eSiXpiH63chB6Wa9A3sv5-nVRysQGoIh"
    assert sign("1", "0", ("2026a", b"another secret")) == "1.0.2026a.OBdksuFzQiXDB-N9xjdiJ-TY8X1rAB7j"
    assert verify("12.7.k1.eSiXpiH63chB6Wa9A3sv5-nVRysQGoIh", [KEY]) == ("12", "7")


def test_a_token_verifies_only_with_its_own_key_and_unaltered() -> None:
    token = sign("12", "7", KEY)
    assert verify(token, [("k2", b"other"), KEY]) == ("12", "7")  # found by its key id, not first key
    assert verify(token, [("k1", b"rotated-away")]) is None
    assert verify(token, [("k2", b"test-secret-one")]) is None  # the right secret under another id
    assert verify(token.replace("12.7", "12.8"), [KEY]) is None
    assert verify(token + "=", [KEY]) is None
    assert verify("012.7." + token.split(".", 2)[2], [KEY]) is None  # the MAC covers the ids as signed


def test_numeric_ids_are_digits_normalised_and_named_when_wrong() -> None:
    assert check_id("offer_id", "007") == "7"
    with pytest.raises(Refused, match=r"^offer_id must be a number, got '1a'$"):
        check_id("offer_id", "1a")
    with pytest.raises(Refused, match=r"^goal_id must be a number, got '" + "9" * 40 + "'$"):
        check_id("goal_id", "9" * 50)
    assert require_id({"aff_id": "12"}, "aff_id") == "12"
    with pytest.raises(Refused, match=r"^aff_id is required$"):
        require_id({"aff_id": ""}, "aff_id")
    with pytest.raises(Refused, match=r"^aff_id is required$"):
        require_id({}, "aff_id")
    with pytest.raises(Refused, match=r"^aff_id must be a number"):
        require_id({"aff_id": "x"}, "aff_id")
    assert optional_id({}, "goal_id") is None
    assert optional_id({"goal_id": ""}, "goal_id") is None
    assert optional_id({"goal_id": "05"}, "goal_id") == "5"
    with pytest.raises(Refused, match=r"^goal_id must be a number"):
        optional_id({"goal_id": "x"}, "goal_id")


def test_conversion_and_refusal_ids_as_reports_list_them() -> None:
    assert conversion_id_of("ab12", "7") == "ab12-7"
    assert conversion_id_of("ab12", "7", "3f") == "ab12-7-3f"
    assert refusal_id_of("ab12", "9c") == "ab12-R9c"
    assert cookie_name("12") == "gp_o12"


def test_transaction_ids_are_128_random_bits_and_what_we_accept_is_bounded() -> None:
    made = {new_transaction_id() for _ in range(50)}
    assert len(made) == 50 and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in made)
    assert all(is_transaction_id(t) for t in made)
    assert is_transaction_id("A-b_0" * 12 + "abcd")  # 64 characters
    assert not is_transaction_id("a" * 65)
    assert not is_transaction_id("")
    assert not is_transaction_id("ab<12")
    assert is_transaction_id("a")
    assert is_transaction_id("0123456789abcdefABCDEF-_")  # every character allowed, at once


def test_stored_instants_are_utc_with_milliseconds_and_sort_as_text() -> None:
    assert iso_timestamp(1_700_000_000.25) == "2023-11-14T22:13:20.250Z"
    assert iso_timestamp(0) == "1970-01-01T00:00:00.000Z"


def test_a_goal_name_becomes_its_slug_and_a_slug_stays_itself() -> None:
    assert slug_of("  Registration ") == "registration"
    assert slug_of("REGISTRATION") == "registration"
    assert slug_of("paid-subscription") == "paid-subscription"
    assert slug_of("Große Bestellung!") == "grosse-bestellung"
    long = slug_of("Ünïcode  Sale — Große Bestellung! " * 6)
    assert len(long) == 100 and long.startswith("unicode-sale-grosse-bestellung-unicode")
    assert slug_of("Straße " + "x" * 150) == "strasse-" + "x" * 92  # cut at 100 characters


def test_a_name_that_is_already_a_slug_is_answered_without_loading_the_transliteration_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "slugify", None)  # importing python-slugify now fails
    assert slug_of(" Registration ") == "registration"  # the postback's hot path: no 30 ms import
    assert slug_of("paid-subscription-2") == "paid-subscription-2"
    with pytest.raises(ImportError):
        slug_of("Große Bestellung")  # a real transliteration does need it
