"""How the admin API refuses: every error in its one shape (each code's status is ``http``'s).

A router of exception handlers only; the app includes it like the resources' routers.
"""

import logging
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
    ResponseValidationError,
)

from goalpost.admin import http
from goalpost.admin.documents import Replayed
from goalpost.admin.errors import ApiError
from goalpost.store import dynamo

router = http.resource_router()
logger = logging.getLogger("goalpost.admin")


@router.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def api_error(error: ApiError) -> Response[Any]:
    return http.refused(error)


@router.exception_handler(dynamo.InvalidCursor)  # type: ignore[untyped-decorator]
def invalid_cursor(error: dynamo.InvalidCursor) -> Response[Any]:
    return http.refused(ApiError("bad_cursor", str(error)))


@router.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def validation_error(error: RequestValidationError) -> Response[Any]:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in error.errors()
    ]
    refusal = (
        http.IF_MATCH_REQUIRED
        if http.if_match_missing(errors)
        else ApiError("validation_error", "request failed validation", errors)
    )
    return http.refused(refusal)


@router.exception_handler(ResponseValidationError)  # type: ignore[untyped-decorator]
def answer_broke_its_model(error: ResponseValidationError) -> Response[Any]:
    """An answer that contradicts its own model is our bug: a 500, in the one error shape (the
    caller learns nothing of the answer; the log has what broke)."""
    logger.error("answer broke its model: %s", error.errors())
    return http.refused(ApiError("internal_error", "the answer broke its own schema: our bug, reported"))


@router.exception_handler(Replayed)  # type: ignore[untyped-decorator]
def unanswered_replay(replay: Replayed) -> Response[Any]:
    """A retry reached a route that makes things without answering through ``http.create``
    (which would have replayed it): our bug, which tests/integration/test_create_replays.py
    exists to catch. Nothing was made twice; the caller is told it is ours, in the one shape."""
    logger.error("a retried create reached a route without its replay: %s", replay)
    return http.refused(ApiError("internal_error", "this retry could not be answered: our bug, reported"))


def no_route(_: Exception) -> Response[Any]:
    return http.refused(ApiError("no_route", "no such route"))
