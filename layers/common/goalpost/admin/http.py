"""The admin API's HTTP glue, shared by its routers: parameter types, who calls, ETags and
If-Match, the documented answers of each kind of route, the one map from refusal codes to HTTP
statuses, and the checks made before routing."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Any, NotRequired, TypedDict

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter, Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel

from goalpost.admin import access, console_sessions
from goalpost.admin.documents import Caller, Replayed, check_replay
from goalpost.admin.errors import AdminCode, ApiError
from goalpost.admin.paging import MAX_PAGE
from goalpost.admin.views import Refusal
from goalpost.model import clock
from goalpost.model.ids import NUMERIC_ID, RECORD_ID, iso_timestamp

IdPath = Annotated[str, Path(pattern=f"^{NUMERIC_ID}$")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=2000)]
OptionalId = Annotated[str, Query(pattern=f"^({NUMERIC_ID})?$")]
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
Day = Annotated[str | None, Query(pattern=_DAY, description="last day, YYYY-MM-DD (default: today)")]
FromDay = Annotated[
    str | None, Query(alias="from", pattern=_DAY, description="first day, YYYY-MM-DD (default: 7 days back)")
]
TimeZone = Annotated[
    str,
    Query(
        pattern=r"^[A-Za-z0-9_+/: -]{0,64}$",
        description="IANA name (America/New_York) or UTC offset (+05:00); default UTC",
    ),
]
IntervalQuery = Annotated[str, Query(pattern=r"^(hour|day|total)$")]
GroupBy = Annotated[
    str,
    Query(
        pattern=r"^[a-z0-9_,]{0,60}$",
        description="comma-separated: offer, goal, partner, advertiser; or one sub id (aff_sub..aff_sub5, "
        "source: where the network keeps them) with offer and partner",
    ),
]
StatusQuery = Annotated[str, Query(pattern=r"^[a-z,]{0,40}$", description="comma-separated statuses")]
Format = Annotated[str, Query(pattern=r"^(json|csv)$")]
RecordId = Annotated[
    str,
    Path(
        # a clawback's time has colons, which clients may send percent-encoded (record_id decodes)
        pattern=f"^{RECORD_ID.replace(':', '(:|%3[Aa])')}$",
        description="A conversion, a refusal (<transaction>-R<hex>) or a clawback (<conversion>-C<time>)",
    ),
]
IfMatch = Annotated[
    str,
    Header(alias="if-match", description='The version (ETag) you read, e.g. "3". Without it: 428.'),
]
OptionalIfMatch = Annotated[
    str | None,
    Header(
        alias="if-match", description='The version (ETag) you read, e.g. "3"; without it: the current one.'
    ),
]

ADMIN_SECURITY: list[dict[str, list[str]]] = [{"iam": []}, {"consoleUser": []}]
PARTNER_SECURITY: list[dict[str, list[str]]] = [{"partnerKey": []}]
_REFUSED = {"description": "Refused: the error says why", "content": {"application/json": {"model": Refusal}}}
_READ_ERRORS = (400, 401, 403, 404, 422)
_WRITE_ERRORS = (*_READ_ERRORS, 409, 412, 415, 428)


def resource_router() -> Router:
    return Router()  # type: ignore[no-untyped-call]


def documented(
    status: int = 200, *, partner: bool = False, writes: bool = False, csv: type[BaseModel] | None = None
) -> dict[str, Any]:
    """A route's OpenAPI answers: its success (the return type's model; with ``csv``, that
    model as JSON or the same rows as CSV) and its refusals."""
    success: dict[str, Any] = {"description": {200: "OK", 201: "Created", 204: "No content"}[status]}
    if csv is not None:
        success["content"] = {"application/json": {"model": csv}, "text/csv": {"schema": {"type": "string"}}}
    responses: dict[int, Any] = {status: success}
    responses.update({code: _REFUSED for code in (_WRITE_ERRORS if writes else _READ_ERRORS)})
    return {"responses": responses, "security": PARTNER_SECURITY if partner else ADMIN_SECURITY}


def record_id(path_value: str) -> str:
    """A record id from its path segment (a clawback's colons may come as ``%3A``)."""
    return path_value.replace("%3A", ":").replace("%3a", ":")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


HTTP_STATUS: dict[AdminCode, int] = {
    # the request itself
    "bad_cursor": 400,
    "bad_date": 400,
    "bad_goal_order": 400,
    "bad_group_by": 400,
    "bad_money": 400,
    "sub_id_not_kept": 400,
    "too_many_sub_values": 400,
    "bad_idempotency_key": 400,
    "bad_if_match": 400,
    "bad_limit": 400,
    "bad_range": 400,
    "bad_status": 400,
    "bad_timezone": 400,
    "invalid_json": 400,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "bad_name": 422,
    "default_goal": 422,
    "own_fallback": 422,
    "idempotency_key_reused": 422,
    "if_match_required": 428,
    # who calls
    "console_token": 401,
    "console_signed_out": 401,
    "unauthorized": 401,
    "iam_required": 403,
    "no_console_group": 403,
    "read_only": 403,
    "partner_inactive": 403,
    "postbacks_managed_by_network": 403,
    "html_pixels_managed_by_network": 403,
    # what it names
    "no_route": 404,
    "not_found": 404,
    "unknown_advertiser": 422,
    "unknown_offer": 422,
    "unknown_partner": 422,
    "unknown_payout_structure": 422,
    "unknown_tier": 422,
    "no_exchange_rates": 404,
    # money
    "invalid_currency": 422,
    "invalid_rate": 422,
    "invalid_rates_file": 422,
    "no_exchange_rate": 422,
    "rates_changed": 409,
    # the state it meets
    "already_delivered": 409,
    "already_exists": 409,
    "access_conflict": 409,
    "approval_disabled": 409,
    "encrypted_disabled": 409,
    "goals_disabled": 409,
    "conversion_changed": 409,
    "no_security_token": 409,
    "not_adjustable": 409,
    "partner_busy": 409,
    "advertiser_busy": 409,
    "no_console_user_pool": 409,
    "own_account": 409,
    "private_goal": 409,
    "private_goal_conflict": 409,
    "private_goal_payout": 422,
    "slug_taken": 409,
    "too_many_pixels": 409,
    "version_conflict": 412,
    # our side
    "internal_error": 500,
}
"""The one map from the admin's refusal codes to HTTP statuses (the tracking routes have theirs,
``web.status``): use cases say what is wrong, this says how HTTP says it."""


def http_status(code: AdminCode) -> int:
    return HTTP_STATUS[code]


class ErrorDetail(TypedDict):
    code: AdminCode
    message: str
    details: NotRequired[Any]


class ErrorBody(TypedDict):
    """The API's one error shape: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


def error_body(error: ApiError) -> ErrorBody:
    detail: ErrorDetail = {"code": error.code, "message": error.message}
    if error.details is not None:
        detail["details"] = error.details
    return {"error": detail}


def refused(error: ApiError) -> Response[Any]:
    """A refusal in the API's one error shape, with its code's status."""
    return json_response(http_status(error.code), error_body(error))


def ok(body: Any) -> Response[Any]:
    return json_response(200, body)


def csv_text(body: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(200, "text/csv; charset=utf-8", body, headers)


def entity(doc: dict[str, Any], status: int = 200) -> Response[Any]:
    """A configuration document with its version as the ETag (send it back in If-Match)."""
    return json_response(status, doc, {"etag": f'"{doc.get("version", 0)}"'})


def no_content() -> Response[Any]:
    return Response(204, content_types.APPLICATION_JSON, "")


BODILESS = frozenset({204, 304})
"""Answers that never carry a body (RFC 9110 6.4.1): a keep-alive client reads no bytes after
their headers, so a body would be taken for the start of the next answer."""


def bodiless(result: dict[str, Any]) -> dict[str, Any]:
    """The Lambda result as sent: a 204 or 304 without a body or a content type.

    The resolver serializes a route's ``None`` as ``null``; this is the one place that drops it.
    """
    if int(result.get("statusCode", 200)) not in BODILESS:
        return result
    headers = {k: v for k, v in (result.get("headers") or {}).items() if k.lower() != "content-type"}
    multi = {k: v for k, v in (result.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    answer = {**result, "body": "", "isBase64Encoded": False, "headers": headers}
    if "multiValueHeaders" in result:
        answer["multiValueHeaders"] = multi
    return answer


def version(if_match: str) -> int:
    """Optimistic concurrency: updates say which version they change (If-Match: "3").

    If-Match compares strongly (RFC 9110 13.1.1): a weak tag (``W/"3"``) never matches, 412."""
    raw = if_match.strip()
    if raw.startswith("W/"):
        raise ApiError(
            "version_conflict", 'If-Match compares strongly: a weak tag (W/"3") never matches; send "3"'
        )
    raw = raw.strip('"')
    if not raw.isdigit() or len(raw) > 12:
        raise ApiError("bad_if_match", "If-Match must be the version number you read")
    return int(raw)


def optional_version(if_match: str | None) -> int | None:
    """If-Match where it is optional: the version to change, or None for the current one."""
    return None if if_match is None else version(if_match)


def if_match_missing(errors: list[dict[str, Any]]) -> bool:
    """The only complaint is a missing If-Match: RFC 6585's 428, not a validation error."""
    return bool(errors) and all(
        e.get("type") == "missing" and tuple(e.get("loc", ())) == ("header", "if-match") for e in errors
    )


IF_MATCH_REQUIRED = ApiError(
    "if_match_required", 'send If-Match with the version you read (e.g. If-Match: "3")'
)

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def request_hash(method: str, path: str, body: str | None) -> str:
    """What a retry must repeat: method, path and the parsed body (whitespace and the order of
    keys do not make another request)."""
    text = body or ""
    try:
        text = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")) if text else ""
    except ValueError:
        pass  # not JSON: refused before routing; the raw text then names it
    return hashlib.sha256(f"{method} {path}\n{text}".encode()).hexdigest()


def caller(router: BaseRouter, partner_id: str = "", *, replay: bool = True) -> Caller:
    """The IAM principal, the console user, or the partner (its id as the partner routes
    checked it), for the audit trail; with the request's Idempotency-Key, if any.

    A key already used answers before any rule is applied: a retry replays what the first
    request made (``Replayed``), the same key on another request is a 422."""
    event = router.current_event
    authorizer = event.raw_event.get("requestContext", {}).get("authorizer") or {}
    raw_path = str(event.raw_event.get("rawPath", ""))
    actor = (
        f"partner:{partner_id}" if partner_id else access.admin_actor(raw_path, event.http_method, authorizer)
    )
    key = event.headers.get("idempotency-key") or ""
    if key and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError("bad_idempotency_key", "Idempotency-Key is 1 to 255 visible ASCII characters")
    found = Caller(
        actor=str(actor),
        at=iso_timestamp(clock.now()),
        idempotency_key=key,
        request_hash=request_hash(event.http_method, event.path, event.decoded_body) if key else "",
    )
    if key and replay and event.http_method == "POST":  # creates and the key rotation
        check_replay(found)
    return found


def create(
    answering: BaseRouter,
    make: Callable[[Caller], dict[str, Any]],
    replay: Callable[[Replayed], dict[str, Any]],
    *,
    partner_id: str = "",
    status: int = 201,
) -> Response[Any]:
    """A create route's answer: what ``make`` made (``status``, with its ETag), or, for a retry
    with the Idempotency-Key of a request that made it, ``replay`` of what that request made.

    Every route that makes something with a key (creates, the key rotation) answers through
    here, so each declares its replay where it is routed: there is no list of kinds to forget.
    A rule's refusal (a slug now taken...) that a concurrent request with the same key caused by
    making it first is that request's replay too. Secrets shown once (a partner's API key) are
    not in a replay: rotate the key if the first answer was lost.
    """
    try:
        return entity(make(caller(answering, partner_id)), status)
    except Replayed as made:
        return _replayed(replay(made))
    except ApiError as refused:
        first = _made_meanwhile(answering, refused, partner_id)
        if first is None:
            raise
        return _replayed(replay(first))


def _replayed(doc: dict[str, Any]) -> Response[Any]:
    answer = entity(doc)
    answer.headers["idempotent-replayed"] = "true"
    return answer


def _made_meanwhile(answering: BaseRouter, error: ApiError, partner_id: str) -> Replayed | None:
    """The replay of a concurrent request with this Idempotency-Key that made the thing first."""
    if not answering.current_event.headers.get("idempotency-key") or error.code in (
        "idempotency_key_reused",
        "bad_idempotency_key",
    ):
        return None
    try:
        caller(answering, partner_id)
    except Replayed as made:
        return made
    except ApiError:
        return None
    return None


def error_response(error: ApiError) -> dict[str, Any]:
    """A refusal answered before the resolver runs, in the API's one error shape."""
    return {
        "statusCode": http_status(error.code),
        "headers": {"content-type": "application/json"},
        "body": json.dumps(error_body(error)),
    }


def refused_before_routing(event: dict[str, Any]) -> dict[str, Any] | None:
    """Defence in depth, then the body: an admin request API Gateway did not authenticate
    (IAM or the console's token), or a console user outside the group that may make it, is
    refused; bodies are UTF-8 JSON only (415 or 400 before any parsing)."""
    raw_path = str(event.get("rawPath", ""))
    if raw_path.startswith(("/admin", "/console/api")):
        context = event.get("requestContext") or {}
        method = str((context.get("http") or {}).get("method", ""))
        try:
            access.admin_actor(raw_path, method, context.get("authorizer") or {})
            if raw_path.startswith("/console/api"):  # a token API Gateway took may have been revoked
                console_sessions.check_live(str((event.get("headers") or {}).get("authorization", "")))
        except ApiError as refused:
            return error_response(refused)
    body = event.get("body")
    if not body:
        return None
    content_type = (event.get("headers") or {}).get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        return error_response(ApiError("unsupported_media_type", "send the body as application/json"))
    try:
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return error_response(ApiError("invalid_json", "the body is not valid UTF-8 JSON"))
    return None
