import hashlib

from goalpost.model.conversion_request import ConversionRequest
from goalpost.model.offer import Advertiser, Goal, NetworkSettings, Offer, OfferBundle, Partner
from goalpost.model.session import Session
from goalpost.rules.engine import Refusal, find_goal, judge
from goalpost.web.status import http_status

NOW = 1_800_000_000


def bundle(goals_enabled: bool = True, offer_status: str = "active") -> OfferBundle:
    default = Goal(goal_id="0", offer_id="1", name="Lead", slug="lead")
    goals = {
        "7": Goal(goal_id="7", offer_id="1", name="Registration", slug="registration", ref_id="REG"),
        "8": Goal(goal_id="8", offer_id="1", name="Paid Subscription", slug="paid-subscription"),
        "9": Goal(goal_id="9", offer_id="1", name="Old", slug="old", status="paused"),
        "10": Goal(goal_id="10", offer_id="1", name="Secret", slug="secret", encrypted=True),
        "11": Goal(goal_id="11", offer_id="1", name="Upsell", slug="upsell", advertiser_id="4"),
        "12": Goal(goal_id="12", offer_id="1", name="Close", slug="close", end_point=True),
    }
    offer = Offer(
        offer_id="1", name="O", advertiser_id="3", offer_url="https://x", default_goal=default,
        goals_enabled=goals_enabled, status=offer_status,
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


PARTNER = Partner(partner_id="2", name="P")


def judged(
    req: ConversionRequest,
    sess: Session,
    advertiser: Advertiser | None = None,
    *,
    advertisers: dict[str, Advertiser] | None = None,
    partner: Partner | None = PARTNER,
    offer_status: str = "active",
) -> Goal | Refusal:
    known = advertisers if advertisers is not None else ({"3": advertiser} if advertiser else {})
    return judge(
        req,
        sess,
        bundle(offer_status=offer_status),
        network=NET,
        partner=partner,
        advertisers=known.get,
        goal_offer_id=None,
        now=NOW,
    )


def test_session_gates() -> None:
    closed = judged(request(goal_id="7"), session(closed_at=NOW - 1, closed_by_goal="8"))
    assert isinstance(closed, Refusal) and closed.code == "session_closed"
    expired = judged(request(goal_id="7"), session(expires_at=NOW))
    assert isinstance(expired, Refusal) and expired.code == "session_expired"
    mismatch = judged(request(goal_id="7", offer_id="5"), session())
    assert isinstance(mismatch, Refusal) and mismatch.code == "offer_mismatch"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_security_token_when_applied() -> None:
    """Only the token's SHA-256 is kept: the presented token's hash is compared."""
    adv = Advertiser(
        advertiser_id="3", name="A", security_token_applied=True, security_token_sha256=_sha("s3cret-token")
    )
    bad = judged(request(goal_id="7"), session(), adv)
    assert isinstance(bad, Refusal) and bad.code == "invalid_security_token"
    wrong = judged(request(goal_id="7", security_token="nope"), session(), adv)
    assert isinstance(wrong, Refusal) and wrong.code == "invalid_security_token"
    hash_itself = judged(request(goal_id="7", security_token=_sha("s3cret-token")), session(), adv)
    assert isinstance(hash_itself, Refusal)  # reading the stored hash is not enough to convert
    ok = judged(request(goal_id="7", security_token="s3cret-token"), session(), adv)
    assert isinstance(ok, Goal)


def test_a_hash_stored_before_tokens_waited_to_be_applied_stays_enforced() -> None:
    adv = Advertiser.from_dict(
        {"advertiser_id": "3", "name": "A", "security_token_sha256": _sha("old-token")}
    )
    assert adv.token_enforced
    assert isinstance(judged(request(goal_id="7"), session(), adv), Refusal)
    assert isinstance(judged(request(goal_id="7", security_token="old-token"), session(), adv), Goal)


def test_a_token_stored_in_plain_text_before_issue_26_keeps_working_until_hashed() -> None:
    stored = {
        "advertiser_id": "3",
        "name": "A",
        "security_token": "plain-token",
        "security_token_applied": True,
    }
    adv = Advertiser.from_dict(stored)
    assert isinstance(judged(request(goal_id="7", security_token="plain-token"), session(), adv), Goal)
    assert isinstance(judged(request(goal_id="7", security_token="plain-tokeN"), session(), adv), Refusal)
    assert isinstance(judged(request(goal_id="7"), session(), adv), Refusal)
    not_applied = Advertiser.from_dict({**stored, "security_token_applied": False})
    assert isinstance(judged(request(goal_id="7"), session(), not_applied), Goal)


def test_encrypted_goal_refuses_plain_form() -> None:
    plain = judged(request(goal_id="10"), session())
    assert isinstance(plain, Refusal) and plain.code == "encrypted_required"
    assert isinstance(judged(request(goal_id="10", encrypted=True), session()), Goal)


def token(value: str, applied: bool = True, advertiser_id: str = "3", status: str = "active") -> Advertiser:
    return Advertiser(
        advertiser_id=advertiser_id,
        name="A",
        status=status,
        security_token_sha256=_sha(value),
        security_token_applied=applied,  # type: ignore[arg-type]
    )


def test_a_token_set_but_not_applied_is_not_enforced() -> None:
    assert isinstance(judged(request(goal_id="7"), session(), token("s3cret-token", applied=False)), Goal)
    refused = judged(request(goal_id="7"), session(), token("s3cret-token"))
    assert isinstance(refused, Refusal) and refused.code == "invalid_security_token"


def test_the_goal_advertisers_token_decides_not_the_offers() -> None:
    """Goal 11 names advertiser 4: its token decides, the offer's advertiser 3's does not."""
    both = {"3": token("offer-token-3"), "4": token("goal-token-4", advertiser_id="4")}
    only_goal = {"4": token("goal-token-4", advertiser_id="4")}
    assert isinstance(judged(request(goal_id="11"), session(), advertisers=only_goal), Refusal)
    ok = judged(request(goal_id="11", security_token="goal-token-4"), session(), advertisers=both)
    assert isinstance(ok, Goal) and ok.goal_id == "11"
    wrong = judged(request(goal_id="11", security_token="offer-token-3"), session(), advertisers=both)
    assert isinstance(wrong, Refusal) and wrong.code == "invalid_security_token"
    assert wrong.goal is not None and wrong.goal.goal_id == "11"


def test_a_pixel_found_by_cookie_needs_no_token_but_one_naming_a_transaction_does() -> None:
    adv = token("s3cret-token")
    assert isinstance(judged(request(goal_id="7", session_from_cookie=True), session(), adv), Goal)
    assert isinstance(judged(request(goal_id="7"), session(), adv), Refusal)


def test_blocked_partner_and_inactive_offer_or_advertiser_convert_nothing() -> None:
    blocked = judged(request(goal_id="7"), session(), partner=PARTNER._replace(status="blocked"))
    assert (
        isinstance(blocked, Refusal)
        and blocked.code == "partner_inactive"
        and http_status(blocked.code) == 403
    )
    gone = judged(request(goal_id="7"), session(), partner=None)
    assert isinstance(gone, Refusal) and gone.code == "partner_inactive"
    for status in ("paused", "deleted", "expired", "pending"):
        paused = judged(request(goal_id="7"), session(), offer_status=status)
        assert isinstance(paused, Refusal) and paused.code == "offer_inactive", status
    adv = judged(request(goal_id="7"), session(), token("", applied=False, status="paused"))
    assert isinstance(adv, Refusal) and adv.code == "advertiser_inactive"


def test_adv_id_and_currency_must_match() -> None:
    other = judged(request(goal_id="7", advertiser_id="9"), session())
    assert (
        isinstance(other, Refusal) and other.code == "advertiser_mismatch" and http_status(other.code) == 422
    )
    assert isinstance(judged(request(goal_id="11", advertiser_id="4"), session()), Goal)
    assert isinstance(judged(request(goal_id="7", currency="USD"), session()), Goal)
    assert isinstance(judged(request(goal_id="7", currency="EUR"), session()), Goal)  # converted


def test_a_session_closed_by_this_goal_lets_its_repeat_through_as_a_duplicate() -> None:
    closed = session(closed_at=NOW - 1, closed_by_goal="12", expires_at=NOW - 1)
    again = judged(request(goal_id="12"), closed)
    assert isinstance(again, Goal) and again.goal_id == "12"
    other = judged(request(goal_id="7"), closed)
    assert isinstance(other, Refusal) and other.code == "session_closed"
