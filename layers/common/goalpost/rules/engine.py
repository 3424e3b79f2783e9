"""The conversion rules as pure functions: which goal, whether it may convert, what it is worth.

Nothing here talks to AWS; ``tracking.postbacks`` reads the inputs and writes the result.
"""

import hashlib
import hmac
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from goalpost.model.conversion import Conversion
from goalpost.model.conversion_request import ConversionRequest
from goalpost.model.offer import Advertiser, Goal, NetworkSettings, Offer, OfferBundle, Partner
from goalpost.model.screening import Screening
from goalpost.model.session import Session
from goalpost.rules.caps import lookback_refusal
from goalpost.rules.payouts import Worth
from goalpost.rules.screening import ip_not_allowed_verdict
from goalpost.rules.slugs import slug_of

if TYPE_CHECKING:
    from goalpost.rules.exchange import Converted, Priced


class Refusal(NamedTuple):
    """A rejected conversion: a code (``web.status`` maps it to HTTP) and a reason the sender can act on."""

    code: str
    reason: str
    goal: Goal | None = None


def goals_disabled(network: NetworkSettings, offer: Offer) -> str | None:
    """Why an offer's additional goals are off (the network's switch, then the offer's); None: on."""
    if not network.goals_enabled:
        return "offer goals are disabled on this network"
    if not offer.goals_enabled:
        return f"multiple conversion goals are disabled on offer {offer.offer_id}"
    return None


def offer_goals(bundle: OfferBundle, network: NetworkSettings) -> list[Goal]:
    """The default goal, then the additional goals by id while goals are on for network and offer."""
    goals = [bundle.offer.default_goal]
    if goals_disabled(network, bundle.offer) is None:
        goals.extend(sorted(bundle.goals.values(), key=lambda g: int(g.goal_id)))
    return goals


def _goal_by_name(bundle: OfferBundle, name: str) -> Goal | None:
    wanted_slug = slug_of(name)
    wanted_name = name.strip().lower()
    for goal in (bundle.offer.default_goal, *bundle.goals.values()):
        if goal.slug == wanted_slug or goal.name.strip().lower() == wanted_name:
            return goal
    return None


def _goal_by_ref(bundle: OfferBundle, ref: str) -> Goal | None:
    for goal in (bundle.offer.default_goal, *bundle.goals.values()):
        if goal.ref_id and goal.ref_id == ref:
            return goal
    return None


def goal_resolution(request: ConversionRequest) -> str:
    """Which way ``find_goal`` looks for the request's goal (one of ``model.conversion.GOAL_BY``)."""
    if request.encrypted:
        return "encrypted_link"
    if request.default_goal:
        return "default_goal"
    if request.goal_id is not None:
        return "goal_id"
    if request.goal_name is not None:
        return "goal_name"
    return "goal_ref" if request.goal_ref is not None else ""


def find_goal(
    request: ConversionRequest,
    bundle: OfferBundle,
    network: NetworkSettings,
    goal_offer_id: str | None,
) -> Goal | Refusal:
    """Resolve the goal a request names, within the session's offer.

    ``goal_offer_id`` is the offer that owns ``request.goal_id`` network-wide (looked up only
    when the id is not on this offer), so a goal of another offer gets its own reason.
    """
    if request.default_goal:
        return bundle.offer.default_goal
    offer = bundle.offer
    off = goals_disabled(network, offer)
    if off is not None:
        return Refusal("goals_disabled", off)
    goal: Goal | None
    if request.goal_id is not None:
        goal = bundle.goal(request.goal_id)
        if goal is None:
            if goal_offer_id and goal_offer_id != offer.offer_id:
                return Refusal(
                    "goal_not_on_offer",
                    f"goal {request.goal_id} belongs to offer {goal_offer_id}, "
                    f"not to this session's offer {offer.offer_id}",
                )
            return Refusal("goal_not_found", f"goal {request.goal_id} does not exist")
    elif request.goal_name is not None:
        goal = _goal_by_name(bundle, request.goal_name)
        if goal is None:
            return Refusal(
                "goal_not_found", f"offer {offer.offer_id} has no goal named {request.goal_name[:60]!r}"
            )
    elif request.goal_ref is not None:
        goal = _goal_by_ref(bundle, request.goal_ref)
        if goal is None:
            return Refusal(
                "goal_not_found", f"offer {offer.offer_id} has no goal with ref {request.goal_ref[:60]!r}"
            )
    else:
        raise AssertionError("a goal request names its goal (checked when parsing)")
    if goal.status != "active":
        return Refusal("goal_inactive", f"goal {goal.goal_id} is {goal.status}", goal)
    return goal


def token_digest(token: str) -> str:
    """All that is kept of an advertiser's security token: its hex SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(advertiser: Advertiser | None, token: str) -> bool:
    """Constant-time check of the advertiser's postback security token, once it is applied."""
    if advertiser is None or not advertiser.token_enforced:
        return True
    if advertiser.security_token_sha256:  # only the hash is kept: compare the presented token's
        return hmac.compare_digest(token_digest(token), advertiser.security_token_sha256)
    # a token stored in plain text before issue 26 (hashed at the advertiser's next write)
    return bool(advertiser.security_token) and hmac.compare_digest(
        token.encode(), advertiser.security_token.encode()
    )


def sender_refusal(
    request: ConversionRequest, advertiser: Advertiser | None, advertiser_id: str
) -> tuple[str, str] | None:
    """Why a request may not speak for its advertiser (a code and a reason), or None: its token
    when it needs one, and a server postback's source IP against the advertiser's allow-list
    (TUNE's 14). One gate for conversions and status updates alike: a status postback from
    elsewhere must not approve what a conversion postback from there could not record."""
    if request.needs_token and not token_matches(advertiser, request.security_token):
        return "invalid_security_token", "security_token is missing or wrong"
    if request.via == "server_postback" and advertiser is not None and advertiser.postback_ips:
        outside_list = ip_not_allowed_verdict(request.ip, advertiser.postback_ips, advertiser_id)
        if outside_list is not None:
            return outside_list.code, outside_list.reason
    return None


def advertiser_of(goal: Goal, bundle: OfferBundle) -> str:
    """A goal may name its own advertiser; otherwise it is the offer's."""
    return goal.advertiser_id or bundle.offer.advertiser_id


def judge(
    request: ConversionRequest,
    session: Session,
    bundle: OfferBundle,
    *,
    network: NetworkSettings,
    partner: Partner | None,
    advertisers: Callable[[str], Advertiser | None],
    goal_offer_id: str | None,
    now: float,
    screening: Screening | None = None,
) -> Goal | Refusal:
    """Every gate a conversion passes before it is worth anything, in TUNE's order.

    The goal is resolved first because its advertiser's token is the one that decides; a
    request whose goal does not resolve is judged against the offer's advertiser. A server
    postback must come from its advertiser's allow-list (when it has one). A conversion too
    soon after its click is refused here only while the ``too_soon`` screening rule refuses
    (the default); held or flagged, the caller screens it.
    """
    offer = bundle.offer
    if request.offer_id is not None and request.offer_id != offer.offer_id:
        return Refusal(
            "offer_mismatch",
            f"transaction belongs to offer {offer.offer_id}, not offer {request.offer_id}",
        )
    found = find_goal(request, bundle, network, goal_offer_id)
    named = found.goal if isinstance(found, Refusal) else found
    advertiser_id = advertiser_of(named, bundle) if named is not None else offer.advertiser_id
    advertiser = advertisers(advertiser_id)
    not_theirs = sender_refusal(request, advertiser, advertiser_id)
    if not_theirs is not None:
        return Refusal(*not_theirs, named)
    if isinstance(found, Refusal):
        return found
    if request.advertiser_id is not None and request.advertiser_id != advertiser_id:
        return Refusal(
            "advertiser_mismatch",
            f"goal {found.goal_id} belongs to advertiser {advertiser_id}, not {request.advertiser_id}",
            found,
        )
    if request.currency not in (None, offer.currency) and not offer.accepts_other_currencies:
        return Refusal(
            "currency_mismatch",
            f"offer {offer.offer_id} accepts amounts only in {offer.currency}",
            found,
        )
    if offer.status != "active":
        return Refusal("offer_inactive", f"offer {offer.offer_id} is {offer.status}", found)
    if partner is None or partner.status != "active":
        state = partner.status if partner is not None else "unknown"
        return Refusal("partner_inactive", f"partner {session.partner_id} is {state}", found)
    if advertiser is not None and advertiser.status != "active":
        return Refusal("advertiser_inactive", f"advertiser {advertiser_id} is {advertiser.status}", found)
    if session.is_closed:
        if session.closed_by_goal != found.goal_id:
            return Refusal(
                "session_closed",
                f"session was closed by end-point goal {session.closed_by_goal}",
                found,
            )
        # Closed by this very goal: a repeat of the closing conversion, answered as a duplicate.
    elif session.is_expired(now):
        return Refusal("session_expired", "session has expired", found)
    if found.encrypted and not request.encrypted:
        return Refusal(
            "encrypted_required",
            f"goal {found.goal_id} accepts only its encrypted tracking link",
            found,
        )
    outside = lookback_refusal(offer.lookback(found), session.created_at, now)
    screened = outside is not None and outside[0] == "lookback_too_soon"
    if screened and screening is not None and screening.too_soon.action != "refuse":
        outside = None  # held, flagged or off by the too_soon rule: the caller screens it
    if outside is not None and not session.is_closed:  # closed by this goal: answered as a duplicate
        return Refusal(*outside, found)
    return found


def conversion_fields(request: ConversionRequest, amount: Decimal | None) -> dict[str, str]:
    """The fields payout-structure rules look at (adv_sub*, aff_sub*, source, and ``amount``:
    the sale in the offer's currency, which is what a structure's bounds are written in)."""
    fields = dict(request.adv_subs or {})
    if amount is not None:
        fields["amount"] = str(amount)
    return fields


def conversion_record(
    request: ConversionRequest,
    session: Session,
    bundle: OfferBundle,
    goal: Goal | None,
    *,
    conversion_id: str,
    status: str,
    status_code: str,
    worth: Worth | None,
    created_at: str,
    note: str = "",
    sale: "Converted | None" = None,
    money: "Priced | None" = None,
) -> Conversion:
    """The stored conversion: its own facts plus the session's click context, copied.

    ``goal`` is None only for a refusal whose goal never resolved: such a record names no
    goal (the sender's words are kept in ``requested_goal``, for admins only).
    """
    offer = bundle.offer
    if worth is not None:
        note = "; ".join(n for n in (note, worth.note) if n)
    return Conversion(
        conversion_id=conversion_id,
        offer_id=offer.offer_id,
        goal_id=goal.goal_id if goal else "",
        partner_id=session.partner_id,
        transaction_id=session.transaction_id,
        status=status,
        status_code=status_code,
        created_at=created_at,
        goal_name=goal.slug if goal else "",
        goal_ref=goal.ref_id if goal else "",
        private=goal.private if goal else False,
        advertiser_id=advertiser_of(goal, bundle) if goal else offer.advertiser_id,
        currency=offer.currency,
        via=request.via,
        ip=request.ip,
        user_agent=request.user_agent,
        session_created_at=int(session.created_at),
        session_ip=session.ip,
        subs=dict(session.subs),
        adv_subs=dict(request.adv_subs or {}),
        sale_amount=request.amount,
        unique_ids=dict(request.unique_ids),
        requested_goal=request.requested_goal if goal is None else "",
        goal_by=goal_resolution(request),
        payout=worth.payout if worth is not None else None,
        revenue=worth.revenue if worth is not None else None,
        payout_source=worth.payout_source if worth is not None else "",
        note=note,
        sale_currency=request.currency if request.currency not in (None, offer.currency) else "",
        sale_rate=sale.rate if sale is not None and sale.rate_day else None,
        **(_recorded(money) if money is not None else {}),
    )


def _recorded(money: "Priced") -> dict[str, Any]:
    from goalpost.rules.exchange import recorded_fields  # several currencies only: off the cold start

    return recorded_fields(money)
