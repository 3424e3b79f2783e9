"""The conversion rules as pure functions: which goal, whether it may convert, what it is worth.

Nothing here talks to AWS; ``goalpost.postbacks`` reads the inputs and writes the result.
"""

import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from goalpost.domain import (
    Advertiser,
    Goal,
    NetworkSettings,
    OfferBundle,
    Session,
)
from goalpost.payouts import Worth
from goalpost.slugs import slug_of

Via = Literal["server_postback", "client_cookie"]

# Rejection codes and the honest HTTP status each answers with.
REJECTION_STATUS: dict[str, int] = {
    "unknown_transaction": 404,
    "session_expired": 410,
    "session_closed": 409,
    "offer_mismatch": 422,
    "goals_disabled": 403,
    "goal_not_found": 404,
    "goal_not_on_offer": 422,
    "goal_inactive": 409,
    "invalid_security_token": 403,
    "encrypted_required": 403,
}


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


class Refusal(NamedTuple):
    """A rejected conversion: a code, its HTTP status and a reason the sender can act on."""

    code: str
    reason: str
    goal: Goal | None = None

    @property
    def status(self) -> int:
        return REJECTION_STATUS[self.code]


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
    if not network.goals_enabled:
        return Refusal("goals_disabled", "offer goals are disabled on this network")
    offer = bundle.offer
    if not offer.goals_enabled:
        return Refusal("goals_disabled", f"multiple conversion goals are disabled on offer {offer.offer_id}")
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


def token_matches(advertiser: Advertiser | None, token: str) -> bool:
    """Constant-time check of the advertiser's postback security token (when one is applied)."""
    if advertiser is None or not advertiser.security_token_sha256:
        return True
    supplied = hashlib.sha256(token.encode()).hexdigest()
    return hmac.compare_digest(supplied, advertiser.security_token_sha256)


def judge(
    request: ConversionRequest,
    session: Session,
    bundle: OfferBundle,
    *,
    network: NetworkSettings,
    advertiser: Advertiser | None,
    goal_offer_id: str | None,
    now: int,
) -> Goal | Refusal:
    """Every gate a conversion passes before it is worth anything, in TUNE's order."""
    offer = bundle.offer
    if request.offer_id is not None and request.offer_id != offer.offer_id:
        return Refusal(
            "offer_mismatch",
            f"transaction belongs to offer {offer.offer_id}, not offer {request.offer_id}",
        )
    if not token_matches(advertiser, request.security_token):
        return Refusal("invalid_security_token", "security_token is missing or wrong")
    found = find_goal(request, bundle, network, goal_offer_id)
    if isinstance(found, Refusal):
        return found
    if session.is_closed:
        return Refusal(
            "session_closed",
            f"session was closed by end-point goal {session.closed_by_goal}",
            found,
        )
    if session.is_expired(now):
        return Refusal("session_expired", "session has expired", found)
    if found.encrypted and not request.encrypted:
        return Refusal(
            "encrypted_required",
            f"goal {found.goal_id} accepts only its encrypted tracking link",
            found,
        )
    return found


def conversion_fields(request: ConversionRequest) -> dict[str, str]:
    """The fields payout-structure rules look at (adv_sub*, aff_sub*, source, amount)."""
    fields = dict(request.adv_subs or {})
    if request.amount is not None:
        fields["amount"] = str(request.amount)
    return fields


def conversion_record(
    request: ConversionRequest,
    session: Session,
    bundle: OfferBundle,
    goal: Goal,
    *,
    conversion_id: str,
    status: str,
    status_code: str,
    worth: Worth | None,
    created_at: str,
    note: str = "",
) -> dict[str, Any]:
    """The stored conversion: its own facts plus the session's click context, copied."""
    offer = bundle.offer
    record: dict[str, Any] = {
        "kind": "conversion",
        "conversion_id": conversion_id,
        "offer_id": offer.offer_id,
        "goal_id": goal.goal_id,
        "goal_name": goal.slug,
        "goal_ref": goal.ref_id,
        "private": goal.private,
        "partner_id": session.partner_id,
        "advertiser_id": goal.advertiser_id or offer.advertiser_id,
        "transaction_id": session.transaction_id,
        "status": status,
        "status_code": status_code,
        "currency": offer.currency,
        "via": request.via,
        "created_at": created_at,
        "ip": request.ip,
        "user_agent": request.user_agent,
        "session_created_at": session.created_at,
        "session_ip": session.ip,
        "subs": dict(session.subs),
        "adv_subs": dict(request.adv_subs or {}),
    }
    if request.amount is not None:
        record["sale_amount"] = request.amount
    if request.unique_ids:
        record["unique_ids"] = dict(request.unique_ids)
    if worth is not None:
        record["payout"] = worth.payout
        record["revenue"] = worth.revenue
        record["payout_source"] = worth.payout_source
        note = "; ".join(n for n in (note, worth.note) if n)
    if note:
        record["note"] = note
    return record
