"""Request bodies of the admin API, validated by pydantic with field-level messages."""

from __future__ import annotations

import inspect
from decimal import Decimal
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from goalpost import settings
from goalpost.model.conversion import ConversionStatus
from goalpost.model.currency import is_currency
from goalpost.model.fields import stores_null
from goalpost.model.ids import NUMERIC_ID
from goalpost.model.money import PLAIN_AMOUNT
from goalpost.model.offer import Offer, Partner
from goalpost.model.screening import CLICK_RULES
from goalpost.rules.caps import MAX_SHARDS
from goalpost.rules.macros import html_template_problem, partner_url_problem, url_template_problem

PIXEL_CODE_BYTES = 4096
"""A partner postback or pixel's code and reversal code together, UTF-8 (README, Security)."""


def _not_bool(value: object) -> object:
    """JSON's true and false are no numbers (pydantic would take them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true or false")
    return value


def _plain_amount(value: object) -> object:
    """Amounts, limits and percents as tracking links take amounts (``parse_amount``): plain
    digits with at most five decimals; no exponent (``1e3``), sign or separators."""
    _not_bool(value)
    if isinstance(value, str) and not PLAIN_AMOUNT.fullmatch(value.strip()):
        raise ValueError(
            f"expected a plain decimal, at most 5 decimal places (e.g. 1000 or 2.50), not {value[:40]!r}"
        )
    if isinstance(value, float) and "e" in repr(value):
        raise ValueError(f"a plain decimal is expected, not {value!r}")
    return value


PlainAmount = BeforeValidator(_plain_amount)
NotBool = BeforeValidator(_not_bool)


def _iso_currency(code: str) -> str:
    if not is_currency(code):
        raise ValueError(f"{code} is not an ISO 4217 currency with a minor unit")
    return code


CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_iso_currency)]
"""An ISO 4217 code money is kept in (USD, EUR, JPY...; not gold, not a test code)."""
CurrencyOrNone = Annotated[
    str, Field(pattern=r"^([A-Z]{3})?$"), AfterValidator(lambda code: code and _iso_currency(code))
]
"""A currency code, or "" (a partner paid in each offer's own currency)."""
Money = Annotated[
    Decimal, PlainAmount, Field(ge=0, le=Decimal("1000000000"), decimal_places=5, allow_inf_nan=False)
]
Percent = Annotated[Decimal, PlainAmount, Field(ge=0, le=1000, decimal_places=5, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Id = Annotated[str, Field(pattern=f"^{NUMERIC_ID}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _not_null(annotation: Any) -> Any:
    """``X | None`` as ``X``; any other type as it is."""
    if get_origin(annotation) in (Union, UnionType):
        kept = tuple(a for a in get_args(annotation) if a is not NoneType)
        return kept[0] if len(kept) == 1 else Union[kept]  # noqa: UP007 (a type made at run time)
    return annotation


class Patch(Strict):
    """A partial change, derived from the request model that creates the same thing.

    ``class OfferPatch(Patch, source=OfferIn, noun=Offer, exclude=("advertiser_id",))`` has
    every field of ``OfferIn`` but those excluded (what cannot change after the create), each
    optional (left out: no change) with the source's constraints, validators and description.
    Null is a value like any other: refused where the source refuses it, and where the change
    is stored as it is (``merged``) also where the model ``noun`` cannot hold it (an offer's
    session lifespan: null at the create means the network's, but a stored null broke the
    offer). The class body declares only what differs: nested patches and what only a change
    has (``regenerate_slug``); fields its other bases declare (``LookbackIn``) stay as they
    declare them. A setting added to the source is in its patch at once
    (tests/unit/test_declared_once.py).
    """

    if TYPE_CHECKING:  # the derived fields are made at run time

        def __getattr__(self, name: str) -> Any: ...

    def __init_subclass__(
        cls,
        source: type[BaseModel] | None = None,
        exclude: tuple[str, ...] = (),
        noun: type | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if source is None:
            return
        own = dict(inspect.get_annotations(cls))
        inherited = {name for base in cls.__bases__ for name in getattr(base, "model_fields", {})}
        unknown = set(exclude) - set(source.model_fields)
        if unknown:
            raise TypeError(f"{cls.__name__} excludes fields {source.__name__} does not have: {unknown}")
        derived: dict[str, Any] = {}
        for name, info in source.model_fields.items():
            if name in exclude or name in own or name in inherited:
                continue
            kind = info.annotation
            if noun is not None and name in noun._fields and not stores_null(noun, name):  # type: ignore[attr-defined]
                kind = _not_null(kind)
            derived[name] = Annotated[kind, *info.metadata] if info.metadata else kind
            # left out: None, not validated (so not a value a request may send unless its type takes it)
            setattr(cls, name, Field(default=None, description=info.description))
        cls.__annotations__ = {**derived, **own}


class RateIn(Strict):
    """Flat amount per conversion, percent of the sale amount, or both."""

    flat: Money = Decimal(0)
    percent: Percent = Decimal(0)


Seconds = Annotated[int, NotBool, Field(ge=0, le=365 * 86400)]


class CapIn(Strict):
    """A cap: per day, ISO week, month or lifetime; on conversions, payout, revenue or clicks
    (a click over a click cap goes to the offer's fallback); 0 = none."""

    period: Literal["day", "week", "month", "lifetime"]
    measure: Literal["conversions", "payout", "revenue", "clicks"] = "conversions"
    limit: Money = Field(description="0 = no cap. Conversions and clicks count whole ones.")
    partner_id: Annotated[str, Field(pattern=rf"^({NUMERIC_ID}|\*)?$")] = Field(
        default="", description='"" the offer as a whole, "*" each partner, or one partner\'s id'
    )

    @model_validator(mode="after")
    def _whole_conversions(self) -> CapIn:
        if self.measure in ("conversions", "clicks") and self.limit != self.limit.to_integral_value():
            raise ValueError(f"a {self.measure} cap counts whole {self.measure}")
        return self


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value[:60]!r} is not an IANA time zone (e.g. America/New_York)") from None
    return value


def _check_caps(caps: list[CapIn]) -> list[CapIn]:
    seen: set[tuple[str, str, str]] = set()
    for cap in caps:
        key = (cap.partner_id, cap.period, cap.measure)
        if key in seen:
            raise ValueError(f"two caps for {cap.partner_id or 'the offer'}, {cap.period}, {cap.measure}")
        seen.add(key)
    return caps


TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Caps = Annotated[list[CapIn], AfterValidator(_check_caps)]


class LookbackOrdered(Strict):
    """The lookback window's rule, for a model with either bound or both."""

    @model_validator(mode="after")
    def _ordered(self) -> LookbackOrdered:
        low = getattr(self, "min_session_seconds", None)
        high = getattr(self, "max_session_seconds", None)
        if low and high and low >= high:
            raise ValueError("min_session_seconds must be below max_session_seconds")
        return self


class LookbackIn(LookbackOrdered):
    min_session_seconds: Seconds | None = Field(
        default=None, description="Lookback window: conversions count from this long after the click"
    )
    max_session_seconds: Seconds | None = Field(
        default=None, description="... up to this long after it (0 = while the session lives)"
    )


SecurityToken = Annotated[str, Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


class ScreeningRuleIn(Strict):
    action: Literal["off", "flag", "hold", "refuse"] | None = Field(
        default=None,
        description="off, flag (recorded, counted, paid), hold (conversions: pending for review), refuse; "
        "left out or null: the inherited action (an offer's: the network's; the network's: the default)",
    )
    limit: Annotated[int, NotBool, Field(ge=0, le=10_000_000)] = Field(
        default=0,
        description="duplicate_clicks: window in seconds; click_rate: clicks a minute per IP; "
        "conversion_rate: conversions an hour per IP on an offer; 0: the inherited limit",
    )


class ScreeningIn(Strict):
    """The screening settings (README, Traffic screening): one field per rule. On the network,
    the defaults; on an offer, only the rules it overrides (the others stay the network's)."""

    duplicate_clicks: ScreeningRuleIn | None = None
    click_rate: ScreeningRuleIn | None = None
    bots: ScreeningRuleIn | None = None
    empty_user_agent: ScreeningRuleIn | None = None
    too_soon: ScreeningRuleIn | None = Field(
        default=None, description="Conversions sooner than the lookback minimum (min_session_seconds)"
    )
    ip_mismatch: ScreeningRuleIn | None = None
    conversion_rate: ScreeningRuleIn | None = None
    unique_order_ids: bool | None = Field(
        default=None, description="adv_sub is an order id, unique across the offer's sessions"
    )

    @model_validator(mode="after")
    def _clicks_are_not_held(self) -> ScreeningIn:
        for name in CLICK_RULES:
            rule = getattr(self, name)
            if rule is not None and rule.action == "hold":
                raise ValueError(f"{name}: a click cannot be held (flag or refuse it)")
        return self


def _check_fallback_url(value: str) -> str:
    return value if not value else _check_url(value)


def _distinct_sub_ids(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("each sub id once")
    return value


FallbackUrl = Annotated[str, Field(max_length=2000), AfterValidator(_check_fallback_url)]
"""A redirect for clicks that cannot reach their offer: a safe http(s) URL, or empty."""


PostbackIps = Annotated[list[str], Field(max_length=50)]


def _check_postback_ips(value: list[str] | None) -> list[str] | None:
    import ipaddress

    for entry in value or ():
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry[:60]!r} is not an IP address or network (CIDR)") from None
    return value


class AdvertiserIn(Strict):
    name: Name
    status: Literal["active", "paused", "deleted"] = "active"
    security_token: SecurityToken | None = Field(
        default=None,
        description="Postback security token. Setting it puts it into the postback links; "
        "it is enforced only once applied (security_token_applied), as in TUNE.",
    )
    security_token_applied: bool = Field(
        default=False,
        description="Enforce the token: server postbacks (and pixels naming a transaction_id) without it "
        "are refused. Pixels found by the tracking cookie never need it.",
    )
    postback_ips: PostbackIps = Field(
        default=[],
        description="IPs and networks (CIDR) server postbacks may come from; empty: any (TUNE code 14)",
    )

    _ips = field_validator("postback_ips")(_check_postback_ips)

    @model_validator(mode="after")
    def _applied_needs_token(self) -> AdvertiserIn:
        if self.security_token_applied and not self.security_token:
            raise ValueError("set security_token before applying it")
        return self


class PartnerIn(Strict):
    name: Name
    status: Literal["active", "pending", "blocked", "deleted"] = "active"
    tier_id: Annotated[str, Field(pattern=f"^({NUMERIC_ID})?$")] = Field(
        default="", description="Empty: the network's default tier."
    )
    postback_secret: Annotated[str, Field(min_length=16, max_length=128)] | None = Field(
        default=None, description="HMAC key for signed partner postbacks; generated when omitted."
    )
    currency: CurrencyOrNone = Field(
        default="", description="What the partner is paid in; empty: each offer's own currency."
    )


class GoalSettingsIn(Strict):
    """Settings shared by the default goal (on the offer) and additional goals: payout and
    revenue with their tiers and payout structures, as TUNE's "Edit on the default goal"."""

    payout: RateIn = RateIn()
    revenue: RateIn = RateIn()
    tiers_enabled: bool = False
    tier_payouts: dict[str, RateIn] = Field(default={}, description="Partner tier id -> its payout")
    tier_revenues: dict[str, RateIn] = Field(default={}, description="Partner tier id -> its revenue")
    payout_structure_ids: list[Id] = Field(default=[], description="Structures, their rules tried in order")
    allow_multiple: bool = False
    approve: bool = False
    encrypted: bool = False
    protocol: Literal["server", "image", "iframe"] = "server"
    ref_id: Annotated[str, Field(max_length=100)] = ""


class DefaultGoalIn(GoalSettingsIn):
    name: Name = "Conversion"
    description: Annotated[str, Field(max_length=2000)] = ""


def _check_url(value: str) -> str:
    """An http(s) URL whose macros fill only its path and query (never the host)."""
    problem = url_template_problem(value)
    if problem:
        raise ValueError(problem)
    return value


OfferUrl = Annotated[str, Field(min_length=8, max_length=2000), AfterValidator(_check_url)]


def _check_partner_url(value: str) -> str:
    """An offer URL's rule, and port 80 or 443 (the local runtime's test partners excepted)."""
    any_port = settings.allow_private_postbacks()
    problem = partner_url_problem(value, any_port=any_port)
    if problem:
        raise ValueError(problem)
    return value


class OfferIn(LookbackIn):
    name: Name
    advertiser_id: Id
    offer_url: OfferUrl
    status: Literal["active", "paused", "pending", "expired", "deleted"] = "active"
    session_hours: Annotated[int, NotBool, Field(ge=1, le=8760)] | None = Field(
        default=None, description="Click session lifespan; defaults to the network's."
    )
    currency: CurrencyCode | None = Field(default=None, description="Defaults to the network's currency.")
    accepts_other_currencies: bool = Field(
        default=True,
        description="A postback's amount in another currency is converted at the day's rate; false: refused",
    )
    goals_enabled: bool = Field(default=False, description='"Multiple Conversion Goals"')
    ref_id: Annotated[str, Field(max_length=100)] = ""
    default_goal: DefaultGoalIn = DefaultGoalIn()
    timezone: TimeZone = Field(default="UTC", description="IANA time zone of the offer's cap days and months")
    caps: Caps = Field(default=[], description="The offer's caps (a change replaces them all)")
    cap_action: Literal["refuse", "pending"] = Field(
        default="refuse", description="Over a cap: refuse the conversion, or record it pending for review"
    )
    cap_shards: Annotated[int, NotBool, Field(ge=1, le=MAX_SHARDS)] = Field(
        default=1, description="Counter items per cap and period; ~500 conversions/s each (README, Caps)"
    )
    screening: ScreeningIn | None = Field(
        default=None, description="The screening rules this offer overrides"
    )
    fallback_offer_id: Annotated[str, Field(pattern=f"^({NUMERIC_ID})?$")] | None = Field(
        default=None,
        description="Where clicks go that cannot reach this offer (paused, expired, partner not allowed, "
        "screened out): this offer, when active; then fallback_url; then the network's. Another "
        "offer that exists (own_fallback, unknown_offer otherwise)",
    )
    fallback_url: FallbackUrl | None = None
    access: Literal["public", "requires_approval", "private"] = Field(
        default="public",
        description="Who may run it: every partner; partners approved after applying in the portal; "
        "only partners given access (PUT /admin/offers/<id>/access/<partner_id>). Clicks of a "
        "partner without access go to the fallback (no_offer_access)",
    )


class GoalIn(GoalSettingsIn, LookbackIn):
    name: Name
    description: Annotated[str, Field(max_length=2000)] = ""
    status: Literal["active", "paused", "deleted"] = "active"
    advertiser_id: Id | None = None
    end_point: bool = False
    private: bool = False

    @model_validator(mode="after")
    def _private_goals_pay_nothing(self) -> GoalIn:
        if self.private:
            paid = [
                name
                for name, present in (
                    ("payout", self.payout.flat != 0 or self.payout.percent != 0),
                    ("tier_payouts", any(r.flat or r.percent for r in self.tier_payouts.values())),
                )
                if present
            ]
            if paid:
                raise ValueError(f"a private goal pays partners nothing: remove {', '.join(paid)} first")
        return self


TEXT_FIELDS = {
    "adv_sub", "adv_sub2", "adv_sub3", "adv_sub4", "adv_sub5",
    "aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5", "source",
}  # fmt: skip
TEXT_OPERATORS = {"equals", "in", "like"}
NUMBER_OPERATORS = {"=", "<", "<=", ">", ">=", "between"}


class ConditionIn(Strict):
    field: Literal[
        "adv_sub", "adv_sub2", "adv_sub3", "adv_sub4", "adv_sub5",
        "aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5",
        "source", "amount",
    ]  # fmt: skip
    operator: Literal["equals", "in", "like", "=", "<", "<=", ">", ">=", "between"]
    values: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=255)]], Field(min_length=1, max_length=50)
    ]

    @model_validator(mode="after")
    def _operator_fits_field(self) -> ConditionIn:
        if self.field in TEXT_FIELDS and self.operator not in TEXT_OPERATORS:
            raise ValueError(f"{self.field} is text: use equals, in or like, not {self.operator}")
        if self.field == "amount":
            if self.operator not in NUMBER_OPERATORS:
                raise ValueError(f"amount is a number: use =, <, <=, >, >= or between, not {self.operator}")
            for value in self.values:
                try:
                    number = Decimal(value)
                except ArithmeticError:
                    raise ValueError(f"amount bound {value!r} is not a number") from None
                if not number.is_finite():
                    raise ValueError(f"amount bound {value!r} is not a finite number")
        if self.operator == "between":
            if len(self.values) != 2:
                raise ValueError("between takes exactly two bounds")
            if Decimal(self.values[0]) > Decimal(self.values[1]):
                raise ValueError("between takes its lower bound first")
        elif self.operator != "in" and len(self.values) != 1:
            raise ValueError(f"{self.operator} takes exactly one value")
        return self


class RuleIn(Strict):
    """What a matching rule sets: payout, revenue or both; one left out stays the goal's."""

    conditions: Annotated[list[ConditionIn], Field(min_length=1, max_length=20)]
    payout: RateIn | None = None
    revenue: RateIn | None = None

    @model_validator(mode="after")
    def _sets_something(self) -> RuleIn:
        if self.payout is None and self.revenue is None:
            raise ValueError("a rule sets payout, revenue or both")
        return self


class PayoutStructureIn(Strict):
    name: Name
    rules: Annotated[list[RuleIn], Field(min_length=1, max_length=100)]


class CustomPayoutIn(Strict):
    payout: RateIn


class AdvertiserPatch(Patch, source=AdvertiserIn):
    remove_security_token: bool = False
    postback_ips: PostbackIps | None = None

    _ips = field_validator("postback_ips")(_check_postback_ips)


class PartnerPatch(Patch, source=PartnerIn, noun=Partner, exclude=("postback_secret",)):
    """The postback secret is set once, at the create (then only the secrets table holds it)."""


class TierIn(Strict):
    name: Name
    level: Annotated[int, NotBool, Field(ge=0, le=1000)] = 0
    default: bool = False


class NetworkIn(Strict):
    goals_enabled: bool = Field(default=True, description='"Offer Goals" network-wide')
    tracking_domain: Annotated[str, Field(max_length=253, pattern=r"^([a-z0-9.-]+(:[0-9]{1,5})?)?$")] = ""
    currency: CurrencyCode = Field(default="USD", description="The base currency reports add up in")
    session_hours: Annotated[int, NotBool, Field(ge=1, le=8760)] = 24
    approval_enabled: bool = True
    encrypted_enabled: bool = True
    partners_see_pending: bool = False
    partners_manage_postbacks: bool = Field(
        default=False, description="Partners add and remove their own postbacks and pixels"
    )
    partners_html_pixels: bool = Field(
        default=False,
        description="Partners managing their own pixels may save HTML code (run sandboxed, README Security)",
    )
    screening: ScreeningIn = Field(default=ScreeningIn(), description="The screening rules' network defaults")
    fallback_url: FallbackUrl = Field(
        default="",
        description="The last stop of clicks that cannot reach their offer (after the offer's own)",
    )
    stats_sub_ids: Annotated[
        list[Literal["aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5", "source"]],
        Field(max_length=6),
        AfterValidator(_distinct_sub_ids),
    ] = Field(
        default=[],
        description="The sub ids the stats break down by (group_by=aff_sub...), kept from when chosen",
    )


class DefaultGoalPatch(Patch, source=DefaultGoalIn):
    """Only the fields sent change; the slug stays unless ``regenerate_slug`` (postbacks use it)."""

    regenerate_slug: bool = False


class OfferPatch(LookbackOrdered, Patch, source=OfferIn, noun=Offer, exclude=("advertiser_id",)):
    """Only the fields sent change, inside the default goal too; the advertiser stays."""

    default_goal: DefaultGoalPatch | None = None


class GoalPatch(LookbackIn, Patch, source=GoalIn):
    """Only the fields sent change; ``regenerate_slug`` re-derives the slug from the name."""

    regenerate_slug: bool = False


class PartnerPostbackIn(Strict):
    """A postback URL, image pixel URL or HTML code, fired on the partner's approved conversions."""

    goal_id: Id = Field(default="0", description="0: the offer's default goal")
    kind: Literal["postback", "image", "html"]
    code: Annotated[str, Field(min_length=1, max_length=PIXEL_CODE_BYTES)]
    reversal_code: Annotated[str, Field(max_length=PIXEL_CODE_BYTES)] = Field(
        default="", description="Postback URL fired when an approved conversion is reversed."
    )

    @model_validator(mode="after")
    def _codes_are_safe(self) -> PartnerPostbackIn:
        size = len(self.code.encode()) + len(self.reversal_code.encode())
        if size > PIXEL_CODE_BYTES:
            raise ValueError(f"code and reversal_code take {size} bytes (UTF-8): at most {PIXEL_CODE_BYTES}")
        if self.kind in ("postback", "image"):
            _check_partner_url(self.code)
        else:
            problem = html_template_problem(self.code)
            if problem:
                raise ValueError(f"HTML pixel code: {problem}")
        if self.reversal_code:
            _check_partner_url(self.reversal_code)
        return self


class PartnerPixelIn(PartnerPostbackIn):
    """An admin sets a partner's postback or pixel: the same, naming the partner."""

    partner_id: Id


class DecisionIn(Strict):
    """Approve or reject one or many conversions at once, with a note for the audit."""

    conversion_ids: Annotated[
        list[Annotated[str, Field(pattern=r"^[0-9a-f]{32}-[0-9]+(-[0-9a-f]{1,16})?$")]],
        Field(min_length=1, max_length=100),
    ]
    status: ConversionStatus
    note: Annotated[str, Field(max_length=500)] = ""


class ConversionPatch(Strict):
    """An adjustment: new payout, revenue, sale amount and/or status, and why (kept in the audit)."""

    payout: Money | None = None
    revenue: Money | None = None
    sale_amount: Money | None = None
    status: ConversionStatus | None = None
    note: Annotated[str, Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _changes_something(self) -> ConversionPatch:
        if self.payout is None and self.revenue is None and self.sale_amount is None and self.status is None:
            raise ValueError("name at least one of payout, revenue, sale_amount, status")
        return self


ExchangeRate = Annotated[str, Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,10})?$")]


class ExchangeRatesIn(Strict):
    """An admin's rates for a day: units of each currency for one euro (as the ECB quotes)."""

    rates: dict[CurrencyCode, ExchangeRate] = Field(min_length=1, max_length=200)


class RatesImportIn(Strict):
    """One of the ECB's reference-rate files, as published (CSV or XML), as text."""

    source: Literal["ecb"] = "ecb"
    file: str = Field(min_length=1, max_length=4_000_000)


class AccessApplicationIn(Strict):
    """A partner's application for an offer that requires approval."""

    note: Annotated[str, Field(max_length=500)] = Field(default="", description="for the network's managers")


class AccessDecisionIn(Strict):
    """An admin's decision on a partner's access to an offer: approve an application (or give
    access without one), reject an application, revoke access."""

    state: Literal["approved", "rejected", "revoked"]
    note: Annotated[str, Field(max_length=500)] = Field(default="", description="kept in the audit trail")
