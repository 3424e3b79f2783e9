"""Console users: who may sign in to the console, in which group, and ending their sign-ins.

The people of the stack's Cognito user pool (``ConsoleUserPool``), in ``ConsoleAdmins`` or
``ConsoleViewers``. Disabling, demoting (leaving ConsoleAdmins) or deleting a user signs them out
everywhere in the same request (``AdminUserGlobalSignOut``, issue 26 point 5): their refresh
tokens stop working at once and their access tokens are refused by the next check of
``console_sessions`` (within its 30 s on other warm containers; at once on this one). Inviting
users stays with the AWS CLI (README, Console users): it sends the temporary password by email.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from goalpost import settings
from goalpost.admin import console_sessions, http
from goalpost.admin.access import CONSOLE_ADMINS, CONSOLE_VIEWERS
from goalpost.admin.errors import ApiError
from goalpost.admin.views import Page

GROUPS = (CONSOLE_ADMINS, CONSOLE_VIEWERS)
ConsoleGroup = Literal["ConsoleAdmins", "ConsoleViewers"]
Username = Annotated[str, Path(pattern=r"^[A-Za-z0-9._@+-]{1,128}$")]


class ConsoleUserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: ConsoleGroup | None = Field(
        default=None,
        description="The user's one group from now on; leaving ConsoleAdmins signs them out everywhere",
    )
    enabled: bool | None = Field(
        default=None, description="false disables the user and signs them out everywhere; true enables"
    )


class ConsoleUserOut(BaseModel):
    username: str
    enabled: bool
    status: str = Field(description="Cognito's UserStatus (CONFIRMED, FORCE_CHANGE_PASSWORD ...)")
    groups: list[ConsoleGroup]
    signed_out: bool = Field(default=False, description="this change signed the user out everywhere")


def _cognito() -> Any:
    return console_sessions.cognito()


def _pool() -> str:
    pool = settings.console_user_pool_id()
    if not pool:
        raise ApiError("no_console_user_pool", "this stack names no console user pool")
    return pool


def _call(operation: str, username: str = "", **params: Any) -> Any:
    """One Cognito admin call on the console's pool; an unknown user is a 404."""
    if username:
        params["Username"] = username
    try:
        return getattr(_cognito(), operation)(UserPoolId=_pool(), **params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
            raise ApiError("not_found", f"console user {username} does not exist") from None
        raise


def _view(user: Mapping[str, Any], groups: list[str]) -> dict[str, Any]:
    return {
        "username": str(user["Username"]),
        "enabled": bool(user.get("Enabled", True)),
        "status": str(user.get("UserStatus", "")),
        "groups": sorted(g for g in groups if g in GROUPS),
    }


def get_user(username: str) -> dict[str, Any]:
    user = _call("admin_get_user", username)
    groups = _call("admin_list_groups_for_user", username)["Groups"]
    return _view(user, [str(g["GroupName"]) for g in groups])


def list_users() -> dict[str, Any]:
    """Every console user (a pool holds a network's staff: one page)."""
    members: dict[str, list[str]] = {}
    for group in GROUPS:
        for user in _pages("list_users_in_group", GroupName=group):
            members.setdefault(str(user["Username"]), []).append(group)
    users = [_view(u, members.get(str(u["Username"]), [])) for u in _pages("list_users")]
    return {"items": sorted(users, key=lambda u: u["username"]), "next_cursor": None}


def _pages(operation: str, **params: Any) -> list[Mapping[str, Any]]:
    """Every page (ListUsers pages by PaginationToken, ListUsersInGroup by NextToken)."""
    name = "PaginationToken" if operation == "list_users" else "NextToken"
    found: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        answer = _call(operation, **params, **({name: token} if token else {}))
        found += answer.get("Users", [])
        token = answer.get(name)
        if not token:
            return found


def _not_yourself(username: str, actor: str) -> None:
    """A console admin cannot lock themselves out (IAM callers and other admins can undo it)."""
    if actor == f"console:{username}":
        raise ApiError("own_account", "disable, demote or delete your own account through another admin")


def update_user(username: str, patch: ConsoleUserPatch, actor: str) -> dict[str, Any]:
    """Move the user to one group and/or enable or disable them; being demoted (leaving
    ConsoleAdmins) or disabled signs them out everywhere (their refresh tokens die, their access
    tokens are refused): a token issued before keeps the old group in its claims."""
    before = get_user(username)
    left = [g for g in before["groups"] if patch.group is not None and g != patch.group]
    demoting = CONSOLE_ADMINS in left
    disabling = patch.enabled is False and before["enabled"]
    if demoting or disabling:
        _not_yourself(username, actor)
    if patch.group is not None and patch.group not in before["groups"]:
        _call("admin_add_user_to_group", username, GroupName=patch.group)
    for group in left:
        _call("admin_remove_user_from_group", username, GroupName=group)
    if disabling:
        _call("admin_disable_user", username)
    if patch.enabled is True and not before["enabled"]:
        _call("admin_enable_user", username)
    signed_out = demoting or disabling  # a viewer made an admin keeps their sign-in
    if signed_out:
        sign_out(username)
    return {**get_user(username), "signed_out": signed_out}


def sign_out(username: str) -> None:
    """Everywhere: refresh tokens revoked at once, access tokens refused by the next check."""
    _call("admin_user_global_sign_out", username)
    console_sessions.forget()  # this container asks Cognito again at once


def delete_user(username: str, actor: str) -> None:
    _not_yourself(username, actor)
    sign_out(username)
    _call("admin_delete_user", username)


# ------------------------------------------------------------------ routes

router = http.resource_router()


@router.get("/admin/console-users", **http.documented())
def list_all() -> Response[Page[ConsoleUserOut]]:
    return http.ok(list_users())


@router.get("/admin/console-users/<username>", **http.documented())
def get(username: Username) -> Response[ConsoleUserOut]:
    return http.ok(get_user(username))


@router.patch("/admin/console-users/<username>", **http.documented(writes=True))
def update(username: Username, body: ConsoleUserPatch) -> Response[ConsoleUserOut]:
    return http.ok(update_user(username, body, http.caller(router).actor))


@router.post("/admin/console-users/<username>/sign-out", **http.documented(writes=True))
def sign_out_everywhere(username: Username) -> Response[ConsoleUserOut]:
    get_user(username)  # a 404 for an unknown user
    sign_out(username)
    return http.ok({**get_user(username), "signed_out": True})


@router.delete("/admin/console-users/<username>", **http.documented(204, writes=True))
def delete(username: Username) -> Response[Any]:
    delete_user(username, http.caller(router).actor)
    return http.no_content()
