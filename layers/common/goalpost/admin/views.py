"""What the admin API answers: one pydantic model per response, declared on every route.

The resolver validates each answer against its model (a mismatch is our bug: a 500, never a
silent change), and the OpenAPI document carries them, so a client and schemathesis can hold
the API to them. Models name the fields every answer has; documents may carry more (settings
added later, TUNE's optional fields), so extra fields pass through as they are.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from decimal import Decimal
from types import NoneType, UnionType
from typing import Annotated, Any, Generic, Literal, Optional, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, RootModel

from goalpost.model.caps import Cap
from goalpost.model.fields import stored_defaults
from goalpost.model.offer import (
    Advertiser,
    Condition,
    Goal,
    NetworkSettings,
    Offer,
    Partner,
    PayoutStructure,
    Rate,
    StructureRule,
)
from goalpost.model.partner_terms import CustomPayout, OfferAccess, Tier
from goalpost.model.screening import RuleSetting, ScreeningSettings

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


_VIEWS: dict[type, type[BaseModel]] = {}
"""Each model noun's view, for the fields of other nouns that hold it."""


def _view_type(annotation: Any) -> Any:
    """A model field's type as an answer shows it: nouns as their views, tuples as lists,
    literals as strings (a stored value is shown as it is, never refused)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _view_type(annotation.__origin__)
    if origin is Literal:
        return str
    if origin in (Union, UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not NoneType]
        return Optional[_view_type(inner)]  # noqa: UP045 (a type made at run time)
    if origin is tuple:
        return list[_view_type(get_args(annotation)[0])]  # type: ignore[misc]
    if origin in (Mapping, dict):
        return dict[str, _view_type(get_args(annotation)[1])]  # type: ignore[misc]
    if annotation in _VIEWS:
        return _VIEWS[annotation]
    if annotation in (str, bool, int, Decimal, Any):
        return annotation
    raise TypeError(f"no view for {annotation!r}: declare the field on the view")


def _view_default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _every_field_required(schema: dict[str, Any]) -> None:
    """Every field a view declares is in every answer (a default fills what an old item
    lacks), so the document says so to clients."""
    schema["required"] = list(schema.get("properties", {}))


class View(BaseModel):
    """An answer derived from the model noun it shows.

    ``class OfferOut(Versioned, View, noun=Offer)`` has every field of ``Offer`` (but those in
    ``hide``: secrets, what the view replaces) with the noun's type and default, so an item
    stored before a setting existed still validates; the class body declares only what the
    answer adds or shows otherwise. A setting added to the noun is in its answer at once
    (tests/unit/test_declared_once.py).
    """

    model_config = ConfigDict(json_schema_extra=_every_field_required)

    def __init_subclass__(cls, noun: type | None = None, hide: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if noun is None:
            return
        own = dict(inspect.get_annotations(cls))
        inherited = {name for base in cls.__bases__ for name in getattr(base, "model_fields", {})}
        unknown = set(hide) - set(noun._fields)  # type: ignore[attr-defined]
        if unknown:
            raise TypeError(f"{cls.__name__} hides fields {noun.__name__} does not have: {unknown}")
        defaults = stored_defaults(noun)
        derived: dict[str, Any] = {}
        for name, annotation in noun.__annotations__.items():
            if name in hide or name in own or name in inherited:
                continue
            derived[name] = _view_type(annotation)
            if name in defaults:  # validated: a noun's default (a rate) is then its view
                setattr(cls, name, Field(default=_view_default(defaults[name]), validate_default=True))
        cls.__annotations__ = {**derived, **own}
        _VIEWS.setdefault(noun, cls)  # the first view of a noun is the one other nouns hold


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


class RateOut(View, noun=Rate):
    pass


class CapOut(View, noun=Cap):
    pass


class ConditionOut(View, noun=Condition):
    pass


class RuleOut(View, noun=StructureRule):
    pass


class Versioned(Out):
    version: int = Field(description="Send it back in If-Match to change this document")


class ScreeningRuleOut(View, noun=RuleSetting):
    pass


class ScreeningOut(View, noun=ScreeningSettings):
    """The screening rules a network or an offer sets (null: inherited)."""


class NetworkOut(Versioned, View, noun=NetworkSettings):
    bot_list_version: str = Field(default="", description="The crawler list's version (crawler-user-agents)")


class AuditEntryOut(Out):
    kind: str
    id: str
    actor: str
    at: str
    action: str
    changed: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AdvertiserOut(Versioned, View, noun=Advertiser, hide=("security_token_sha256",)):
    security_token_set: bool
    security_token: str | None = Field(
        default=None, description="Only in the answer of the write that set it: shown once"
    )


class PartnerOut(Versioned, View, noun=Partner, hide=("api_key_sha256", "postback_secret")):
    pass


class NewPartnerOut(PartnerOut):
    api_key: str = Field(description="Shown once: store it (only its SHA-256 is kept)")
    postback_secret: str


class RotatedKeyOut(PartnerOut):
    api_key: str = Field(description="Shown once: the previous key stops working now")


class TierOut(Versioned, View, noun=Tier):
    default: bool = Field(description="The network's default tier (partners without a tier of their own)")


class PayoutStructureOut(Versioned, View, noun=PayoutStructure):
    pass


class GoalOut(Out, View, noun=Goal):
    pass


class GoalDetailOut(GoalOut):
    version: int
    links: dict[str, str] = Field(
        description="The links this goal accepts: postback URLs and pixel code (an encrypted goal's "
        "are its signed enc= forms only: postback, image_pixel, iframe_pixel, click_pixel)"
    )


class OfferOut(Versioned, View, noun=Offer):
    pass


class CapUsageOut(Out, View, noun=Cap):
    """A cap with its current period's use (period_key, used, remaining)."""


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


class CustomPayoutOut(Versioned, View, noun=CustomPayout):
    pass


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


class FailingDeliveryOut(Out):
    delivery_id: str
    offer_id: str
    partner_id: str
    status: str
    state: Literal["retrying", "failed", "refused"]
    attempts: int
    response_code: int
    last_error: str
    last_attempt_at: str
    next_retry_at: str


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
    """today, yesterday, last_7_days: clicks (gross, unique, invalid), conversions, pending, held,
    payout, revenue, profit, EPC, conversion rate"""
    top_offers: list[dict[str, Any]]
    top_partners: list[dict[str, Any]]
    held_for_review: int
    invalid_clicks: int
    held_by_screening: int
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


class OfferAccessOut(Versioned, View, noun=OfferAccess):
    """A partner's access to an offer: its application and the admin's decision."""


class PartnerOfferOut(Out):
    offer_id: str
    name: str
    currency: str
    access: Literal["public", "requires_approval", "private"] = Field(
        description="public: yours to run; requires_approval: apply first; private: given to you"
    )
    access_state: Literal["", "applied", "approved", "rejected", "revoked"] = Field(
        description='where you stand on an offer that is not public ("": not applied)'
    )
    may_run: bool = Field(description="whether your clicks reach the offer (otherwise: no tracking link)")
    tracking_link: str = Field(description='"" while you have no access')
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


class TraceOut(Out):
    """A session's trace (README, Conversion trace)."""

    transaction_id: str
    offer_id: str
    click: dict[str, Any]
    session_found: bool
    events: list[dict[str, Any]]
    truncated: bool
    reads: dict[str, int]


class OrderTracesOut(Out):
    offer_id: str
    adv_sub: str
    incomplete: bool
    traces: list[TraceOut]


class UnmatchedOut(Out):
    offer_id: str
    from_: str = Field(alias="from")
    to: str
    items: list[dict[str, Any]]
    reads: dict[str, int]


class PartnerTraceOut(Out):
    """A partner's trace of its own click (no revenue, no private goal, no other partner)."""

    transaction_id: str
    offer_id: str
    events: list[dict[str, Any]]
    reads: dict[str, int]
