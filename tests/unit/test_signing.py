import pytest

from goalpost.rules import signing


def test_keys_need_32_bytes_unique_ids_and_plain_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    long = "s" * 32
    for bad in ("k1:x", f"k1:{long},k1:{long}2", f"bad id:{long}", f":{long}", f"k1:{'s' * 31}"):
        monkeypatch.setenv("GOALPOST_SIGNING_KEYS", bad)
        with pytest.raises(signing.SigningKeyError):
            signing.keyring()
    monkeypatch.setenv("GOALPOST_SIGNING_KEYS", f"k2:{long}, k1:{long}1,")
    assert [key_id for key_id, _ in signing.keyring()] == ["k2", "k1"]


def test_a_token_signed_with_one_key_verifies_and_a_changed_goal_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOALPOST_SIGNING_KEYS", "k1:" + "s" * 40)
    token = signing.sign("3", "7")
    assert signing.verify(token) == signing.SignedTarget("3", "7")
    offer, _goal, key_id, mac = token.split(".")
    assert signing.verify(f"{offer}.8.{key_id}.{mac}") is None
