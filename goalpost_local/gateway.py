"""A small local API Gateway: HTTP requests in, HTTP API payload 2.0 events to the handlers.

Routes come from template.yaml's HttpApi events; events carry what API Gateway sends
(lower-cased headers, cookies array, query parameters joined by commas, requestContext
with requestId, routeKey, stage, http.sourceIp, userAgent, time), and responses are
turned back into HTTP the way API Gateway does (cookies become Set-Cookie headers).
"""

from __future__ import annotations

import base64
import hmac
import importlib.util
import json
import logging
import os
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from goalpost.model import clock
from goalpost_local import console, faults, iam, powertools
from goalpost_local.template import ROOT, Route, authorizers, check_routes, routes, select_route

logger = logging.getLogger("goalpost_local.gateway")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

LOCAL_ADMIN_IAM = {
    "iam": {"userArn": "arn:aws:iam::000000000000:user/local-admin", "callerId": "local-admin"}
}
"""What API Gateway puts in requestContext.authorizer for an IAM-signed admin request."""


class LambdaContext:
    """The parts of the Lambda context object handlers and Powertools read."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def function_module(code_uri: str, handler: str, function: str) -> ModuleType:
    """Import functions/<name>/app.py under a unique module name (every function has an app.py)."""
    module_name = handler.rpartition(".")[0]
    unique = f"goalpost_fn_{function}"
    module: ModuleType | None = sys.modules.get(unique)
    if module is None:
        spec = importlib.util.spec_from_file_location(unique, ROOT / code_uri / f"{module_name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        spec.loader.exec_module(module)
        powertools.isolate_requests()  # environments are threads here: each its own request
    return module


_instances_guard = threading.Lock()


MAX_INSTANCES = int(os.environ.get("GOALPOST_LOCAL_INSTANCES", "4"))
"""Execution environments per function locally (Lambda's default account limit is 1,000)."""


class Instances:
    """A function's execution environments, as Lambda scales a function out.

    Each environment is its own copy of the function's module (its Powertools resolver and
    module state are its own) and runs one invocation at a time. A request takes an idle
    environment (the most recently used: sequential calls meet the same, warm one) or, while
    all are busy and fewer than ``limit`` exist, a new one starts (a cold start); otherwise it
    waits for one to finish, as a throttled invocation would be retried.
    """

    def __init__(self, load: Callable[[int], Handler], limit: int = MAX_INSTANCES) -> None:
        self._load = load
        self._limit = max(1, limit)
        self._idle: list[Handler] = []
        self._started = 0
        self._changed = threading.Condition()

    @property
    def started(self) -> int:
        return self._started

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        handler: Handler | None = None
        with self._changed:
            while not self._idle and self._started >= self._limit:
                self._changed.wait()
            if self._idle:
                handler = self._idle.pop()
            else:
                index = self._started
                self._started += 1
        if handler is None:
            try:
                handler = self._load(index)  # the cold start, outside the lock
            except BaseException:
                with self._changed:
                    self._started -= 1
                    self._changed.notify()
                raise
        try:
            return handler(event, context)
        finally:
            with self._changed:
                self._idle.append(handler)
                self._changed.notify()


_pools: dict[str, Instances] = {}


def load_handler(code_uri: str, handler: str, function: str) -> Handler:
    """The function's handler as Lambda runs it: environments of one invocation at a time each,
    held to the function's policies."""

    def load(index: int) -> Handler:
        module = function_module(code_uri, handler, function if index == 0 else f"{function}_{index}")
        found: Handler = getattr(module, handler.rpartition(".")[2])
        return iam.as_function(function, found)  # type: ignore[no-any-return]

    with _instances_guard:
        pool = _pools.get(function)
        if pool is None:
            pool = _pools[function] = Instances(load)
    return pool


def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    route: Route,
    path_parameters: dict[str, str],
    host: str,
) -> dict[str, Any]:
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lname = name.lower()
        if lname == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[lname] = f"{joined[lname]},{value}" if lname in joined else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True, errors="replace"):
        query[key] = f"{query[key]},{value}" if key in query else value
    now = clock.now()
    route_key = f"{route.method} {route.path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


class LocalGateway(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    """The listen backlog, sized like a server's (the kernel caps it at net.core.somaxconn):
    socketserver's default of 5 reset connections under a burst of a few dozen clients."""

    def __init__(
        self,
        address: tuple[str, int],
        admin_token: str,
        sign_in: console.ConsoleSignIn | None = None,
        cognito_endpoint: str = "",
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.admin_token = admin_token
        self.cognito_endpoint = cognito_endpoint
        """moto's Cognito, reached through /__local/cognito (same origin for the console's form)."""
        self.jwt_authorizers = console.jwt_authorizers(sign_in)
        self.sign_in = sign_in
        self._codes: dict[str, tuple[str, float]] = {}
        self._codes_lock = threading.Lock()
        self.routes = routes()
        check_routes(self.routes)  # as API Gateway would route them: one answer per request
        self.handlers: dict[str, Handler] = {
            r.function: load_handler(r.code_uri, r.handler, r.function) for r in self.routes
        }
        self.stream_pump: Any = None
        self.queue_pump: Any = None
        self.authorizers = authorizers()
        for authorizer in self.authorizers.values():
            self.handlers[authorizer.function] = load_handler(
                authorizer.code_uri, authorizer.handler, authorizer.function
            )

    def one_time_code(self, user: str = "admin") -> str:
        """A code the console trades once, within ``SIGN_IN_CODE_SECONDS``, for ``user``'s tokens
        (POST /__local/sign-in-code): what `make run` prints instead of a refresh token."""
        code = secrets.token_urlsafe(24)
        with self._codes_lock:
            self._codes[code] = (user, time.monotonic() + SIGN_IN_CODE_SECONDS)
        return code

    def redeem(self, code: str) -> dict[str, str] | None:
        """The tokens for a code not used before and not expired (then never again), else None."""
        with self._codes_lock:
            user, until = self._codes.pop(code, ("", 0.0))
        if not user or time.monotonic() > until or self.sign_in is None:
            return None
        import boto3

        account = self.sign_in.admin if user == "admin" else self.sign_in.viewer
        return console.sign_in(boto3.client("cognito-idp"), self.sign_in, account)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


CONSOLE_COGNITO_CALLS = frozenset(
    {
        "InitiateAuth",
        "RespondToAuthChallenge",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "RevokeToken",
    }
)
"""What the console's sign-in calls at Cognito: all /__local/cognito passes on."""


SIGN_IN_CODE_SECONDS = 600
"""How long the sign-in code `make run` prints stays good (it is spent at its first use)."""


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalGateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """One answer. A 1xx, 204 or 304 has no body whatever the function returned (RFC 9110
        6.4.1) and no content-length: a keep-alive client reads nothing after their headers,
        so stray bytes would become the start of its next answer."""
        self.send_response(status)
        bodiless = status < 200 or status in (204, 304)
        for name, value in headers:
            if not (bodiless and name.lower() in ("content-length", "content-type")):
                self.send_header(name, value)
        if not bodiless:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and not bodiless:
            self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, [("content-type", "application/json")], json.dumps(payload).encode())

    def _handle(self) -> None:
        split = urlsplit(self.path)
        raw_path = unquote(split.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if raw_path == "/__local/dead-letters" and self.command == "GET":
            streams = self.server.stream_pump.dead_letters if self.server.stream_pump is not None else []
            queues = self.server.queue_pump.dead_letters() if self.server.queue_pump is not None else []
            self._json(200, {"items": [*streams, *queues]})
            return
        if (
            raw_path == "/__local/faults"
            and self.command == "POST"
            and os.environ.get("GOALPOST_LOCAL_FAULTS") == "1"
        ):
            try:
                operation, mode, times = faults.parse(body)
            except ValueError as error:
                self._json(400, {"message": str(error)})
                return
            faults.arm(operation, mode, times)
            self._json(200, {"armed": {"operation": operation, "mode": mode, "times": times}})
            return
        if raw_path == "/__local/sign-in-code" and self.command == "POST":
            code = str(json.loads(body or b"{}").get("code", "")) if body.startswith(b"{") else ""
            tokens = self.server.redeem(code)
            if tokens is None:
                self._json(400, {"message": "this sign-in code was used or has expired: sign in"})
            else:
                self._json(200, {"refresh": tokens["refresh"], "access": tokens["access"]})
            return
        if raw_path == "/__local/sign-in-code/new" and self.command == "POST" and self._authorized():
            self._json(
                200, {"code": self.server.one_time_code(str(json.loads(body or b"{}").get("user", "admin")))}
            )
            return
        if raw_path == "/__local/cognito" and self.command == "POST" and self.server.cognito_endpoint:
            self._cognito(body)
            return
        selected = select_route(self.server.routes, self.command, raw_path)
        if selected is None:
            self._json(404, {"message": "Not Found"})
            return
        route, params = selected
        if route.authorizer == "AWS_IAM" and not self._authorized():
            self._json(401, {"message": "Unauthorized: send Authorization: Bearer <token from make run>"})
            return
        event = build_event(
            method=self.command,
            raw_path=raw_path,
            raw_query=split.query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            route=route,
            path_parameters=params,
            host=self.headers.get("host", ""),
        )
        if route.authorizer == "AWS_IAM":
            # What API Gateway puts in the event for an IAM-signed request.
            event["requestContext"]["authorizer"] = LOCAL_ADMIN_IAM
        elif route.authorizer in self.server.jwt_authorizers:
            jwt = self.server.jwt_authorizers[route.authorizer]
            claims = console.verify(jwt, self.headers.get("authorization", ""))
            if claims is None:
                self._json(401, {"message": "Unauthorized"})
                return
            event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        elif route.authorizer:
            context = self._lambda_authorizer(route, event)
            if context is None:
                return
            event["requestContext"]["authorizer"] = {"lambda": context}
        try:
            with faults.serving_request():
                result = self.server.handlers[route.function](event, LambdaContext(route.function))
        except Exception:
            logger.exception("function %s failed", route.function)
            self._json(500, {"message": "Internal Server Error"})
            return
        self._send_lambda_result(result)

    def _lambda_authorizer(self, route: Route, event: dict[str, Any]) -> dict[str, Any] | None:
        """Run the route's Lambda authorizer as API Gateway does (simple responses, payload 2.0)."""
        authorizer = self.server.authorizers[route.authorizer]
        identity = [event["headers"].get(h) for h in authorizer.identity_headers]
        if not all(identity):
            self._json(401, {"message": "Unauthorized"})
            return None
        method, _, path = event["routeKey"].partition(" ")
        route_arn = f"arn:aws:execute-api:local:000000000000:local/$default/{method}{path}"
        auth_event = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": route_arn,
            "identitySource": identity,
            "routeKey": event["routeKey"],
            "rawPath": event["rawPath"],
            "rawQueryString": event["rawQueryString"],
            "headers": event["headers"],
            "requestContext": event["requestContext"],
        }
        try:
            answer = self.server.handlers[authorizer.function](auth_event, LambdaContext(authorizer.function))
        except Exception:
            logger.exception("authorizer %s failed", authorizer.name)
            self._json(500, {"message": "Internal Server Error"})
            return None
        if not answer.get("isAuthorized"):
            self._json(403, {"message": "Forbidden"})
            return None
        context: dict[str, Any] = answer.get("context") or {}
        return context

    def _cognito(self, body: bytes) -> None:
        """Cognito's unsigned sign-in API (InitiateAuth, RespondToAuthChallenge...), as the
        console's form calls it, passed to moto's Cognito."""
        import urllib.error
        import urllib.request

        target = self.headers.get("x-amz-target", "")
        action = target.removeprefix("AWSCognitoIdentityProviderService.")
        if action not in CONSOLE_COGNITO_CALLS or action == target:
            # moto signs nothing: an admin call let through would be anyone's (AdminAddUserToGroup...)
            self._json(
                400, {"__type": "InvalidParameterException", "message": "not a sign-in call of the console"}
            )
            return
        if action == "RevokeToken":
            self._revoke(body)
            return
        request = urllib.request.Request(  # noqa: S310 - the embedded moto's own endpoint
            self.server.cognito_endpoint,
            data=body,
            headers={"x-amz-target": target, "content-type": "application/x-amz-json-1.1"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                status, payload = answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            status, payload = refused.code, refused.read()
        self._send(status, [("content-type", "application/x-amz-json-1.1")], payload)

    def _cognito_call(self, action: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - the embedded moto's own endpoint
            self.server.cognito_endpoint,
            data=json.dumps(payload).encode(),
            headers={
                "x-amz-target": f"AWSCognitoIdentityProviderService.{action}",
                "content-type": "application/x-amz-json-1.1",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"{}")

    def _revoke(self, body: bytes) -> None:
        """RevokeToken, which moto lacks: the refresh token's user is signed out (GlobalSignOut),
        so the token can no longer be refreshed (Cognito revokes only that token's family)."""
        request = json.loads(body or b"{}")
        status, tokens = self._cognito_call(
            "InitiateAuth",
            {
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "ClientId": request.get("ClientId", ""),
                "AuthParameters": {"REFRESH_TOKEN": request.get("Token", "")},
            },
        )
        if status == 200:
            access = tokens["AuthenticationResult"]["AccessToken"]
            status, _ = self._cognito_call("GlobalSignOut", {"AccessToken": access})
        self._json(
            200 if status == 200 else 400, {} if status == 200 else {"__type": "UnauthorizedException"}
        )

    def _authorized(self) -> bool:
        supplied = self.headers.get("authorization", "")
        expected = f"Bearer {self.server.admin_token}"
        return hmac.compare_digest(supplied.encode(), expected.encode())

    def _send_lambda_result(self, result: dict[str, Any]) -> None:
        headers: list[tuple[str, str]] = []
        for name, value in (result.get("headers") or {}).items():
            headers.append((name, str(value)))
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((name, str(v)) for v in values)
        headers.extend(("set-cookie", c) for c in result.get("cookies") or [])
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        self._send(int(result.get("statusCode", 200)), headers, body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, PROPFIND...) is routed like API Gateway does: no route, 404."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)
