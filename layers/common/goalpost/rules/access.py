"""Offer access: who may see, apply for and send clicks to an offer (TUNE's and Everflow's
public / requires approval / private offers).

A public offer is every partner's. An offer that requires approval is shown to every partner,
who applies for it in the portal; only an approved partner's clicks reach it. A private offer is
shown only to partners an admin gave access to, and only their clicks reach it.
"""

from __future__ import annotations  # annotations unevaluated: the click imports this module

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goalpost.model.offer import AccessState, OfferAccessSetting

NO_ACCESS = "no_offer_access"
"""The reason code of a click refused for want of access (README, Traffic screening)."""


def may_run(setting: OfferAccessSetting, state: AccessState | None) -> bool:
    """Whether a partner's clicks reach the offer (``state``: the partner's, None: never applied)."""
    return setting == "public" or state == "approved"


def may_see(setting: OfferAccessSetting, state: AccessState | None) -> bool:
    """Whether the partner sees the offer in its portal (and may apply, when it requires approval)."""
    return setting != "private" or state == "approved"


def application_refusal(setting: OfferAccessSetting, state: AccessState | None) -> str:
    """Why a partner who sees the offer (``may_see``) may not apply for it now ("": it may)."""
    if setting == "public":
        return "the offer is public: every partner runs it without applying"
    if state == "applied":
        return "you applied already: the network has not decided yet"
    if state is not None:
        return f"your access is {state}: ask your network manager"
    return ""


DECISIONS: dict[AccessState, frozenset[AccessState | None]] = {
    "approved": frozenset({None, "applied", "rejected", "revoked"}),
    "rejected": frozenset({"applied"}),
    "revoked": frozenset({"approved"}),
}
"""What an admin may decide from which state: approve an application (or grant access with none,
or after a rejection or revocation), reject an application, revoke a grant."""


def decision_refusal(decision: AccessState, state: AccessState | None) -> str:
    """Why an admin's decision does not apply to the partner's state ("": it does)."""
    allowed = DECISIONS.get(decision)
    if allowed is None:
        return f"{decision} is not a decision: approved, rejected or revoked"
    if state in allowed:
        return ""
    if state is None:
        return "no application to reject" if decision == "rejected" else "no access to revoke"
    return f"the partner's access is {state}, not {'applied' if decision == 'rejected' else 'approved'}"
