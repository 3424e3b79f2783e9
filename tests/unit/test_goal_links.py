"""The links an admin hands out: each goal gets exactly the forms it accepts, the postbacks
carry the advertiser's token once set, the pixel code never does (it is public in page HTML)."""

from __future__ import annotations

import pytest

from goalpost.model.offer import Goal
from goalpost.rules.links import goal_links, partner_tracking_link
from goalpost.rules.signing import sign

BASE = "https://t.example"
KEY = ("k1", b"test-secret-one")
DEFAULT = Goal(goal_id="0", offer_id="12", name="Lead", slug="lead")
SALE = Goal(goal_id="7", offer_id="12", name="Big Sale", slug="big-sale")


def test_a_partners_tracking_link_names_offer_and_partner() -> None:
    assert partner_tracking_link(BASE, "12", "3") == "https://t.example/aff_c?offer_id=12&aff_id=3"


def test_the_default_goal_is_reached_by_offer_on_the_plain_endpoints() -> None:
    assert goal_links(BASE, DEFAULT) == {
        "postback_by_name": "https://t.example/aff_lsr?offer_id=12&transaction_id={transaction_id}",
        "postback_by_id": "https://t.example/aff_lsr?offer_id=12&transaction_id={transaction_id}",
        "image_pixel": '<img src="https://t.example/aff_l?offer_id=12" width="1" height="1" alt="" />',
        "iframe_pixel": '<iframe src="https://t.example/aff_l?offer_id=12" scrolling="no" frameborder="0" '
        'width="1" height="1"></iframe>',
    }


def test_an_additional_goal_by_name_and_id_with_the_token_on_postbacks_only() -> None:
    links = goal_links(BASE, SALE, security_token="s3cret")
    assert links == {
        "postback_by_name": "https://t.example/aff_goal?a=lsr&goal_name=big-sale"
        "&transaction_id={transaction_id}&security_token=s3cret",
        "postback_by_id": "https://t.example/aff_goal?a=lsr&goal_id=7&transaction_id={transaction_id}"
        "&security_token=s3cret",
        "image_pixel": '<img src="https://t.example/aff_goal?a=l&goal_id=7" width="1" height="1" alt="" />',
        "iframe_pixel": '<iframe src="https://t.example/aff_goal?a=l&goal_id=7" scrolling="no" '
        'frameborder="0" width="1" height="1"></iframe>',
        "click_pixel": '<img src="https://t.example/aff_goal?a=lc&goal_id=7" width="1" height="1" alt="" />',
    }


def test_an_encrypted_goal_gets_only_its_signed_forms() -> None:
    token = sign("12", "7", KEY)
    links = goal_links(BASE, SALE._replace(encrypted=True), security_token="s3cret", signing_key=KEY)
    assert links == {
        "postback": f"https://t.example/aff_goal?a=lsr&enc={token}&transaction_id={{transaction_id}}"
        "&security_token=s3cret",
        "image_pixel": f'<img src="https://t.example/aff_goal?a=l&enc={token}" width="1" height="1" alt="" />',
        "iframe_pixel": f'<iframe src="https://t.example/aff_goal?a=l&enc={token}" scrolling="no" '
        'frameborder="0" width="1" height="1"></iframe>',
        "click_pixel": f'<img src="https://t.example/aff_goal?a=lc&enc={token}" width="1" height="1" alt="" />',
    }
    default = goal_links(BASE, DEFAULT._replace(encrypted=True), signing_key=KEY)
    assert set(default) == {"postback", "image_pixel", "iframe_pixel"}
    assert default["postback"].startswith(f"https://t.example/aff_lsr?enc={sign('12', '0', KEY)}&")


def test_an_encrypted_goal_without_the_signing_key_is_a_bug_said_plainly() -> None:
    with pytest.raises(ValueError, match="goal 7 is encrypted: its links need the signing key"):
        goal_links(BASE, SALE._replace(encrypted=True))
