"""What an advertiser's postback or pixel asks for, once its parameters are parsed and checked.

``web.conversion_request`` builds it from a request; ``rules.engine`` judges it and
``tracking.postbacks`` records what the judgement says.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, NamedTuple

Via = Literal["server_postback", "client_cookie"]


class ConversionRequest(NamedTuple):
    """What an advertiser's postback or pixel says, parsed and validated."""

    transaction_id: str
    default_goal: bool
    """True for /aff_lsr and /aff_l; False for /aff_goal, which names its goal."""
    goal_id: str | None = None
    goal_name: str | None = None
    goal_ref: str | None = None
    offer_id: str | None = None
    amount: Decimal | None = None
    adv_subs: Mapping[str, str] | None = None
    unique_ids: tuple[tuple[str, str], ...] = ()
    security_token: str = ""
    ip: str = ""
    user_agent: str = ""
    via: Via = "server_postback"
    fingerprint: str = ""
    encrypted: bool = False
    """True when the request came through the signed (encrypted) link form and verified."""
    new_status: str = ""
    """``status=`` on a postback: adjust an existing conversion instead of adding one."""
    reason: str = ""
    advertiser_id: str | None = None
    """``adv_id``: the advertiser the sender says it is (checked against the goal's)."""
    currency: str | None = None
    """``currency``: must be the offer's (amounts are never converted)."""
    session_from_cookie: bool = False
    """A pixel that found its session by the tracking cookie, not by a transaction_id parameter."""
    test: bool = False
    """``test=1``: record a test conversion (README, Conversion trace), never paid or counted."""
    test_code: str = ""
    """The test's ``status_code`` (``model.conversion.TEST_CODES``; "" for ``debug_test``)."""
    test_delivery: bool = False
    """``test_delivery=1`` with a test: tell the partner's pixels too, marked as a test."""
    query: Mapping[str, str] | None = None
    """The parameters as received (a refusal keeps them, secrets redacted, for the trace)."""

    @property
    def requested_goal(self) -> str:
        """The goal as the sender named it (kept on refusals whose goal never resolved)."""
        return self.goal_id or self.goal_name or self.goal_ref or ""

    @property
    def needs_token(self) -> bool:
        """Server postbacks, and pixels naming a transaction id, carry the advertiser's token.

        A pixel found by the tracking cookie is proven by the user's browser (and, where the
        goal asks, by its encrypted link); a token in page HTML would prove nothing.
        """
        return not self.session_from_cookie
