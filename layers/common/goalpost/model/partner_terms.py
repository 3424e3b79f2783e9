"""Partner tiers, custom partner payouts and offer access, as the admin stores them.

The hot paths read only what they pay by (a partner's ``tier_id``, the network's default tier,
a custom payout's ``Rate``: ``model.offer``), so these nouns live apart and cost their imports
nothing.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

from goalpost.model.fields import document, load
from goalpost.model.offer import AccessState, Rate


class Tier(NamedTuple):
    """A named group of partners with its own payouts on goals that set tier payouts."""

    tier_id: str
    name: str
    level: int = 0
    """Orders the tiers (lists show the lowest first)."""

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Tier":
        return load(cls, data)


class CustomPayout(NamedTuple):
    """One partner's own payout on one goal of an offer (it wins over tiers and the goal's)."""

    partner_id: str
    goal_id: str
    payout: Rate
    set_at: str
    """When it was set (conversions keep the payout they were made with)."""

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "CustomPayout":
        return load(cls, data)


class OfferAccess(NamedTuple):
    """One partner's access to one offer: its application (``note``) and the admin's decision.

    Stored in the offer's partition, so the click reads it with the offer (``OfferBundle.access``).
    """

    offer_id: str
    partner_id: str
    state: AccessState
    note: str = ""
    """The partner's note with its application."""
    decision_note: str = ""
    """The admin's note with the decision (approve, reject, grant, revoke)."""
    applied_at: str = ""
    """When the partner applied ("": an admin gave access without an application)."""
    decided_at: str = ""
    decided_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "OfferAccess":
        return load(cls, data)
