"""What the admin API answers: one pydantic model per response, declared on every route.

The resolver validates each answer against its model (a mismatch is our bug: a 500, never a
silent change), and the OpenAPI document carries them, so a client and schemathesis can hold
the API to them. Models name the fields every answer has; documents may carry more (settings
added later, TUNE's optional fields), so extra fields pass through as they are.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_cursor`` continues it (null: the last page)."""

    items: list[T]
    next_cursor: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ApiErrorOut(BaseModel):
    """The API's one error shape."""

    error: ErrorDetail


class GatewayErrorOut(BaseModel):
    """API Gateway's own refusals (no or bad credentials) carry only a message."""

    message: str


class Refusal(RootModel[ApiErrorOut | GatewayErrorOut]):
    pass


class RateOut(BaseModel):
    flat: Decimal
    percent: Decimal


class Versioned(Out):
    version: int = Field(description="Send it back in If-Match to change this document")


class NetworkOut(Versioned):
    goals_enabled: bool
    approval_enabled: bool
    encrypted_enabled: bool
    currency: str
    session_hours: int
    default_tier_id: str


class AuditEntryOut(Out):
    kind: str
    id: str
    actor: str
    at: str
    action: str
    changed: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AdvertiserOut(Versioned):
    advertiser_id: str
    name: str
    status: str
    security_token_set: bool
    security_token_applied: bool
    security_token: str | None = Field(
        default=None, description="Only in the answer of the write that set it: shown once"
    )


class PartnerOut(Versioned):
    partner_id: str
    name: str
    status: str
    tier_id: str
    currency: str = ""


class NewPartnerOut(PartnerOut):
    api_key: str = Field(description="Shown once: store it (only its SHA-256 is kept)")
    postback_secret: str


class RotatedKeyOut(PartnerOut):
    api_key: str = Field(description="Shown once: the previous key stops working now")


class TierOut(Versioned):
    tier_id: str
    name: str
    level: int
    default: bool


class PayoutStructureOut(Versioned):
    structure_id: str
    name: str
    rules: list[dict[str, Any]]


class GoalOut(Out):
    goal_id: str
    offer_id: str
    name: str
    slug: str
    status: str
    payout: RateOut
    revenue: RateOut
    allow_multiple: bool
    end_point: bool
    approve: bool
    private: bool
    min_session_seconds: int | None = None
    max_session_seconds: int | None = None


class GoalDetailOut(GoalOut):
    version: int
    links: dict[str, str] = Field(
        description="The links this goal accepts: postback URLs and pixel code (an encrypted goal's "
        "are its signed enc= forms only: postback, image_pixel, iframe_pixel, click_pixel)"
    )


class OfferOut(Versioned):
    offer_id: str
    name: str
    advertiser_id: str
    offer_url: str
    default_goal: GoalOut
    status: str
    currency: str
    accepts_other_currencies: bool = True
    goals_enabled: bool
    session_hours: int = 24
    cap_shards: int = 1
    min_session_seconds: int = 0
    max_session_seconds: int = 0


class CapUsageOut(Out):
    period: str
    measure: str
    limit: Decimal


class OfferCapsOut(Out):
    offer_id: str
    timezone: str
    cap_action: str
    caps: list[CapUsageOut]


class TrackingLinkOut(Out):
    partner_id: str
    name: str
    status: str
    tracking_link: str


class ManageGoalsOut(BaseModel):
    """The Manage Offer Goals table (TUNE's columns); ``format=csv`` gives it as CSV."""

    items: list[dict[str, Any]]
    next_cursor: None = None


class CustomPayoutOut(Versioned):
    partner_id: str
    goal_id: str
    payout: RateOut
    set_at: str


class PartnerPixelOut(Versioned):
    pixel_id: str
    offer_id: str
    partner_id: str
    goal_id: str
    kind: str
    code: str


class PartnerPostbackOut(Versioned):
    """A partner's own postback or pixel (its partner id is the caller's)."""

    pixel_id: str
    offer_id: str
    goal_id: str
    kind: str
    code: str


class ConversionOut(Out):
    conversion_id: str
    offer_id: str
    goal_id: str
    partner_id: str
    transaction_id: str
    status: str
    created_at: str


class AdjustedConversionOut(ConversionOut):
    outcome: Literal["updated", "unchanged"]


class DecisionOut(Out):
    conversion_id: str
    outcome: Literal["updated", "unchanged", "conflict", "not_found"]
    status: str | None = None


class DecisionsOut(BaseModel):
    items: list[DecisionOut]
    next_cursor: None = None


class DeliveryOut(Out):
    delivery_id: str
    offer_id: str
    status: str
    attempts: int
    created_at: str


class ReportRange(Out):
    """The range a report covers, in the caller's time zone."""

    from_: str = Field(alias="from")
    to: str
    timezone: str
    exact: bool


class StatsOut(ReportRange):
    interval: str
    group_by: list[str]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    money: Literal["base", "original", "partner"]
    """Whose currency the money is in: the network's base, each offer's, or the partner's."""
    consistency: str


class DashboardOut(Out):
    timezone: str
    today: str
    periods: dict[str, dict[str, Any]]
    """today, yesterday, last_7_days: clicks, conversions, pending, payout, revenue, profit, EPC"""
    top_offers: list[dict[str, Any]]
    top_partners: list[dict[str, Any]]
    held_for_review: int
    invalid_clicks: int | None
    held_by_screening: int | None
    currency: str | None
    consistency: str


class ConversionReportOut(ReportRange):
    columns: list[str]
    items: list[dict[str, Any]]
    next_cursor: str | None


class FunnelOut(ReportRange):
    offer_id: str
    partner_id: str | None
    consistency: str


class PartnerGoalOut(Out):
    goal_id: str
    name: str
    goal_name: str
    payout: RateOut


class LinkRulesOut(Out):
    """What the click accepts in a tracking link's sub ids: the click's own rule, so a partner's
    link builder (the portal's) builds only links that work."""

    sub_ids: list[str] = Field(description="the sub id parameters a tracking link may carry")
    allowed: str = Field(description="regular expression (Python and JavaScript alike) a whole value matches")
    max_chars: int = Field(description="the most characters (code points) in one value")
    max_query_chars: int = Field(description="the most characters in the link's encoded query string")


class PartnerOfferOut(Out):
    offer_id: str
    name: str
    currency: str
    tracking_link: str
    link_rules: LinkRulesOut
    manage_postbacks: bool = Field(
        description="whether you manage your own postbacks on this offer (otherwise the network sets them)"
    )
    goals: list[PartnerGoalOut]
    caps: list[dict[str, Any]]


class ExchangeRatesOut(Out):
    day: str
    """The day the table was published for."""
    pivot: str
    rates: dict[str, Decimal]
    """Units of each currency for one unit of ``pivot``."""
    sources: dict[str, str]
    """Per currency: ``ecb`` (imported) or ``admin`` (set by an admin; an import keeps it)."""
    version: int
    in_force_on: str | None = None
    """The day asked for, when the table is the one in force on it (an earlier day's, over a weekend)."""


class RateHistoryOut(BaseModel):
    items: list[ExchangeRatesOut]


class RatesImportedOut(Out):
    days: int
    changed: int
    first_day: str
    last_day: str
    skipped_currencies: list[str]
