"""Who may call the admin API: IAM principals (machines), and console users by Cognito group.

API Gateway checks the signature (IAM) or the token (the console's JWT authorizer); what a
console user may do is decided here, from the groups in the token, as the two IAM policies
decide it for machines (README: full and read-only).
"""

from collections.abc import Mapping
from typing import Any

from goalpost.admin.errors import ApiError

CONSOLE_ADMINS = "ConsoleAdmins"
CONSOLE_VIEWERS = "ConsoleViewers"
_READS = frozenset({"GET", "HEAD"})


def _groups(claims: Mapping[str, Any]) -> frozenset[str]:
    """``cognito:groups``: a list in the token; API Gateway passes it on as "[A B]"."""
    raw = claims.get("cognito:groups") or ""
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw)
    return frozenset(str(raw).strip("[]").replace(",", " ").split())


def console_actor(claims: Mapping[str, Any], method: str) -> str:
    """The audit trail's name for a console user allowed to make this request; else 403."""
    username = str(claims.get("username") or claims.get("cognito:username") or claims.get("sub") or "")
    if not username or claims.get("token_use", "access") != "access":
        raise ApiError("console_token", "sign in to the console again (an access token is needed)")
    groups = _groups(claims)
    if CONSOLE_ADMINS in groups or (CONSOLE_VIEWERS in groups and method.upper() in _READS):
        return f"console:{username}"
    if CONSOLE_VIEWERS in groups:
        raise ApiError("read_only", "your console account may read, not change (group ConsoleViewers)")
    raise ApiError("no_console_group", "your console account is in neither ConsoleAdmins nor ConsoleViewers")


def iam_actor(authorizer: Mapping[str, Any]) -> str:
    iam = authorizer.get("iam") or {}
    return str(iam.get("userArn") or iam.get("callerId") or "")


def admin_actor(raw_path: str, method: str, authorizer: Mapping[str, Any]) -> str:
    """The caller of an admin route, by the way in: /admin (IAM) or /console/api/admin (JWT)."""
    if raw_path.startswith("/console/api/admin"):
        claims = (authorizer.get("jwt") or {}).get("claims") or {}
        return console_actor(claims, method)
    actor = iam_actor(authorizer)
    if not actor:
        raise ApiError("iam_required", "admin routes take IAM-signed requests only")
    return actor
