import hashlib

from goalpost.domain import Advertiser, Goal, NetworkSettings, Offer, OfferBundle, Session
from goalpost.engine import ConversionRequest, Refusal, find_goal, judge

NOW = 1_800_000_000


def bundle(goals_enabled: bool = True) -> OfferBundle:
    default = Goal(goal_id="0", offer_id="1", name="Lead", slug="lead")
    goals = {
        "7": Goal(goal_id="7", offer_id="1", name="Registration", slug="registration", ref_id="REG"),
        "8": Goal(goal_id="8", offer_id="1", name="Paid Subscription", slug="paid-subscription"),
        "9": Goal(goal_id="9", offer_id="1", name="Old", slug="old", status="paused"),
        "10": Goal(goal_id="10", offer_id="1", name="Secret", slug="secret", encrypted=True),
    }
    offer = Offer(
        offer_id="1", name="O", advertiser_id="3", offer_url="https://x", default_goal=default,
        goals_enabled=goals_enabled,
    )  # fmt: skip
    return OfferBundle(offer=offer, goals=goals, custom_payouts={})


def request(**kw: object) -> ConversionRequest:
    base: dict[str, object] = {"transaction_id": "ab", "default_goal": False}
    base.update(kw)
    return ConversionRequest(**base)  # type: ignore[arg-type]


def session(**kw: object) -> Session:
    base: dict[str, object] = {"transaction_id": "ab", "offer_id": "1", "partner_id": "2"}
    base.update(created_at=NOW - 10, expires_at=NOW + 100)
    base.update(kw)
    return Session(**base)  # type: ignore[arg-type]


NET = NetworkSettings()


def test_default_goal_for_aff_lsr() -> None:
    goal = find_goal(request(default_goal=True), bundle(), NET, None)
    assert isinstance(goal, Goal) and goal.goal_id == "0"


def test_goal_by_id_name_any_case_unslugged_and_ref() -> None:
    b = bundle()
    for req in (
        request(goal_id="8"),
        request(goal_name="paid-subscription"),
        request(goal_name="PAID-SUBSCRIPTION"),
        request(goal_name="Paid Subscription"),
    ):
        found = find_goal(req, b, NET, None)
        assert isinstance(found, Goal) and found.goal_id == "8", req
    by_ref = find_goal(request(goal_ref="REG"), b, NET, None)
    assert isinstance(by_ref, Goal) and by_ref.goal_id == "7"


def test_each_goal_failure_has_its_own_code() -> None:
    b = bundle()
    cases = {
        "goal_not_found": find_goal(request(goal_id="99"), b, NET, None),
        "goal_not_on_offer": find_goal(request(goal_id="99"), b, NET, "4"),
        "goal_inactive": find_goal(request(goal_id="9"), b, NET, None),
        "goals_disabled": find_goal(request(goal_id="7"), bundle(goals_enabled=False), NET, None),
    }
    for code, result in cases.items():
        assert isinstance(result, Refusal) and result.code == code
    network_off = find_goal(request(goal_id="7"), b, NetworkSettings(goals_enabled=False), None)
    assert isinstance(network_off, Refusal) and network_off.code == "goals_disabled"
    # the default goal keeps working when goals are off network-wide
    assert isinstance(
        find_goal(request(default_goal=True), b, NetworkSettings(goals_enabled=False), None), Goal
    )


def judged(req: ConversionRequest, sess: Session, advertiser: Advertiser | None = None) -> Goal | Refusal:
    return judge(req, sess, bundle(), network=NET, advertiser=advertiser, goal_offer_id=None, now=NOW)


def test_session_gates() -> None:
    closed = judged(request(goal_id="7"), session(closed_at=NOW - 1, closed_by_goal="8"))
    assert isinstance(closed, Refusal) and closed.code == "session_closed"
    expired = judged(request(goal_id="7"), session(expires_at=NOW))
    assert isinstance(expired, Refusal) and expired.code == "session_expired"
    mismatch = judged(request(goal_id="7", offer_id="5"), session())
    assert isinstance(mismatch, Refusal) and mismatch.code == "offer_mismatch"


def test_security_token_when_applied() -> None:
    adv = Advertiser(
        advertiser_id="3", name="A", security_token_sha256=hashlib.sha256(b"s3cret-token").hexdigest()
    )
    bad = judged(request(goal_id="7"), session(), adv)
    assert isinstance(bad, Refusal) and bad.code == "invalid_security_token"
    wrong = judged(request(goal_id="7", security_token="nope"), session(), adv)
    assert isinstance(wrong, Refusal) and wrong.code == "invalid_security_token"
    ok = judged(request(goal_id="7", security_token="s3cret-token"), session(), adv)
    assert isinstance(ok, Goal)


def test_encrypted_goal_refuses_plain_form() -> None:
    plain = judged(request(goal_id="10"), session())
    assert isinstance(plain, Refusal) and plain.code == "encrypted_required"
    assert isinstance(judged(request(goal_id="10", encrypted=True), session()), Goal)
