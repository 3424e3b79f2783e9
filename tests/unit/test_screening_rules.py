"""The screening rules: each rule under each action, the corners (IPv6, missing and non-ASCII
user agents), the settings' overrides and the reason-code table."""

from __future__ import annotations

import pytest

from goalpost.model.screening import (
    ACTIONS,
    REASON_CODES,
    REASONS,
    Rule,
    RuleSetting,
    Screening,
    ScreeningSettings,
    Verdict,
    in_force,
    strongest,
)
from goalpost.rules import screening as rules

ACTING = [a for a in ACTIONS if a != "off"]


def test_ipv4_is_its_own_key_and_ipv6_is_compared_by_its_64() -> None:
    assert rules.ip_key("203.0.113.7") == "203.0.113.7"
    assert (
        rules.ip_key("2001:db8:1:2:aaaa::1") == rules.ip_key("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    )
    assert rules.ip_key("2001:db8:1:3::1") != rules.ip_key("2001:db8:1:2::1")
    assert rules.ip_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert rules.ip_key("not an ip") == "not an ip"


@pytest.mark.parametrize("action", ACTING)
def test_click_rate_passes_the_limit_th_click_and_judges_the_next(action: str) -> None:
    rule = Rule(action, 60)  # type: ignore[arg-type]
    assert rules.click_rate_verdict(60, rule, "203.0.113.7") is None
    verdict = rules.click_rate_verdict(61, rule, "203.0.113.7")
    assert verdict is not None and verdict.code == "click_rate" and verdict.action == action
    assert "61 clicks" in verdict.reason


def test_click_rate_off_never_judges() -> None:
    assert rules.click_rate_verdict(10_000, Rule("off", 1), "203.0.113.7") is None


@pytest.mark.parametrize("action", ACTING)
def test_duplicate_click_within_the_window_only(action: str) -> None:
    rule = Rule(action, 3600)  # type: ignore[arg-type]
    assert rules.duplicate_click_verdict(None, 1000.0, rule) is None  # first click
    verdict = rules.duplicate_click_verdict(1000.0, 4599.0, rule)
    assert verdict == Verdict("duplicate_click", action, verdict.reason)  # type: ignore[union-attr]
    assert rules.duplicate_click_verdict(1000.0, 4600.0, rule) is None  # the window has passed
    assert rules.duplicate_click_verdict(1000.0, 1001.0, Rule("off", 3600)) is None


def test_a_visitor_is_ip_and_user_agent_on_one_offer() -> None:
    base = rules.visitor_key("1", "203.0.113.7", "UA")
    assert rules.visitor_key("1", "203.0.113.7", "UA") == base
    assert rules.visitor_key("2", "203.0.113.7", "UA") != base
    assert rules.visitor_key("1", "203.0.113.8", "UA") != base
    assert rules.visitor_key("1", "203.0.113.7", "UA2") != base
    # an IPv6 device rotating its address within its /64 is the same visitor
    assert rules.visitor_key("1", "2001:db8::1", "UA") == rules.visitor_key("1", "2001:db8::2", "UA")
    # non-ASCII (even unpaired surrogates from a lenient decoder) hash to a fixed-size key
    assert len(rules.visitor_key("1", "203.0.113.7", "Mozilla \u00fc \udcff")) == 32


def test_a_visit_cookie_names_its_window_only_while_it_runs() -> None:
    assert rules.visit_window_start("1000.250", 1000.25, 3600) == 1000.25  # the unique click itself
    assert rules.visit_window_start("1000.250", 4600.0, 3600) == 1000.25
    assert rules.visit_window_start("1000.250", 4600.25, 3600) is None  # the window has ended
    assert rules.visit_window_start("1000.250", 999.0, 3600) is None  # from the future: no time of ours
    for junk in ("", "abc", "nan", "inf", "-inf", "1e400"):
        assert rules.visit_window_start(junk, 1000.0, 3600) is None, junk


@pytest.mark.parametrize("action", ACTING)
def test_empty_user_agents_are_judged_by_their_own_rule(action: str) -> None:
    screening = Screening(empty_user_agent=Rule(action))  # type: ignore[arg-type]
    for agent in ("", "   "):
        assert [v.code for v in rules.user_agent_verdicts(agent, screening)] == ["empty_user_agent"]
        assert rules.user_agent_verdicts(agent, screening)[0].action == action
    assert rules.user_agent_verdicts("", Screening()) == []


@pytest.mark.parametrize("action", ACTING)
def test_known_bots_are_judged_and_browsers_are_not(action: str) -> None:
    screening = Screening(bots=Rule(action))  # type: ignore[arg-type]
    bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    verdicts = rules.user_agent_verdicts(bot, screening)
    assert [(v.code, v.action) for v in verdicts] == [("bot_user_agent", action)]
    assert rules.user_agent_verdicts(browser, screening) == []
    assert (
        rules.user_agent_verdicts(
            "Mozilla/5.0 (Linux; Android 14) Navigateur \u00e9t\u00e9 \u4e2d\u6587", screening
        )
        == []
    )
    assert rules.user_agent_verdicts("curl/8.5.0 \u00fc", screening)[0].code == "bot_user_agent"


def test_the_bot_list_is_not_loaded_while_the_rule_is_off() -> None:
    rules.bot_list.cache_clear()
    rules.user_agent_verdicts("Googlebot/2.1", Screening())
    assert rules.bot_list.cache_info().currsize == 0
    rules.user_agent_verdicts("Googlebot/2.1", Screening(bots=Rule("flag")))
    assert rules.bot_list.cache_info().currsize == 1
    assert rules.bot_list()[1] == "1.67.0"


@pytest.mark.parametrize("action", ACTING)
def test_too_soon_takes_the_lookback_minimum_and_its_rule_s_action(action: str) -> None:
    soon = ("lookback_too_soon", "conversion 3.000 s after the click; ...")
    verdict = rules.too_soon_verdict(soon, Rule(action))  # type: ignore[arg-type]
    assert verdict == Verdict("lookback_too_soon", action, soon[1])  # type: ignore[arg-type]
    assert rules.too_soon_verdict(("lookback_expired", "late"), Rule(action)) is None  # type: ignore[arg-type]
    assert rules.too_soon_verdict(None, Rule(action)) is None  # type: ignore[arg-type]


def test_too_soon_refuses_by_default_as_the_lookback_minimum_always_did() -> None:
    assert Screening().too_soon == Rule("refuse")


@pytest.mark.parametrize("action", ACTING)
def test_ip_mismatch_compares_ipv4_exactly_and_ipv6_by_64(action: str) -> None:
    rule = Rule(action)  # type: ignore[arg-type]
    assert rules.ip_mismatch_verdict("203.0.113.7", "203.0.113.7", rule) is None
    found = rules.ip_mismatch_verdict("198.51.100.1", "203.0.113.7", rule)
    assert found is not None and (found.code, found.action) == ("ip_mismatch", action)
    assert rules.ip_mismatch_verdict("2001:db8::1", "2001:db8::99", rule) is None
    assert rules.ip_mismatch_verdict("2001:db8:0:1::1", "2001:db8::1", rule) is not None
    assert rules.ip_mismatch_verdict("", "203.0.113.7", rule) is None  # no evidence
    assert rules.ip_mismatch_verdict("198.51.100.1", "203.0.113.7", Rule("off")) is None


@pytest.mark.parametrize("action", ACTING)
def test_conversion_rate_judges_a_conversion_its_counter_had_no_room_for(action: str) -> None:
    rule = Rule(action, 5)  # type: ignore[arg-type]
    assert rules.conversion_rate_verdict(True, rule, "203.0.113.7", "4") is None
    verdict = rules.conversion_rate_verdict(False, rule, "2001:db8::5", "4")
    assert verdict is not None and (verdict.code, verdict.action) == ("conversion_rate", action)
    assert "more than 5 conversions this hour from 2001:db8::/64 on offer 4" == verdict.reason
    assert rules.conversion_rate_verdict(False, Rule("off", 5), "203.0.113.7", "4") is None


def test_postback_allow_list_takes_addresses_and_networks_of_both_families() -> None:
    allowed = ["203.0.113.0/24", "198.51.100.9", "2001:db8::/48"]
    assert rules.postback_ip_allowed("203.0.113.200", allowed)
    assert rules.postback_ip_allowed("198.51.100.9", allowed)
    assert rules.postback_ip_allowed("::ffff:198.51.100.9", allowed)
    assert rules.postback_ip_allowed("2001:db8:0:ffff::1", allowed)
    assert not rules.postback_ip_allowed("198.51.100.10", allowed)
    assert not rules.postback_ip_allowed("2001:db9::1", allowed)
    assert not rules.postback_ip_allowed("", allowed)
    assert rules.postback_ip_allowed("198.51.100.10", [])  # no list: any IP
    verdict = rules.ip_not_allowed_verdict("198.51.100.10", allowed, "3")
    assert verdict is not None and (verdict.code, verdict.action) == ("ip_not_allowed", "refuse")


def test_refuse_decides_over_hold_over_flag() -> None:
    flag, hold, refuse = (Verdict(c, a, "") for c, a in (("a", "flag"), ("b", "hold"), ("c", "refuse")))  # type: ignore[arg-type]
    assert strongest([flag, hold]) == hold
    assert strongest([flag, refuse, hold]) == refuse
    assert strongest([flag]) == flag
    assert strongest([]) is None


def test_an_offer_overrides_the_rules_it_names_and_keeps_the_network_s_others() -> None:
    network = ScreeningSettings(click_rate=RuleSetting("refuse", 60), bots=RuleSetting("flag"))
    offer = ScreeningSettings(
        click_rate=RuleSetting("flag", 10), bots=RuleSetting("off"), unique_order_ids=True
    )
    assert in_force(network, ScreeningSettings()) == Screening(
        click_rate=Rule("refuse", 60), bots=Rule("flag")
    )
    rules_in_force = in_force(network, offer)
    assert rules_in_force.click_rate == Rule("flag", 10)
    assert rules_in_force.bots == Rule("off")
    assert rules_in_force.unique_order_ids is True
    assert rules_in_force.duplicate_clicks == Screening().duplicate_clicks
    # a limit of 0 keeps the inherited one
    assert in_force(network, ScreeningSettings(click_rate=RuleSetting("flag"))).click_rate == Rule("flag", 60)
    assert in_force(
        ScreeningSettings(), ScreeningSettings(duplicate_clicks=RuleSetting("refuse"))
    ).duplicate_clicks == Rule("refuse", 86400)
    assert ScreeningSettings.from_dict(offer.to_dict()) == offer
    assert not Screening().screens_clicks and in_force(network, ScreeningSettings()).screens_clicks


def test_a_rule_s_action_left_out_is_inherited_and_off_given_is_off() -> None:
    """An offer that only tightens a limit keeps the network's action (it used to turn the
    rule off); on the network, an action left out is the built-in default's."""
    network = ScreeningSettings(click_rate=RuleSetting("refuse", 100))
    tighter = ScreeningSettings(click_rate=RuleSetting(limit=2))
    assert in_force(network, tighter).click_rate == Rule("refuse", 2)
    assert in_force(network, ScreeningSettings(click_rate=RuleSetting("off"))).click_rate == Rule("off", 100)
    assert in_force(ScreeningSettings(too_soon=RuleSetting()), ScreeningSettings()).too_soon == Rule("refuse")
    assert in_force(ScreeningSettings(), tighter).click_rate == Rule("off", 2)  # nothing to inherit: off
    stored = ScreeningSettings.from_dict({"click_rate": {"limit": 2}})  # as an offer stores it
    assert (
        stored.click_rate == RuleSetting(None, 2) and ScreeningSettings.from_dict(stored.to_dict()) == stored
    )


def test_every_verdict_code_is_in_the_one_reason_table() -> None:
    codes = [r.code for r in REASONS]
    assert len(codes) == len(set(codes)) == len(REASON_CODES)
    produced = {
        rules.click_rate_verdict(2, Rule("flag", 1), "1.2.3.4"),
        rules.duplicate_click_verdict(0.0, 1.0, Rule("flag", 10)),
        rules.too_soon_verdict(("lookback_too_soon", ""), Rule("flag")),
        rules.ip_mismatch_verdict("1.2.3.4", "1.2.3.5", Rule("flag")),
        rules.conversion_rate_verdict(False, Rule("flag", 1), "1.2.3.4", "1"),
        rules.ip_not_allowed_verdict("1.2.3.4", ["10.0.0.0/8"], "1"),
        *rules.user_agent_verdicts("", Screening(empty_user_agent=Rule("flag"))),
        *rules.user_agent_verdicts("Googlebot", Screening(bots=Rule("flag"))),
    }
    assert {v.code for v in produced if v is not None} <= REASON_CODES
    assert {r.tune_code for r in REASONS if r.code == "ip_not_allowed"} == {14}
