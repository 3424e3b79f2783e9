"""Traffic screening: the rules' settings, their verdicts and the one reason-code table.

Every verdict says what it is (a code from ``REASONS``), why (a sentence) and what the
tracker does about it (its rule's action). The rules themselves are in ``rules.screening``;
the counters they read in ``store.screening_store``.
"""

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from goalpost.model.fields import document, load

Action = Literal["off", "flag", "hold", "refuse"]
"""off: the rule is not applied; flag: recorded and counted, nothing else changes (paid);
hold: a conversion is recorded ``pending`` for review (clicks cannot be held: a click rule's
``hold`` acts as ``flag``); refuse: the click is redirected to the fallback without a session,
the conversion is refused (stored as a rejection, not paid)."""

ACTIONS: tuple[Action, ...] = ("off", "flag", "hold", "refuse")
CLICK_ACTIONS: tuple[Action, ...] = ("off", "flag", "refuse")
SEVERITY: Mapping[str, int] = {"off": 0, "flag": 1, "hold": 2, "refuse": 3}


class Reason(NamedTuple):
    """One row of the reason-code table (README, Traffic screening)."""

    code: str
    on: Literal["click", "conversion"]
    tune_code: int | None
    """TUNE's conversion status code for the same thing, where it has one."""
    meaning: str


REASONS: tuple[Reason, ...] = (
    Reason("duplicate_click", "click", None,
           "the same visitor (its visit cookie, else IP or IPv6 /64 and user agent) clicked this offer "
           "within the duplicate window: counted as a gross click, not a unique one"),
    Reason("click_rate", "click", None,
           "more clicks than the limit in one minute from one IP (IPv6: one /64) on the network"),
    Reason("bot_user_agent", "click", None,
           "the user agent matches a known bot or crawler (crawler-user-agents list)"),
    Reason("empty_user_agent", "click", None, "the click sent no user agent"),
    Reason("click_cap", "click", 17,
           "the offer's (or the partner's on it) click cap for the day, week, month or lifetime "
           "is reached: the click goes to the fallback"),
    Reason("no_offer_access", "click", None,
           "the partner has no access to the offer: it requires approval (not approved yet, rejected "
           "or revoked) or is private (access not given)"),
    Reason("lookback_too_soon", "conversion", None,
           "the conversion came sooner after the click than the offer's (or goal's) minimum"),
    Reason("ip_mismatch", "conversion", None,
           "a pixel conversion came from another IP (IPv6: another /64) than its click"),
    Reason("conversion_rate", "conversion", None,
           "more conversions than the limit in one hour from one IP (IPv6: one /64) on this offer"),
    Reason("duplicate", "conversion", 12, "this goal already converted in this session"),
    Reason("ip_not_allowed", "conversion", 14,
           "the server postback came from an IP outside its advertiser's allow-list"),
    Reason("duplicate_unique_id", "conversion", 18,
           "a unique id (conversion_unique_id, adv_unique*, or adv_sub where the offer says "
           "order ids are unique) was already used on this offer"),
    Reason("invalid_security_token", "conversion", 19, "the advertiser's security token is missing or wrong"),
    Reason("employee_test", "conversion", 21,
           "a test conversion of a session an admin's test link opened (or sent with status=21): "
           "recorded, never paid or counted"),
    Reason("affiliate_test", "conversion", 22,
           "a test conversion sent with status=22: recorded, never paid or counted"),
    Reason("debug_test", "conversion", 23,
           "a test conversion sent with test=1 (or status=23): recorded, never paid or counted"),
)  # fmt: skip
REASON_CODES = frozenset(reason.code for reason in REASONS)
SCREENING_RULE_CODES = frozenset(
    {
        "duplicate_click",
        "click_rate",
        "bot_user_agent",
        "empty_user_agent",
        "lookback_too_soon",
        "ip_mismatch",
        "conversion_rate",
    }
)
"""The codes the screening rules give (the others in the table are the gates TUNE also codes)."""


class Rule(NamedTuple):
    """One screening rule in force: its action and, for the rules that count, its limit."""

    action: Action = "off"
    limit: int = 0
    """duplicate_clicks: window in seconds; click_rate: clicks a minute; conversion_rate:
    conversions an hour; unused by the other rules."""

    @property
    def on(self) -> bool:
        return self.action != "off"


class RuleSetting(NamedTuple):
    """One screening rule as a network or an offer sets it (stored): what it leaves out is
    inherited, each part on its own. An offer that sets only a stricter limit keeps the
    network's action; ``off`` given is off."""

    action: Action | None = None
    """None: the inherited action (the network's, else the built-in default)."""
    limit: int = 0
    """0: the inherited limit."""

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "RuleSetting":
        return load(cls, data)


CLICK_RULES = ("duplicate_clicks", "click_rate", "bots", "empty_user_agent")
CONVERSION_RULES = ("too_soon", "ip_mismatch", "conversion_rate")
RULES = (*CLICK_RULES, *CONVERSION_RULES)


class ScreeningSettings(NamedTuple):
    """The screening settings as stored, one field per rule: on the network, its defaults; on
    an offer, the rules it overrides. None: inherited (the network's, else ``Screening``'s)."""

    duplicate_clicks: RuleSetting | None = None
    click_rate: RuleSetting | None = None
    bots: RuleSetting | None = None
    empty_user_agent: RuleSetting | None = None
    too_soon: RuleSetting | None = None
    ip_mismatch: RuleSetting | None = None
    conversion_rate: RuleSetting | None = None
    unique_order_ids: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "ScreeningSettings":
        return load(cls, data)


class Screening(NamedTuple):
    """The screening rules in force for one offer: built-in defaults, then the network's
    settings, then the offer's (``overridden``). Not stored.

    ``too_soon`` is the lookback minimum (``min_session_seconds`` of the offer or goal): its
    action defaults to refuse, what the tracker always did.
    """

    duplicate_clicks: Rule = Rule("off", 86400)
    click_rate: Rule = Rule("off", 60)
    bots: Rule = Rule()
    empty_user_agent: Rule = Rule()
    too_soon: Rule = Rule("refuse")
    ip_mismatch: Rule = Rule()
    conversion_rate: Rule = Rule("off", 5)
    unique_order_ids: bool = False
    """adv_sub is an order id, unique across the offer's sessions (a repeat: duplicate_unique_id)."""

    def rule(self, name: str) -> Rule:
        found: Rule = getattr(self, name)
        return found

    @property
    def screens_clicks(self) -> bool:
        """Any click rule on: only then does the click path read a bot list or write a counter."""
        return any(self.rule(name).on for name in CLICK_RULES)

    def overridden(self, settings: ScreeningSettings) -> "Screening":
        """These rules with the settings' applied: a rule's action and limit each replace the
        inherited one when given (an action None, a limit 0: inherited)."""
        changes: dict[str, Any] = {}
        for name in RULES:
            given: RuleSetting | None = getattr(settings, name)
            if given is not None:
                inherited = self.rule(name)
                changes[name] = Rule(given.action or inherited.action, given.limit or inherited.limit)
        if settings.unique_order_ids is not None:
            changes["unique_order_ids"] = settings.unique_order_ids
        return self._replace(**changes) if changes else self


DEFAULTS = Screening()


def in_force(network: ScreeningSettings, offer: ScreeningSettings) -> Screening:
    """The rules an offer's traffic is screened by: its own settings over the network's over the defaults."""
    return DEFAULTS.overridden(network).overridden(offer)


class Verdict(NamedTuple):
    """What a rule found: its reason code, the sentence, and the action its setting takes."""

    code: str
    action: Action
    reason: str


def strongest(verdicts: "list[Verdict]") -> Verdict | None:
    """The verdict that decides (refuse over hold over flag; the first of equals)."""
    found = [v for v in verdicts if v.action != "off"]
    if not found:
        return None
    return max(found, key=lambda v: SEVERITY[v.action])


def flags_of(verdicts: "list[Verdict]") -> tuple[str, ...]:
    """Every code found, in order, for the record (the deciding one and the flags beside it)."""
    return tuple(v.code for v in verdicts if v.action != "off")
