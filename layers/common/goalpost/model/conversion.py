"""The conversion: what an advertiser's postback or pixel recorded, a refusal stored for a real
session, or the clawback that reverses an approved one.

One type from the rules that decide it to the store that writes it and the stream consumers
that read it back (``from_dict`` of a stream image). Reports and the admin API show it as a
document (``to_dict``).
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from goalpost.model.offer import EMPTY

ConversionKind = Literal["conversion", "clawback"]
ConversionStatus = Literal["approved", "pending", "rejected"]
STATUSES: tuple[ConversionStatus, ...] = ("approved", "pending", "rejected")
TEST = "test"
"""A test conversion's status (``test=1``, TUNE's ``status=21..23``, or any conversion of a
session a test link opened): recorded and traced, never paid or counted, told to partners only
when the tester asks (``test_delivery``), and never adjusted into another status."""
TEST_CODES: Mapping[str, int] = {"employee_test": 21, "affiliate_test": 22, "debug_test": 23}
"""A test conversion's ``status_code``, and TUNE's status code for it: ``employee_test`` on a
session an admin's test link opened, ``affiliate_test`` for ``status=22``, ``debug_test`` for
``test=1`` (or ``status=23``) on a postback or pixel (README, Conversion trace)."""
REVERSED = "reversed"
"""A clawback's own status: it reverses the money of an approved conversion; it is never
approved, pending or rejected itself (nor counted, filtered or decided as a conversion)."""

GOAL_BY = ("encrypted_link", "default_goal", "goal_id", "goal_name", "goal_ref")
"""How a conversion's goal was found, in the order the engine looks: the goal an encrypted
link (``enc``) signs; the offer's default goal (``/aff_lsr``, ``/aff_l``); the goal named by
``goal_id``, by ``goal_name`` (its slug, or its plain name) or by ``goal_ref`` (its ref id) on
``/aff_goal`` (postback, ``a=lsr``, or the advertiser's pixel, ``a=l``: ``via`` tells which)."""

CONVERSION: ConversionKind = "conversion"
CLAWBACK: ConversionKind = "clawback"
GOAL_CLICK = "goal_click"
IMPRESSIONS = "impressions"
"""The other kinds of record the conversions table streams (counted by the stats, never paid)."""


EXCHANGED_AMOUNTS = (
    "sale_rate",
    "partner_payout",
    "partner_rate",
    "base_payout",
    "base_revenue",
    "base_rate",
)
EXCHANGE_LABELS = ("sale_currency", "partner_currency", "base_currency", "rate_day")
"""What a conversion keeps of its currencies (frozen when recorded; README, Currencies)."""


def _int(value: Any) -> int:
    return int(value) if value not in (None, "") else 0


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


class Conversion(NamedTuple):
    conversion_id: str
    offer_id: str
    goal_id: str
    """"" for a refusal whose goal never resolved (the sender's words: ``requested_goal``)."""
    partner_id: str
    transaction_id: str
    status: str
    status_code: str
    created_at: str
    kind: ConversionKind = CONVERSION
    goal_name: str = ""
    goal_ref: str = ""
    private: bool = False
    advertiser_id: str = ""
    currency: str = ""
    via: str = ""
    ip: str = ""
    user_agent: str = ""
    session_created_at: int = 0
    session_ip: str = ""
    subs: Mapping[str, str] = EMPTY
    adv_subs: Mapping[str, str] = EMPTY
    sale_amount: Decimal | None = None
    unique_ids: Mapping[str, str] = EMPTY
    requested_goal: str = ""
    payout: Decimal | None = None
    revenue: Decimal | None = None
    payout_source: str = ""
    note: str = ""
    adjustments: tuple[Mapping[str, Any], ...] = ()
    """Each change after it was recorded: at, from, to, reason, via, by, before, after."""
    duplicate_count: int = 0
    last_duplicate_at: str = ""
    reverses: str = ""
    """A clawback: the conversion it reverses."""
    transition: int = 0
    """A clawback: which reversal of that conversion it is (1, 2...)."""
    sale_currency: str = ""
    """The currency ``sale_amount`` was sent in, when not the offer's (``currency``)."""
    sale_rate: Decimal | None = None
    """Units of the offer's currency for one of ``sale_currency``: what the payout rules saw."""
    partner_currency: str = ""
    partner_payout: Decimal | None = None
    """The payout in the partner's currency (what the partner is paid and told)."""
    partner_rate: Decimal | None = None
    base_currency: str = ""
    """The network's base currency when the conversion was recorded (reports add these up)."""
    base_payout: Decimal | None = None
    base_revenue: Decimal | None = None
    base_rate: Decimal | None = None
    rate_day: str = ""
    """The day of the exchange rates used ("" when nothing changed currency)."""
    flags: tuple[str, ...] = ()
    """Screening reason codes found on this conversion (the one that held or refused it among them)."""
    request_query: Mapping[str, str] = EMPTY
    """A stored refusal: the request's query as received, secrets redacted (``model.redact``)."""
    goal_by: str = ""
    """How the request named its goal (``GOAL_BY``): the trace's "goal resolved by what"."""
    test_delivery: bool = False
    """A test conversion the tester asked to be told to the partner's pixels (marked as a test)."""

    @property
    def is_clawback(self) -> bool:
        return self.kind == CLAWBACK

    @property
    def paid_id(self) -> str:
        """The conversion partners were told about (a clawback tells about the one it reverses)."""
        return self.reverses or self.conversion_id

    def to_dict(self) -> dict[str, Any]:
        """The stored document: every fact a conversion always has, the others when present."""
        doc: dict[str, Any] = {
            "kind": self.kind,
            "conversion_id": self.conversion_id,
            "offer_id": self.offer_id,
            "goal_id": self.goal_id,
            "goal_name": self.goal_name,
            "partner_id": self.partner_id,
            "advertiser_id": self.advertiser_id,
            "transaction_id": self.transaction_id,
            "status": self.status,
            "status_code": self.status_code,
            "currency": self.currency,
            "created_at": self.created_at,
        }
        if self.kind == CONVERSION:
            doc.update(
                goal_ref=self.goal_ref,
                private=self.private,
                via=self.via,
                ip=self.ip,
                user_agent=self.user_agent,
                session_created_at=self.session_created_at,
                session_ip=self.session_ip,
                subs=dict(self.subs),
                adv_subs=dict(self.adv_subs),
            )
        amounts = {
            "sale_amount": self.sale_amount,
            "payout": self.payout,
            "revenue": self.revenue,
            **{name: getattr(self, name) for name in EXCHANGED_AMOUNTS},
        }
        doc.update({k: v for k, v in amounts.items() if v is not None})  # 0 is an amount
        optional = {
            "unique_ids": dict(self.unique_ids) or None,
            "requested_goal": self.requested_goal,
            "payout_source": self.payout_source,
            "note": self.note,
            "adjustments": [dict(a) for a in self.adjustments] or None,
            "duplicate_count": self.duplicate_count,
            "last_duplicate_at": self.last_duplicate_at,
            "reverses": self.reverses,
            "transition": self.transition,
            "request_query": dict(self.request_query) or None,
            **{name: getattr(self, name) for name in EXCHANGE_LABELS},
            "flags": list(self.flags) or None,
            "goal_by": self.goal_by,
            "test_delivery": self.test_delivery or None,
        }
        doc.update({k: v for k, v in optional.items() if v not in (None, "", 0)})
        return doc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Conversion":
        """From a stored item or a stream image (their storage keys are left out)."""
        return cls(
            conversion_id=str(data["conversion_id"]),
            offer_id=str(data["offer_id"]),
            goal_id=str(data.get("goal_id", "")),
            partner_id=str(data["partner_id"]),
            transaction_id=str(data["transaction_id"]),
            status=str(data["status"]),
            status_code=str(data.get("status_code", "")),
            created_at=str(data["created_at"]),
            kind=CLAWBACK if data.get("kind") == CLAWBACK else CONVERSION,
            goal_name=str(data.get("goal_name", "")),
            goal_ref=str(data.get("goal_ref", "")),
            private=bool(data.get("private", False)),
            advertiser_id=str(data.get("advertiser_id", "")),
            currency=str(data.get("currency", "")),
            via=str(data.get("via", "")),
            ip=str(data.get("ip", "")),
            user_agent=str(data.get("user_agent", "")),
            session_created_at=_int(data.get("session_created_at")),
            session_ip=str(data.get("session_ip", "")),
            subs={str(k): str(v) for k, v in (data.get("subs") or {}).items()},
            adv_subs={str(k): str(v) for k, v in (data.get("adv_subs") or {}).items()},
            sale_amount=_decimal(data.get("sale_amount")),
            unique_ids={str(k): str(v) for k, v in (data.get("unique_ids") or {}).items()},
            requested_goal=str(data.get("requested_goal", "")),
            payout=_decimal(data.get("payout")),
            revenue=_decimal(data.get("revenue")),
            payout_source=str(data.get("payout_source", "")),
            note=str(data.get("note", "")),
            adjustments=tuple(data.get("adjustments") or ()),
            duplicate_count=_int(data.get("duplicate_count")),
            last_duplicate_at=str(data.get("last_duplicate_at", "")),
            reverses=str(data.get("reverses", "")),
            transition=_int(data.get("transition")),
            sale_currency=str(data.get("sale_currency", "")),
            sale_rate=_decimal(data.get("sale_rate")),
            partner_currency=str(data.get("partner_currency", "")),
            partner_payout=_decimal(data.get("partner_payout")),
            partner_rate=_decimal(data.get("partner_rate")),
            base_currency=str(data.get("base_currency", "")),
            base_payout=_decimal(data.get("base_payout")),
            base_revenue=_decimal(data.get("base_revenue")),
            base_rate=_decimal(data.get("base_rate")),
            rate_day=str(data.get("rate_day", "")),
            flags=tuple(str(f) for f in data.get("flags") or ()),
            request_query={str(k): str(v) for k, v in (data.get("request_query") or {}).items()},
            goal_by=str(data.get("goal_by", "")),
            test_delivery=bool(data.get("test_delivery", False)),
        )


class Adjustment(NamedTuple):
    """One change of a conversion's status and/or amounts, as appended to its history."""

    before: dict[str, Any]
    after: dict[str, Any]
    record: dict[str, Any]
    """The entry appended to the conversion's ``adjustments``: who, when, why, before, after."""
    clawback: "Conversion | None"
    """The record reversing payout and revenue, when the change leaves approved."""
    status_code: str
    """The conversion's status code after the change (``rules.status.status_code_after``)."""
