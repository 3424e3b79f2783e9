"""The console's sign-in, locally: the template's user pool in moto's Cognito, and API Gateway's
JWT authorizer checking its tokens.

moto's Cognito issues RS256 access tokens shaped as Cognito's (iss, client_id, token_use, exp,
username, cognito:groups) and signed with the key pair moto ships; the gateway checks them as
an HTTP API JWT authorizer does, against the issuer and audience the template names.
"""

from __future__ import annotations

import gzip
import json
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from goalpost.model import clock
from goalpost_local.template import condition_holds, parameter_defaults, resources


@dataclass(frozen=True)
class ConsoleUser:
    username: str
    password: str
    group: str


@dataclass(frozen=True)
class ConsoleSignIn:
    """The local user pool, its console client and two users (an admin and a read-only one)."""

    region: str
    pool_id: str
    client_id: str
    admin: ConsoleUser
    viewer: ConsoleUser

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"


def _only(kind: str) -> tuple[str, dict[str, Any]]:
    ((name, resource),) = resources(kind).items()
    return name, resource.get("Properties", {})


def create_user_pool(cognito: Any, region: str, prefix: str = "goalpost-local") -> ConsoleSignIn:
    """The template's user pool, client and groups, with an admin and a viewer to sign in as."""
    pool_name, pool = _only("AWS::Cognito::UserPool")
    keys = ("AdminCreateUserConfig", "AutoVerifiedAttributes", "Policies", "AccountRecoverySetting")
    pool_id = cognito.create_user_pool(
        PoolName=f"{prefix}-{pool_name}", **{k: pool[k] for k in keys if k in pool}
    )["UserPool"]["Id"]
    mfa = pool.get("MfaConfiguration", "OFF")
    if isinstance(mfa, dict):  # !If [ConsoleMfaRequired, "ON", OPTIONAL]: a deploy's default
        condition, when_true, when_false = mfa["Fn::If"]
        mfa = when_true if condition_holds(condition, parameter_defaults()) else when_false
    if mfa != "OFF":  # as deployed: a user with a temporary password sets up TOTP at the first sign-in
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration=mfa
        )
    _, client = _only("AWS::Cognito::UserPoolClient")
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{prefix}-console",
        GenerateSecret=False,
        ExplicitAuthFlows=client["ExplicitAuthFlows"],
    )["UserPoolClient"]["ClientId"]
    for resource in resources("AWS::Cognito::UserPoolGroup").values():
        cognito.create_group(UserPoolId=pool_id, GroupName=resource["Properties"]["GroupName"])
    return invite_users(cognito, region, pool_id, client_id)


def invite_users(cognito: Any, region: str, pool_id: str, client_id: str) -> ConsoleSignIn:
    """An admin and a viewer in the pool's groups, with passwords to sign in with (as an
    operator invites console users: AdminCreateUser, README)."""
    users = []
    for username, group in (("admin", "ConsoleAdmins"), ("viewer", "ConsoleViewers")):
        password = "Local-" + secrets.token_urlsafe(12) + "9a"
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": f"{username}@goalpost.local"}],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        users.append(ConsoleUser(username, password, group))
    return ConsoleSignIn(region, pool_id, client_id, users[0], users[1])


def sign_in(cognito: Any, pool: ConsoleSignIn, user: ConsoleUser) -> dict[str, str]:
    """Tokens as the console's own sign-in form gets them (USER_PASSWORD_AUTH)."""
    result = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password},
    )["AuthenticationResult"]
    return {
        "access": result["AccessToken"],
        "refresh": result["RefreshToken"],
        "username": user.username,
    }


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    issuer: str
    audience: tuple[str, ...]


def jwt_authorizers(pool: ConsoleSignIn | None) -> dict[str, JwtAuthorizer]:
    """The HttpApis' JWT authorizers, with the template's issuer and audience resolved locally
    (without a local user pool, they let nobody in)."""
    pool_name, _ = _only("AWS::Cognito::UserPool")
    client_name, _ = _only("AWS::Cognito::UserPoolClient")
    names = (
        {"AWS::Region": pool.region, pool_name: pool.pool_id, client_name: pool.client_id}
        if pool is not None
        else {}
    )
    found: dict[str, JwtAuthorizer] = {}
    for api in resources("AWS::Serverless::HttpApi").values():
        for name, spec in api["Properties"].get("Auth", {}).get("Authorizers", {}).items():
            config = spec.get("JwtConfiguration")
            if config is None:
                continue
            issuer = config["issuer"]["Fn::Sub"] if names else ""
            for ref, value in names.items():
                issuer = issuer.replace("${" + ref + "}", value)
            audience = tuple(names[a["Ref"]] for a in config["audience"] if a["Ref"] in names)
            found[name] = JwtAuthorizer(name, issuer, audience)
    return found


@cache
def _moto_public_keys() -> Any:
    """The public half of the key pair moto's Cognito signs with."""
    import moto.cognitoidp
    from joserfc.jwk import KeySet

    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-public.json.gz"
    return KeySet.import_key_set(json.loads(gzip.decompress(path.read_bytes())))


def verify(authorizer: JwtAuthorizer, header: str, now: float | None = None) -> dict[str, str] | None:
    """The token's claims as API Gateway passes them on (strings; lists as "[a b]"), or None.

    As an HTTP API JWT authorizer: a Bearer token, signed (RS256) by the issuer's key, iss the
    issuer, aud or client_id one of the audience, not expired, not before nbf.
    """
    from joserfc import jwt
    from joserfc.errors import JoseError

    token = header.strip().removeprefix("Bearer ").strip()  # with or without the prefix, as API Gateway
    if not token:
        return None
    try:
        decoded = jwt.decode(token, _moto_public_keys(), algorithms=["RS256"])
    except (JoseError, ValueError):
        return None
    claims = decoded.claims
    if not authorizer.issuer:
        return None
    moment = clock.now() if now is None else now
    audience = claims.get("aud") or claims.get("client_id")
    if (
        claims.get("iss") != authorizer.issuer
        or audience not in authorizer.audience
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] <= moment
        or claims.get("nbf", 0) > moment
    ):
        return None
    return {
        k: "[" + " ".join(map(str, v)) + "]" if isinstance(v, list) else str(v) for k, v in claims.items()
    }
