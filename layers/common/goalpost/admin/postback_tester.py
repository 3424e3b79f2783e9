"""The testing tools (README, Conversion trace): the postback tester (a partner postback sent
once, now, with sample macros, through the same SSRF guard, deadline and signing as real
deliveries; nothing is recorded) and an offer's test link (a tracking link whose session
records every conversion as a test, ``employee_test``).
"""

from decimal import Decimal
from http.client import HTTPException
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from goalpost.admin import http
from goalpost.admin.errors import ApiError
from goalpost.admin.http import IdPath
from goalpost.admin.network import base_url
from goalpost.admin.offers import bundle_of, get_offer
from goalpost.admin.partner_pixels import get_partner_pixel
from goalpost.admin.schemas import Strict
from goalpost.admin.views import Out
from goalpost.model.conversion import Conversion
from goalpost.model.redact import redacted_url
from goalpost.model.session import ADV_SUB_FIELDS, SUB_FIELDS

TEST_TRANSACTION = "0" * 32
"""The sample conversion's transaction id (no click has it: a receiver can tell a test)."""


class PostbackTestIn(Strict):
    """Macro values to use instead of the samples (``{payout}``, ``{aff_sub}``...)."""

    macros: Annotated[
        dict[Annotated[str, Field(pattern=r"^[a-z_0-9]{1,40}$")], Annotated[str, Field(max_length=255)]],
        Field(max_length=40),
    ] = {}
    event: Literal["approved", "reversal"] = "approved"


class TestLinkOut(Out):
    offer_id: str
    partner_id: str
    test_delivery: bool
    tracking_link: str


class PostbackTestOut(Out):
    outcome: Literal["delivered", "failed", "refused"]
    url: str
    status: int
    headers: dict[str, str]
    body: str
    took_ms: int
    error: str


def sample_conversion(offer_id: str, partner_id: str, goal_id: str) -> Conversion:
    return Conversion(
        conversion_id=f"{TEST_TRANSACTION}-{goal_id}", offer_id=offer_id, goal_id=goal_id,
        partner_id=partner_id, transaction_id=TEST_TRANSACTION, status="approved",
        status_code="test", created_at="", payout=Decimal("1.00"), revenue=Decimal("2.00"),
        sale_amount=Decimal("10.00"), ip="192.0.2.1", session_ip="192.0.2.1",
        subs={name: f"test_{name}" for name in SUB_FIELDS},
        adv_subs={name: f"test_{name}" for name in ADV_SUB_FIELDS},
    )  # fmt: skip


def test_postback(
    offer_id: str, pixel_id: str, body: PostbackTestIn, partner_id: str | None = None
) -> dict[str, Any]:
    """Expand the pixel's URL with sample (or given) macros, sign it as a real delivery, send it."""
    from goalpost.model.clock import now
    from goalpost.rules.macros import UnsafeUrl, conversion_macros, expand_url
    from goalpost.store import secret_store
    from goalpost.streams import partner_postbacks as pp

    pixel = get_partner_pixel(offer_id, pixel_id)
    if partner_id is not None and pixel["partner_id"] != partner_id:
        raise ApiError("not_found", f"partner pixel {pixel_id} does not exist")
    if pixel.get("kind") != "postback":
        raise ApiError(
            "validation_error", "only a server postback is sent by us: a pixel fires in the browser"
        )
    template = str(pixel["code"] if body.event == "approved" else pixel.get("reversal_code") or "")
    if not template:
        raise ApiError("validation_error", "this postback has no reversal URL")
    bundle = bundle_of(offer_id)
    goal_id = str(pixel.get("goal_id") or "0")
    values = {
        **conversion_macros(sample_conversion(offer_id, pixel["partner_id"], goal_id), bundle, goal_id),
        **body.macros,
    }
    try:
        url = expand_url(template, values)
    except UnsafeUrl as error:
        return _answer("refused", template, error=str(error))
    identifier = f"{TEST_TRANSACTION}-{goal_id}.test.{pixel_id}"
    headers = {"X-Goalpost-Delivery": identifier, "X-Goalpost-Event": body.event, "X-Goalpost-Test": "1"}
    secret = secret_store.partner_postback_secret(str(pixel["partner_id"]))
    if secret:
        headers["X-Goalpost-Signature"] = pp.signature(secret, int(now()), "GET", url, body.event, identifier)
    try:
        answer = pp.send(url, headers)
    except pp.UnsafeDestination as error:
        return _answer("refused", url, error=str(error))
    except (OSError, HTTPException) as error:
        return _answer("failed", url, error=f"{type(error).__name__}: {error}"[:200])
    outcome: Literal["delivered", "failed"] = "delivered" if 200 <= answer.status < 300 else "failed"
    return _answer(outcome, url, answer.status, answer.headers, answer.head, answer.took_ms)


def _answer(
    outcome: str, url: str, status: int = 0, headers: dict[str, str] | None = None, body: str = "",
    took_ms: int = 0, error: str = "",
) -> dict[str, Any]:  # fmt: skip
    return {
        "outcome": outcome, "url": redacted_url(url), "status": status, "headers": headers or {},
        "body": body, "took_ms": took_ms, "error": error,
    }  # fmt: skip


router = http.resource_router()


@router.post("/admin/offers/<offer_id>/partner-pixels/<pixel_id>/test", **http.documented())
def test(offer_id: IdPath, pixel_id: IdPath, body: PostbackTestIn) -> Response[PostbackTestOut]:
    """Send the postback once now with sample macros (``macros`` overrides them): the expanded
    URL, the answer's status, headers, first 1 KB and the time. Same SSRF guard, deadline and
    signature as a real delivery (``X-Goalpost-Test: 1`` tells the receiver); nothing is recorded."""
    return http.ok(test_postback(offer_id, pixel_id, body))


def test_link(offer_id: str, partner_id: str, deliver: bool, base: str) -> dict[str, Any]:
    """The partner's tracking link plus ``test=<token>`` (signed with the network's signing
    keys for this offer, partner and delivery choice): every conversion of a session it opens
    is recorded ``test`` with the code ``employee_test`` (TUNE 21), never paid or counted; with
    ``test_delivery`` the partner's pixels are told of them, marked as tests."""
    from goalpost.admin.partners import get_partner
    from goalpost.rules.links import partner_tracking_link
    from goalpost.rules.signing import sign_test_link
    from goalpost.store import signing_keys

    get_offer(offer_id)
    get_partner(partner_id)
    token = sign_test_link(offer_id, partner_id, deliver, signing_keys.signing_key())
    link = f"{partner_tracking_link(base, offer_id, partner_id)}&test={token}"
    return {"offer_id": offer_id, "partner_id": partner_id, "test_delivery": deliver, "tracking_link": link}


PartnerQuery = Annotated[str, Query(pattern=r"^[0-9]{1,12}$", description="The partner the link is for")]
DeliverQuery = Annotated[
    bool, Query(description="Tell the partner's pixels of its test conversions (marked as tests)")
]


@router.get("/admin/offers/<offer_id>/test-link", **http.documented())
def get_test_link(
    offer_id: IdPath, partner_id: PartnerQuery, test_delivery: DeliverQuery = False
) -> Response[TestLinkOut]:
    """A test link for a partner on this offer: the conversions of the sessions it opens are
    tests (``employee_test``, TUNE's 21): recorded and traced, never paid, counted or capped,
    told to the partner only with ``test_delivery=true``."""
    return http.ok(test_link(offer_id, partner_id, test_delivery, base_url(router)))
