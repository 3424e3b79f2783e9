"""Offers, goals, partners, advertisers, payout structures, network settings: immutable NamedTuples.

The hot paths (click, postback, pixel) build these from DynamoDB items without
pydantic: importing pydantic and building models costs about half of the whole boto3
client's cold start (see README, Performance). NamedTuples rather than dataclasses for
the same reason: eleven frozen dataclasses cost ~35 ms of import, NamedTuples ~5 ms.
The admin API validates input with its own pydantic schemas.
"""

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any, Literal, NamedTuple

from goalpost.model.caps import Cap, Lookback
from goalpost.model.fields import Codec, document, load, same
from goalpost.model.screening import ScreeningSettings

DEFAULT_GOAL_ID = "0"
"""The offer's default goal, as TUNE reports it (goal_id 0)."""

OfferStatus = Literal["active", "paused", "pending", "expired", "deleted"]

GoalStatus = Literal["active", "paused", "deleted"]

PartnerStatus = Literal["active", "pending", "blocked", "deleted"]

AdvertiserStatus = Literal["active", "paused", "deleted"]

Protocol = Literal["server", "image", "iframe"]

OfferAccessSetting = Literal["public", "requires_approval", "private"]
"""Who may run an offer (TUNE's and Everflow's offer visibility): every partner; partners an
admin approved after they applied in the portal; only partners an admin gave access to."""

AccessState = Literal["applied", "approved", "rejected", "revoked"]
"""Where one partner stands on one offer that is not public (``rules.access``)."""


ZERO = Decimal(0)

EMPTY: Mapping[str, Any] = MappingProxyType({})
"""The shared empty mapping used as a default (never mutated)."""


class Rate(NamedTuple):
    """A payout or revenue: flat per conversion, percent of the sale amount, or both."""

    flat: Decimal = ZERO
    percent: Decimal = ZERO

    @property
    def is_zero(self) -> bool:
        return self.flat == 0 and self.percent == 0

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Rate":
        return load(cls, data)


class Goal(NamedTuple):
    """A conversion event type of an offer; the default goal has id ``DEFAULT_GOAL_ID``."""

    goal_id: str
    offer_id: str
    name: str
    slug: str
    status: GoalStatus = "active"
    description: str = ""
    advertiser_id: str = ""
    protocol: Protocol = "server"
    ref_id: str = ""
    payout: Rate = Rate()
    revenue: Rate = Rate()
    tiers_enabled: bool = False
    tier_payouts: Mapping[str, Rate] = EMPTY
    tier_revenues: Mapping[str, Rate] = EMPTY
    payout_structure_ids: tuple[str, ...] = ()
    allow_multiple: bool = False
    end_point: bool = False
    approve: bool = False
    encrypted: bool = False
    private: bool = False
    min_session_seconds: int | None = None
    """Lookback window override (None: the offer's)."""
    max_session_seconds: int | None = None

    @property
    def is_default(self) -> bool:
        return self.goal_id == DEFAULT_GOAL_ID

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Goal":
        return load(cls, data)


def _refuse_unless_pending(value: Any) -> str:
    """An offer's cap action as stored: anything but "pending" refuses (the safe side)."""
    return "pending" if value == "pending" else "refuse"


def _at_least_one(value: Any) -> int:
    return int(value) or 1


class Offer(NamedTuple):
    """Something an advertiser sells; carries its default goal's settings."""

    offer_id: str
    name: str
    advertiser_id: str
    offer_url: str
    default_goal: Goal
    status: OfferStatus = "active"
    session_hours: int = 24
    currency: str = "USD"
    goals_enabled: bool = False
    ref_id: str = ""
    version: int = 1
    timezone: str = "UTC"
    """Where the offer's days and months (of its caps) begin."""
    caps: tuple[Cap, ...] = ()
    cap_action: Annotated[Literal["refuse", "pending"], Codec(_refuse_unless_pending, same)] = "refuse"
    """Over a cap: refuse the conversion, or record it as pending for an admin to decide."""
    cap_shards: Annotated[int, Codec(_at_least_one, same)] = 1
    """Counter items per cap and period: more shards, more conversions per second (README, Caps)."""
    min_session_seconds: int = 0
    """Lookback window: a conversion counts from this long after the click (0: at once)..."""
    max_session_seconds: int = 0
    """... up to this long after it (0: as long as the session lives)."""
    accepts_other_currencies: bool = True
    """A postback in another currency is converted into ``currency``; False: refused."""
    screening: ScreeningSettings = ScreeningSettings()
    """The screening rules this offer sets itself (``Screening.overridden``); the others are the network's."""
    fallback_offer_id: str = ""
    """Where a click goes when it cannot reach this offer (paused or expired offer, partner not
    allowed, screened out): this offer's URL (if active), else ``fallback_url``, else the network's."""
    fallback_url: str = ""
    access: OfferAccessSetting = "public"
    """Who may run it (``rules.access``): clicks of a partner without access go to the fallback."""

    def lookback(self, goal: Goal) -> Lookback:
        """The window a goal's conversions must fall in: the goal's own, else the offer's."""
        low, high = goal.min_session_seconds, goal.max_session_seconds
        return Lookback(
            self.min_session_seconds if low is None else low,
            self.max_session_seconds if high is None else high,
        )

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Offer":
        return load(cls, data)


class Partner(NamedTuple):
    """An affiliate who sends traffic through tracking links."""

    partner_id: str
    name: str
    status: PartnerStatus = "active"
    tier_id: str = ""
    """Empty: the network's default tier."""
    api_key_sha256: str = ""
    postback_secret: str = ""
    currency: str = ""
    """What the partner is paid in; "": each offer's own currency."""

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Partner":
        return load(cls, data)


class Advertiser(NamedTuple):
    """Whoever reports conversions; may require a postback security token.

    As in TUNE, a token is set first (the postback links then carry it, so the advertiser
    can deploy them) and enforced only once applied.
    """

    advertiser_id: str
    name: str
    status: AdvertiserStatus = "active"
    security_token: str = ""
    """A token kept in plain text before issue 26 (still compared; hashed at the advertiser's next write)."""
    security_token_applied: bool = False
    security_token_sha256: str = ""
    """Hex SHA-256 of the token: all that is kept of it (the admin sees it once, when it is set)."""
    postback_ips: tuple[str, ...] = ()
    """Addresses and networks (CIDR) its server postbacks may come from; empty: anywhere (TUNE 14)."""

    @property
    def token_enforced(self) -> bool:
        return self.security_token_applied

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Advertiser":
        loaded = load(cls, data)
        if data and data.get("security_token_applied") is None and loaded.security_token_sha256:
            # a hash stored before tokens could wait to be applied was always enforced
            loaded = loaded._replace(security_token_applied=True)
        return loaded


RuleField = Literal[
    "adv_sub", "adv_sub2", "adv_sub3", "adv_sub4", "adv_sub5",
    "aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5",
    "source", "amount",
]  # fmt: skip

RuleOperator = Literal["equals", "in", "like", "=", "<", "<=", ">", ">=", "between"]


class Condition(NamedTuple):
    """One test of a payout-structure rule over a conversion's field."""

    field: RuleField
    operator: RuleOperator
    values: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Condition":
        return load(cls, data)


class StructureRule(NamedTuple):
    """All conditions must hold; the first matching rule of a structure wins.

    A rule sets payout, revenue or both; what it leaves out (None) stays the goal's own.
    """

    conditions: tuple[Condition, ...] = ()
    payout: Rate | None = None
    revenue: Rate | None = None

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "StructureRule":
        return load(cls, data)


class PayoutStructure(NamedTuple):
    """A named, reusable, ordered list of rules."""

    structure_id: str
    name: str
    rules: tuple[StructureRule, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "PayoutStructure":
        return load(cls, data)


class OfferBundle(NamedTuple):
    """Everything the hot paths need about one offer, read in one query and cached."""

    offer: Offer
    goals: Mapping[str, Goal]
    """Additional goals by id (the default goal lives on the offer)."""
    custom_payouts: Mapping[tuple[str, str], Rate]
    """(partner_id, goal_id) -> the partner's custom payout."""
    pixels: tuple[Mapping[str, Any], ...] = ()
    """Partner pixels and postbacks configured on this offer."""
    access: Mapping[str, AccessState] = EMPTY
    """partner_id -> where that partner stands (applied, approved...): read in the same query."""

    def goal(self, goal_id: str) -> Goal | None:
        if goal_id == DEFAULT_GOAL_ID:
            return self.offer.default_goal
        return self.goals.get(goal_id)


class NetworkSettings(NamedTuple):
    """Network-wide switches (the "Offer Goals" setting among them)."""

    goals_enabled: bool = True
    tracking_domain: str = ""
    currency: str = "USD"
    session_hours: int = 24
    approval_enabled: bool = True
    encrypted_enabled: bool = True
    partners_see_pending: bool = False
    partners_manage_postbacks: bool = False
    partners_html_pixels: bool = False
    default_tier_id: str = ""
    screening: ScreeningSettings = ScreeningSettings()
    """The screening rules' network defaults (each offer may override them)."""
    fallback_url: str = ""
    """The last stop of a click that cannot reach its offer (after the offer's own fallback)."""
    stats_sub_ids: tuple[str, ...] = ()
    """The sub ids (``aff_sub``..``aff_sub5``, ``source``) the stats break down by: the stats
    consumer keeps cells per value of these only, from when they are chosen."""
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "NetworkSettings":
        return load(cls, data)
