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
from typing import Any, Literal, NamedTuple

from goalpost.model.caps import Cap, Lookback

DEFAULT_GOAL_ID = "0"
"""The offer's default goal, as TUNE reports it (goal_id 0)."""

OfferStatus = Literal["active", "paused", "pending", "expired", "deleted"]

GoalStatus = Literal["active", "paused", "deleted"]

PartnerStatus = Literal["active", "pending", "blocked", "deleted"]

AdvertiserStatus = Literal["active", "paused", "deleted"]

Protocol = Literal["server", "image", "iframe"]


ZERO = Decimal(0)

EMPTY: Mapping[str, Any] = MappingProxyType({})
"""The shared empty mapping used as a default (never mutated)."""


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class Rate(NamedTuple):
    """A payout or revenue: flat per conversion, percent of the sale amount, or both."""

    flat: Decimal = ZERO
    percent: Decimal = ZERO

    @property
    def is_zero(self) -> bool:
        return self.flat == 0 and self.percent == 0

    def to_dict(self) -> dict[str, Decimal]:
        return {"flat": self.flat, "percent": self.percent}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Rate":
        if not data:
            return cls()
        return cls(flat=_dec(data.get("flat", 0)), percent=_dec(data.get("percent", 0)))


def _optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _rates(data: Mapping[str, Any] | None) -> dict[str, Rate]:
    return {str(k): Rate.from_dict(v) for k, v in (data or {}).items()}


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
        return {
            "goal_id": self.goal_id,
            "offer_id": self.offer_id,
            "name": self.name,
            "slug": self.slug,
            "status": self.status,
            "description": self.description,
            "advertiser_id": self.advertiser_id,
            "protocol": self.protocol,
            "ref_id": self.ref_id,
            "payout": self.payout.to_dict(),
            "revenue": self.revenue.to_dict(),
            "tiers_enabled": self.tiers_enabled,
            "tier_payouts": {k: v.to_dict() for k, v in self.tier_payouts.items()},
            "tier_revenues": {k: v.to_dict() for k, v in self.tier_revenues.items()},
            "payout_structure_ids": list(self.payout_structure_ids),
            "allow_multiple": self.allow_multiple,
            "end_point": self.end_point,
            "approve": self.approve,
            "encrypted": self.encrypted,
            "private": self.private,
            "min_session_seconds": self.min_session_seconds,
            "max_session_seconds": self.max_session_seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Goal":
        return cls(
            goal_id=str(data["goal_id"]),
            offer_id=str(data["offer_id"]),
            name=data["name"],
            slug=data["slug"],
            status=data.get("status", "active"),
            description=data.get("description", ""),
            advertiser_id=str(data.get("advertiser_id", "")),
            protocol=data.get("protocol", "server"),
            ref_id=data.get("ref_id", ""),
            payout=Rate.from_dict(data.get("payout")),
            revenue=Rate.from_dict(data.get("revenue")),
            tiers_enabled=bool(data.get("tiers_enabled", False)),
            tier_payouts=_rates(data.get("tier_payouts")),
            tier_revenues=_rates(data.get("tier_revenues")),
            payout_structure_ids=tuple(str(s) for s in data.get("payout_structure_ids", ())),
            allow_multiple=bool(data.get("allow_multiple", False)),
            end_point=bool(data.get("end_point", False)),
            approve=bool(data.get("approve", False)),
            encrypted=bool(data.get("encrypted", False)),
            private=bool(data.get("private", False)),
            min_session_seconds=_optional_int(data.get("min_session_seconds")),
            max_session_seconds=_optional_int(data.get("max_session_seconds")),
        )


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
    cap_action: Literal["refuse", "pending"] = "refuse"
    """Over a cap: refuse the conversion, or record it as pending for an admin to decide."""
    cap_shards: int = 1
    """Counter items per cap and period: more shards, more conversions per second (README, Caps)."""
    min_session_seconds: int = 0
    """Lookback window: a conversion counts from this long after the click (0: at once)..."""
    max_session_seconds: int = 0
    """... up to this long after it (0: as long as the session lives)."""

    def lookback(self, goal: Goal) -> Lookback:
        """The window a goal's conversions must fall in: the goal's own, else the offer's."""
        low, high = goal.min_session_seconds, goal.max_session_seconds
        return Lookback(
            self.min_session_seconds if low is None else low,
            self.max_session_seconds if high is None else high,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "offer_id": self.offer_id,
            "name": self.name,
            "advertiser_id": self.advertiser_id,
            "offer_url": self.offer_url,
            "default_goal": self.default_goal.to_dict(),
            "status": self.status,
            "session_hours": self.session_hours,
            "currency": self.currency,
            "goals_enabled": self.goals_enabled,
            "ref_id": self.ref_id,
            "version": self.version,
            "timezone": self.timezone,
            "caps": [cap.to_dict() for cap in self.caps],
            "cap_action": self.cap_action,
            "cap_shards": self.cap_shards,
            "min_session_seconds": self.min_session_seconds,
            "max_session_seconds": self.max_session_seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Offer":
        return cls(
            offer_id=str(data["offer_id"]),
            name=data["name"],
            advertiser_id=str(data["advertiser_id"]),
            offer_url=data["offer_url"],
            default_goal=Goal.from_dict(data["default_goal"]),
            status=data.get("status", "active"),
            session_hours=int(data.get("session_hours", 24)),
            currency=data.get("currency", "USD"),
            goals_enabled=bool(data.get("goals_enabled", False)),
            ref_id=data.get("ref_id", ""),
            version=int(data.get("version", 1)),
            timezone=str(data.get("timezone") or "UTC"),
            caps=tuple(Cap.from_dict(c) for c in data.get("caps") or ()),
            cap_action="pending" if data.get("cap_action") == "pending" else "refuse",
            cap_shards=int(data.get("cap_shards") or 1),
            min_session_seconds=int(data.get("min_session_seconds") or 0),
            max_session_seconds=int(data.get("max_session_seconds") or 0),
        )


class Partner(NamedTuple):
    """An affiliate who sends traffic through tracking links."""

    partner_id: str
    name: str
    status: PartnerStatus = "active"
    tier_id: str = ""
    """Empty: the network's default tier."""
    api_key_sha256: str = ""
    postback_secret: str = ""

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Partner":
        return cls(
            partner_id=str(data["partner_id"]),
            name=data["name"],
            status=data.get("status", "active"),
            tier_id=str(data.get("tier_id", "")),
            api_key_sha256=data.get("api_key_sha256", ""),
            postback_secret=data.get("postback_secret", ""),
        )


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

    @property
    def token_enforced(self) -> bool:
        return self.security_token_applied

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Advertiser":
        return cls(
            advertiser_id=str(data["advertiser_id"]),
            name=data["name"],
            status=data.get("status", "active"),
            security_token=data.get("security_token", ""),
            # a hash stored before tokens could wait to be applied was always enforced
            security_token_applied=bool(
                data.get("security_token_applied", bool(data.get("security_token_sha256")))
            ),
            security_token_sha256=data.get("security_token_sha256", ""),
        )


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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Condition":
        return cls(
            field=data["field"],
            operator=data["operator"],
            values=tuple(str(v) for v in data["values"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "operator": self.operator, "values": list(self.values)}


class StructureRule(NamedTuple):
    """All conditions must hold; the first matching rule of a structure wins.

    A rule sets payout, revenue or both; what it leaves out (None) stays the goal's own.
    """

    conditions: tuple[Condition, ...]
    payout: Rate | None
    revenue: Rate | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StructureRule":
        return cls(
            conditions=tuple(Condition.from_dict(c) for c in data.get("conditions", ())),
            payout=Rate.from_dict(data["payout"]) if data.get("payout") is not None else None,
            revenue=Rate.from_dict(data["revenue"]) if data.get("revenue") is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "conditions": [c.to_dict() for c in self.conditions],
            "payout": self.payout.to_dict() if self.payout is not None else None,
            "revenue": self.revenue.to_dict() if self.revenue is not None else None,
        }


class PayoutStructure(NamedTuple):
    """A named, reusable, ordered list of rules."""

    structure_id: str
    name: str
    rules: tuple[StructureRule, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PayoutStructure":
        return cls(
            structure_id=str(data["structure_id"]),
            name=data["name"],
            rules=tuple(StructureRule.from_dict(r) for r in data.get("rules", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "structure_id": self.structure_id,
            "name": self.name,
            "rules": [r.to_dict() for r in self.rules],
        }


class OfferBundle(NamedTuple):
    """Everything the hot paths need about one offer, read in one query and cached."""

    offer: Offer
    goals: Mapping[str, Goal]
    """Additional goals by id (the default goal lives on the offer)."""
    custom_payouts: Mapping[tuple[str, str], Rate]
    """(partner_id, goal_id) -> the partner's custom payout."""
    pixels: tuple[Mapping[str, Any], ...] = ()
    """Partner pixels and postbacks configured on this offer."""

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
    version: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "NetworkSettings":
        if not data:
            return cls()
        return cls(
            goals_enabled=bool(data.get("goals_enabled", True)),
            tracking_domain=data.get("tracking_domain", ""),
            currency=data.get("currency", "USD"),
            session_hours=int(data.get("session_hours", 24)),
            approval_enabled=bool(data.get("approval_enabled", True)),
            encrypted_enabled=bool(data.get("encrypted_enabled", True)),
            partners_see_pending=bool(data.get("partners_see_pending", False)),
            partners_manage_postbacks=bool(data.get("partners_manage_postbacks", False)),
            partners_html_pixels=bool(data.get("partners_html_pixels", False)),
            default_tier_id=str(data.get("default_tier_id", "")),
            version=int(data.get("version", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()
