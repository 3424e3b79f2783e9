import pytest

from goalpost.rules import signing
from goalpost.store import signing_keys


def test_keys_need_32_bytes_unique_ids_and_plain_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    long = "s" * 32
    for bad in ("k1:x", f"k1:{long},k1:{long}2", f"bad id:{long}", f":{long}", f"k1:{'s' * 31}"):
        monkeypatch.setenv("GOALPOST_SIGNING_KEYS", bad)
        with pytest.raises(signing_keys.SigningKeyError):
            signing_keys.keyring()
    monkeypatch.setenv("GOALPOST_SIGNING_KEYS", f"k2:{long}, k1:{long}1,")
    assert [key_id for key_id, _ in signing_keys.keyring()] == ["k2", "k1"]


def test_a_token_signed_with_one_key_verifies_and_a_changed_goal_does_not() -> None:
    key = ("k1", b"s" * 40)
    token = signing.sign("3", "7", key)
    assert signing.verify(token, [key]) == signing.SignedTarget("3", "7")
    offer, _goal, key_id, mac = token.split(".")
    assert signing.verify(f"{offer}.8.{key_id}.{mac}", [key]) is None


def test_a_retired_key_no_longer_verifies_and_a_new_one_signs_first() -> None:
    old, new = ("k1", b"o" * 32), ("k2", b"n" * 32)
    token = signing.sign("3", "7", old)
    assert signing.verify(token, [new, old]) == signing.SignedTarget("3", "7")  # rotation: both verify
    assert signing.verify(token, [new]) is None  # k1 removed: its links stop working


def test_a_test_link_token_names_offer_partner_and_delivery_and_nothing_else_verifies() -> None:
    from goalpost.rules.signing import SignedTestLink, sign_test_link, verify_test_link

    key = ("k1", b"s" * 32)
    token = sign_test_link("3", "7", True, key)
    assert verify_test_link(token, [key]) == SignedTestLink("3", "7", True)
    assert verify_test_link(sign_test_link("3", "7", False, key), [key]) == SignedTestLink("3", "7", False)
    flipped = token.replace(".7.1.", ".7.0.", 1)
    other_partner = token.replace("3.7.", "3.8.", 1)
    assert verify_test_link(flipped, [key]) is None and verify_test_link(other_partner, [key]) is None
    assert verify_test_link(token, [("k2", b"t" * 32)]) is None  # a retired key
    # an encrypted conversion link's token is not a test link's (different content, different form)
    from goalpost.rules.signing import sign

    assert verify_test_link(sign("3", "7", key), [key]) is None
