"""Advertiser conversion pixels (/aff_l, /aff_goal?a=l) and the impression pixel, over HTTP.

A pixel never breaks the advertiser's page: every answer is a valid 1x1 GIF (or empty
HTML for iframe goals), with the outcome in the ``x-goalpost-code`` header and the log.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from goalpost import telemetry
from goalpost.model import clock
from goalpost.model.ids import optional_id
from goalpost.model.refusal import Refused
from goalpost.tracking.pixels import count_impression, partner_pixels
from goalpost.tracking.postbacks import record_conversion, record_goal_click
from goalpost.web.conversion_request import request_of, session_from_cookies
from goalpost.web.params import query_params
from goalpost.web.responses import header_value, http_response

logger = logging.getLogger("goalpost.pixels")

GIF = base64.b64encode(
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
).decode()


PIXEL_HTML_HEADERS = {
    # An iframe goal's page, and the partner's HTML framed in it, run in opaque origins: scripts,
    # but no access to this origin's storage, cookies or same-origin requests, no forms, popups or
    # navigation of another window (the console shares this host). ``allow-same-origin`` must
    # never be added (README, Security).
    "content-security-policy": "sandbox allow-scripts",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def iframe_page(partner_html: Sequence[str], images: Sequence[str]) -> str:
    """An iframe goal's page: the partners' image pixels, and their HTML code in a frame of its own.

    The page itself holds no script. The partners' code runs in a sandboxed ``srcdoc`` frame
    (scripts only: an opaque origin, no top navigation, forms or popups) of 1x1 pixels: it can
    read nothing of this origin, draw nothing visible, and cannot rewrite the address bar (its
    own URL is ``about:srcdoc``), even when this page is opened as a tab of its own.
    """
    imgs = "".join(f'<img src="{html.escape(url)}" width="1" height="1" alt="">' for url in images)
    frame = ""
    if partner_html:
        document = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>' + "".join(partner_html)
        frame = (
            f'<iframe sandbox="allow-scripts" srcdoc="{html.escape(document + "</body></html>")}"'
            ' width="1" height="1" style="border:0;position:absolute" title="partner pixels"></iframe>'
        )
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{frame}{imgs}</body></html>'


def gif_response(code: str, reason: str = "") -> dict[str, Any]:
    headers = {"x-goalpost-code": header_value(code)}
    if reason:
        headers["x-goalpost-reason"] = header_value(reason)
    response = http_response(200, GIF, "image/gif", headers=headers)
    response["isBase64Encoded"] = True
    return response


def pixel_response(
    event: Mapping[str, Any],
    *,
    default_goal: bool,
    goal_click: bool = False,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Record a pixel conversion (or, ``goal_click``, a goal click) and answer the GIF whatever happens.

    ``params``: the query already parsed by the caller (parsed here otherwise).
    """
    try:
        if params is None:
            params = query_params(event)
        from_cookie = None
        if not params.get("transaction_id"):
            from_cookie = session_from_cookies(event.get("cookies") or [], optional_id(params, "offer_id"))
            if not from_cookie:
                raise Refused("no tracking cookie and no transaction_id", code="no_session")
        request = request_of(
            event, params, default_goal=default_goal, via="client_cookie", transaction_id=from_cookie
        )
    except Refused as error:
        telemetry.refused(event, "pixel", error.code, error.reason)
        return gif_response(error.code, error.reason)
    except (ClientError, BotoCoreError):  # the session or the signing keys could not be read
        return _unavailable(event)
    try:
        outcome = (record_goal_click if goal_click else record_conversion)(request, clock.now())
        shown = partner_pixels(outcome.record) if outcome.record is not None else None
    except (ClientError, BotoCoreError):
        return _unavailable(event, request.transaction_id)
    telemetry.answered(
        event, "pixel", code=outcome.code, success=outcome.success, transaction_id=request.transaction_id,
        conversion_id=outcome.conversion_id, reason=outcome.reason,
    )  # fmt: skip
    if shown is None:
        return gif_response(outcome.code, outcome.reason)
    if shown.iframe:
        return http_response(
            200,
            iframe_page(shown.html, shown.images),
            "text/html; charset=utf-8",
            headers={"x-goalpost-code": outcome.code, **PIXEL_HTML_HEADERS},
        )
    if shown.images:
        return http_response(302, "", headers={"location": shown.images[0], "x-goalpost-code": outcome.code})
    return gif_response(outcome.code)


def _unavailable(event: Mapping[str, Any], transaction_id: str = "") -> dict[str, Any]:
    """Our side failed: the GIF still answers (a broken image helps nobody), the code says why."""
    logger.exception("pixel failed on storage")
    telemetry.storage_failed(event, "pixel", transaction_id)
    return gif_response("temporarily_unavailable", "temporarily unavailable")


def impression_response(event: Mapping[str, Any]) -> dict[str, Any]:
    """``/aff_i``: count an impression; always a GIF."""
    try:
        count_impression(query_params(event), clock.now())
    except Refused as error:
        return gif_response(error.code, error.reason)
    except (ClientError, BotoCoreError):
        logger.exception("impression not counted")
        return gif_response("temporarily_unavailable", "temporarily unavailable")
    return gif_response("impression")
