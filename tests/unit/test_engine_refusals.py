"""Each refusal as the advertiser and the admin read it: its code, the reason the sender can act
on, and the goal it is recorded against (reports list refusals by goal). A refusal that names
the wrong goal, or none, or says nothing useful, is a wrong rule too."""

from __future__ import annotations

import pytest

from goalpost.model.conversion_request import ConversionRequest
from goalpost.model.offer import Advertiser, Goal, Lookback, NetworkSettings
from goalpost.model.session import Session
from goalpost.rules.engine import Refusal, find_goal, judge
from tests.unit.test_engine import NET, NOW, PARTNER, bundle, request, session, token

LOOKBACK_OFFER_SECONDS = (30, 600)


def judged(req: ConversionRequest, sess: Session, **given: object) -> Goal | Refusal:
    b = bundle(offer_status=str(given.pop("offer_status", "active")))
    if "lookback" in given:
        low, high = given.pop("lookback")  # type: ignore[misc]
        b = b._replace(offer=b.offer._replace(min_session_seconds=low, max_session_seconds=high))
    if given.pop("own_currency_only", False):
        b = b._replace(offer=b.offer._replace(accepts_other_currencies=False))
    advertisers: dict[str, Advertiser] = given.pop("advertisers", {})  # type: ignore[assignment]
    return judge(
        req,
        sess,
        b,
        network=NET,
        partner=given.pop("partner", PARTNER),  # type: ignore[arg-type]
        advertisers=advertisers.get,
        goal_offer_id=None,
        now=NOW,
    )


def seen(result: Goal | Refusal) -> tuple[str, str, str | None]:
    assert isinstance(result, Refusal), result
    return result.code, result.reason, result.goal.goal_id if result.goal else None


@pytest.mark.parametrize(
    ("req", "network", "goal_offer_id", "expected"),
    [
        (request(goal_id="99"), NET, None, ("goal_not_found", "goal 99 does not exist", None)),
        (
            request(goal_id="99"),
            NET,
            "4",
            ("goal_not_on_offer", "goal 99 belongs to offer 4, not to this session's offer 1", None),
        ),
        (
            request(goal_name="Nope " + "x" * 80),
            NET,
            None,
            ("goal_not_found", f"offer 1 has no goal named {('Nope ' + 'x' * 55)!r}", None),
        ),
        (
            request(goal_ref="R" * 80),
            NET,
            None,
            ("goal_not_found", f"offer 1 has no goal with ref {'R' * 60!r}", None),
        ),
        (request(goal_id="9"), NET, None, ("goal_inactive", "goal 9 is paused", "9")),
        (
            request(goal_id="7"),
            NetworkSettings(goals_enabled=False),
            None,
            ("goals_disabled", "offer goals are disabled on this network", None),
        ),
    ],
)
def test_a_goal_that_does_not_resolve_says_why(
    req: ConversionRequest,
    network: NetworkSettings,
    goal_offer_id: str | None,
    expected: tuple[str, str, str | None],
) -> None:
    assert seen(find_goal(req, bundle(), network, goal_offer_id)) == expected


def test_goals_switched_off_on_the_offer_say_which_offer() -> None:
    refused = find_goal(request(goal_id="7"), bundle(goals_enabled=False), NET, None)
    assert seen(refused) == ("goals_disabled", "multiple conversion goals are disabled on offer 1", None)


def test_the_goals_of_an_offer_are_told_apart_by_name_and_by_ref() -> None:
    b = bundle()
    b = b._replace(goals={**b.goals, "13": b.goals["8"]._replace(goal_id="13", name="Refund", slug="refund")})
    by_name = find_goal(request(goal_name="  REFUND "), b, NET, None)
    assert isinstance(by_name, Goal) and by_name.goal_id == "13"
    no_ref = find_goal(request(goal_ref=""), b, NET, None)  # goals without a ref never match an empty one
    assert isinstance(no_ref, Refusal) and no_ref.code == "goal_not_found"
    by_ref = find_goal(request(goal_ref="REG"), b, NET, None)
    assert isinstance(by_ref, Goal) and by_ref.goal_id == "7"
    assert isinstance(find_goal(request(goal_ref="reg"), b, NET, None), Refusal)  # refs are exact


def test_the_offers_default_goal_is_named_like_any_other() -> None:
    found = find_goal(request(goal_name="lead"), bundle(), NET, None)
    assert isinstance(found, Goal) and found.goal_id == "0"


def test_a_goal_request_that_names_no_goal_is_a_parsing_bug_not_a_refusal() -> None:
    with pytest.raises(AssertionError, match="a goal request names its goal"):
        find_goal(request(), bundle(), NET, None)


CLOSED_BY_8 = {"closed_at": NOW - 1, "closed_by_goal": "8"}


@pytest.mark.parametrize(
    ("req", "sess", "given", "expected"),
    [
        (
            request(goal_id="7", security_token="x"),
            {},
            {"advertisers": {"3": token("right")}},
            ("invalid_security_token", "security_token is missing or wrong", "7"),
        ),
        (
            request(goal_id="99"),
            {},
            {"advertisers": {"3": token("right")}},
            ("invalid_security_token", "security_token is missing or wrong", None),
        ),
        (request(goal_id="7"), {}, {"offer_status": "paused"}, ("offer_inactive", "offer 1 is paused", "7")),
        (
            request(goal_id="7"),
            {},
            {"partner": PARTNER._replace(status="blocked")},
            ("partner_inactive", "partner 2 is blocked", "7"),
        ),
        (request(goal_id="7"), {}, {"partner": None}, ("partner_inactive", "partner 2 is unknown", "7")),
        (
            request(goal_id="7"),
            {},
            {"advertisers": {"3": token("", applied=False, status="paused")}},
            ("advertiser_inactive", "advertiser 3 is paused", "7"),
        ),
        (
            request(goal_id="7", advertiser_id="9"),
            {},
            {},
            ("advertiser_mismatch", "goal 7 belongs to advertiser 3, not 9", "7"),
        ),
        (
            request(goal_id="7", currency="EUR"),
            {},
            {"own_currency_only": True},
            ("currency_mismatch", "offer 1 accepts amounts only in USD", "7"),
        ),
        (
            request(goal_id="7"),
            CLOSED_BY_8,
            {},
            ("session_closed", "session was closed by end-point goal 8", "7"),
        ),
        (request(goal_id="7"), {"expires_at": NOW}, {}, ("session_expired", "session has expired", "7")),
        (
            request(goal_id="10"),
            {},
            {},
            ("encrypted_required", "goal 10 accepts only its encrypted tracking link", "10"),
        ),
        (
            request(goal_id="7"),
            {"created_at": NOW - 29},
            {"lookback": LOOKBACK_OFFER_SECONDS},
            (
                "lookback_too_soon",
                "conversion 29.000 s after the click; this goal counts conversions from 30 s after it",
                "7",
            ),
        ),
        (
            request(goal_id="7"),
            {"created_at": NOW - 601},
            {"lookback": LOOKBACK_OFFER_SECONDS},
            (
                "lookback_expired",
                "conversion 601.000 s after the click; this goal counts conversions up to 600 s after it",
                "7",
            ),
        ),
    ],
)
def test_each_gate_refuses_with_its_reason_against_the_goal_asked_for(
    req: ConversionRequest,
    sess: dict[str, object],
    given: dict[str, object],
    expected: tuple[str, str, str | None],
) -> None:
    assert seen(judged(req, session(**sess), **given)) == expected


def test_the_lookback_window_lets_a_conversion_through_inside_it() -> None:
    inside = judged(request(goal_id="7"), session(created_at=NOW - 30), lookback=LOOKBACK_OFFER_SECONDS)
    assert isinstance(inside, Goal) and inside.goal_id == "7"
    at_end = judged(request(goal_id="7"), session(created_at=NOW - 600), lookback=LOOKBACK_OFFER_SECONDS)
    assert isinstance(at_end, Goal)


def test_a_goal_may_set_its_own_lookback_window_and_zero_is_its_own_setting() -> None:
    offer = bundle().offer._replace(min_session_seconds=30, max_session_seconds=600)
    goal = bundle().goals["7"]
    assert offer.lookback(goal) == Lookback(30, 600)  # the offer's, where the goal sets none
    assert offer.lookback(goal._replace(min_session_seconds=120)) == Lookback(120, 600)
    assert offer.lookback(goal._replace(min_session_seconds=0, max_session_seconds=0)) == Lookback(0, 0)
