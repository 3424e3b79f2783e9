"""Whether a console user's access token is still good at Cognito (issue 26, point 5).

API Gateway's JWT authorizer checks a token's signature and expiry only: a user who signed out
(``RevokeToken``), was signed out everywhere (``AdminUserGlobalSignOut``) or disabled would keep
working until the token expires. The function asks Cognito itself (``GetUser`` with the access
token: authorized by the token, no IAM) and remembers a good answer for ``LIVE_SECONDS``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from goalpost.admin.errors import ApiError
from goalpost.model import clock
from goalpost.store import aws

LIVE_SECONDS = 30
"""How long a token Cognito accepted is trusted without asking again (a page's burst of calls)."""

_SIGNED_OUT = frozenset({"NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException"})
_live: dict[str, float] = {}
_client: Any = None


def cognito() -> Any:
    """The function's Cognito client (token checks; console user changes)."""
    global _client
    if _client is None:
        _client = aws.new_client("cognito-idp", read_timeout=3.0)
    return _client


def check_live(authorization: str) -> None:
    """Nothing when Cognito still accepts the token; 401 ``console_signed_out`` when it does not."""
    token = authorization.strip().removeprefix("Bearer ").strip()
    if not token:
        raise ApiError("console_token", "sign in to the console again (an access token is needed)")
    key = hashlib.sha256(token.encode()).hexdigest()
    now = clock.now()
    if _live.get(key, 0.0) > now:
        return
    try:
        cognito().get_user(AccessToken=token)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _SIGNED_OUT:
            _live.pop(key, None)
            raise ApiError(
                "console_signed_out", "this sign-in was ended (signed out, or the account disabled)"
            ) from None
        raise
    if len(_live) > 1000:
        _live.clear()
    _live[key] = now + LIVE_SECONDS


def forget() -> None:
    """Tests: every token is asked about again."""
    _live.clear()
