"""The signing keys of encrypted links: where they are kept and how they are written.

Keys are ``id:secret,...`` (the first one signs, every one verifies), so a new key can be
added in front and old links keep working until their key is removed. In the cloud they live
in an SSM SecureString parameter named by ``GOALPOST_SIGNING_KEYS_PARAMETER``, read on first
use and again after ``KEYS_MAX_AGE`` seconds (a rotation reaches every container within that
bound, and only containers that sign or verify a link pay for the SSM client); without a
parameter name they come from ``GOALPOST_SIGNING_KEYS`` (tests, and a developer's own runs).
"""

import re
import time
from typing import Any

from goalpost import settings

MIN_SECRET_BYTES = 32
"""HMAC-SHA256 keys shorter than the hash's own 32 bytes weaken every link they sign."""
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class SigningKeyError(ValueError):
    """GOALPOST_SIGNING_KEYS is malformed: a deployment mistake, refused loudly."""


PARAMETER_ENV = settings.signing_keys_parameter.name
KEYS_MAX_AGE = 300.0
"""Seconds a container keeps the keys it read from SSM before reading them again."""
_read: dict[str, tuple[float, str]] = {}


def _ssm() -> Any:
    from goalpost.store import aws  # imported here: most containers never sign or verify a link

    return aws.new_client("ssm")


def configured_keys(now: float | None = None) -> str:
    """The raw ``id:secret,...`` list: from SSM when a parameter is named, else the environment.

    An SSM failure raises botocore's error, which callers answer as "temporarily unavailable".
    """
    name = settings.signing_keys_parameter()
    if not name:
        return settings.signing_keys()
    moment = time.monotonic() if now is None else now
    cached = _read.get(name)
    if cached is None or moment - cached[0] >= KEYS_MAX_AGE:
        value = str(_ssm().get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        _read[name] = cached = (moment, value)
    return cached[1]


def forget_keys() -> None:
    """Read the keys again on next use (tests; a container never needs it)."""
    _read.clear()


def check_environment_keys() -> None:
    """Keys given in the environment are checked at cold start (a malformed list fails loudly);
    keys in SSM are read, and checked, on first use, so cold starts never wait on SSM."""
    if not settings.signing_keys_parameter():
        keyring()


def keyring() -> list[tuple[str, bytes]]:
    """The configured keys: ids unique and URL-safe, secrets of 32+ bytes."""
    raw = configured_keys()
    keys: list[tuple[str, bytes]] = []
    for entry in raw.split(","):
        if not entry.strip():
            continue
        key_id, _, secret = entry.strip().partition(":")
        if not _KEY_ID.fullmatch(key_id):
            raise SigningKeyError(f"signing key id {key_id[:40]!r} is not 1-32 characters of A-Z a-z 0-9 _ -")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SigningKeyError(f"signing key {key_id} is shorter than {MIN_SECRET_BYTES} bytes")
        if any(known == key_id for known, _ in keys):
            raise SigningKeyError(f"signing key id {key_id} appears twice")
        keys.append((key_id, secret.encode()))
    return keys


def signing_key() -> tuple[str, bytes]:
    """The key new links are signed with (the first one)."""
    keys = keyring()
    if not keys:
        raise RuntimeError(
            f"no signing keys are configured ({PARAMETER_ENV} or {settings.signing_keys.name})"
        )
    return keys[0]
