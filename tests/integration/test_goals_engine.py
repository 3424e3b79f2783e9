"""Goal rules on server postbacks (/aff_goal?a=lsr), through the postback handler on moto."""

import json
from decimal import Decimal

from goalpost.rules.status import REJECTIONS_PER_SESSION
from goalpost.store import session_store
from tests.helpers import admin, click, conversions, postback, setup_network

GOALS = [
    {"name": "Registration", "payout": {"flat": "1"}, "revenue": {"flat": "1.25"}, "ref_id": "REG-1"},
    {
        "name": "Paid Subscription",
        "payout": {"percent": "20"},
        "revenue": {"percent": "30"},
        "allow_multiple": True,
    },
    {"name": "Upgrade", "payout": {"flat": "5"}, "end_point": True},
    {"name": "Trial", "payout": {"flat": "2"}, "approve": True},
    {"name": "Viewed Pricing", "revenue": {"flat": "0.10"}, "private": True},
]


def network(**kw):  # type: ignore[no-untyped-def]
    net = setup_network(offer={"goals_enabled": True}, goals=GOALS, **kw)
    net["by_slug"] = {g["slug"]: g for g in net["goals"]}
    return net


def goal_postback(tid: str, extra: str) -> dict:  # type: ignore[type-arg]
    response = postback(f"a=lsr&transaction_id={tid}&format=json&{extra}", path="/aff_goal")
    return {"http": response["statusCode"], **json.loads(response["body"])}


def test_goal_by_id_by_slug_any_case_by_name_and_by_ref(aws) -> None:
    net = network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    reg = net["by_slug"]["registration"]
    assert reg["slug"] == "registration"
    forms = [f"goal_id={reg['goal_id']}", "goal_name=registration", "goal_name=REGISTRATION",
             "goal_name=Registration", "goal_ref=REG-1"]  # fmt: skip
    for form in forms:
        tid = click(offer_id, partner_id)
        result = goal_postback(tid, form)
        assert result["http"] == 200 and result["success"], (form, result)
    paid = goal_postback(click(offer_id, partner_id), "goal_name=Paid%20Subscription&amount=10")
    assert paid["success"]
    by_goal = [c["goal_id"] for c in conversions(offer_id)]
    assert by_goal.count(reg["goal_id"]) == len(forms)


def test_goal_refusals_each_have_their_reason(aws) -> None:
    net = network()
    other = setup_network(offer={"goals_enabled": True}, goals=[{"name": "Other"}])
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    tid = click(offer_id, partner_id)
    assert goal_postback(tid, "goal_name=nope")["code"] == "goal_not_found"
    assert goal_postback(tid, "goal_id=9999")["code"] == "goal_not_found"
    foreign = goal_postback(tid, f"goal_id={other['goals'][0]['goal_id']}")
    assert (foreign["http"], foreign["code"]) == (422, "goal_not_on_offer")
    assert goal_postback(tid, "")["http"] == 400  # a goal postback must name its goal
    rejected = [c for c in conversions(offer_id) if c["status"] == "rejected"]
    assert {c["status_code"] for c in rejected} == {"goal_not_found", "goal_not_on_offer"}


def test_goals_disabled_on_offer_refuses_goal_postbacks_but_not_default(aws) -> None:
    net = setup_network()  # goals not enabled
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    result = goal_postback(tid, "goal_name=sale")
    assert (result["http"], result["code"]) == (403, "goals_disabled")
    assert postback(f"transaction_id={tid}")["statusCode"] == 200


def test_seed_use_case_newsletter_then_twenty_percent_of_sale(aws) -> None:
    net = network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert goal_postback(tid, "goal_name=registration")["success"]
    assert goal_postback(tid, "goal_name=paid-subscription&amount=50")["success"]
    by_goal = {c["goal_name"]: c for c in conversions(offer_id)}
    assert Decimal(by_goal["registration"]["payout"]) == Decimal("1")
    assert Decimal(by_goal["paid-subscription"]["payout"]) == Decimal("10")
    assert Decimal(by_goal["paid-subscription"]["revenue"]) == Decimal("15")


def test_multiple_conversions_on_records_each_but_not_repeated_unique_ids(aws) -> None:
    net = network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert goal_postback(tid, "goal_name=paid-subscription&amount=10&adv_sub=A")["success"]
    assert goal_postback(tid, "goal_name=paid-subscription&amount=20&adv_sub=B")["success"]
    first = goal_postback(tid, "goal_name=paid-subscription&amount=30&conversion_unique_id=U1")
    assert first["success"]
    repeat = goal_postback(tid, "goal_name=paid-subscription&amount=31&conversion_unique_id=U1")
    assert (repeat["http"], repeat["code"]) == (200, "duplicate_unique_id")
    assert repeat["conversion_id"] == first["conversion_id"]
    # a unique id is unique per offer, across sessions too
    other = click(offer_id, net["partner"]["partner_id"])
    assert goal_postback(other, "goal_name=paid-subscription&amount=5&adv_unique1=U1")["success"]
    assert goal_postback(other, "goal_name=registration&adv_unique1=U1")["code"] == "duplicate_unique_id"
    amounts = sorted(
        Decimal(c["sale_amount"]) for c in conversions(offer_id) if c["goal_name"] == "paid-subscription"
    )
    assert amounts == [Decimal(5), Decimal(10), Decimal(20), Decimal(30)]


def test_identical_retry_of_a_multiple_goal_postback_counts_once(aws) -> None:
    net = network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    first = goal_postback(tid, "goal_name=paid-subscription&amount=10&adv_sub=A")
    retry = goal_postback(tid, "goal_name=paid-subscription&amount=10&adv_sub=A")
    assert first["success"] and retry["code"] == "duplicate_retry"
    assert retry["conversion_id"] == first["conversion_id"]
    assert len(conversions(offer_id)) == 1


def test_end_point_closes_the_session(aws) -> None:
    net = network()
    offer_id = net["offer"]["offer_id"]
    tid = click(offer_id, net["partner"]["partner_id"])
    assert goal_postback(tid, "goal_name=upgrade")["success"]
    session = session_store.get_session(tid)
    assert session is not None and session.is_closed and session.closed_by_goal
    after = goal_postback(tid, "goal_name=registration")
    assert (after["http"], after["code"]) == (409, "session_closed")
    assert postback(f"transaction_id={tid}")["statusCode"] == 409
    # a new click starts a new session that converts again
    assert goal_postback(click(offer_id, net["partner"]["partner_id"]), "goal_name=registration")["success"]


def test_end_point_refused_on_default_goal(aws) -> None:
    net = setup_network()
    status, body = admin(
        "POST",
        "/admin/offers",
        {
            "name": "X",
            "advertiser_id": net["advertiser"]["advertiser_id"],
            "offer_url": "https://x.example/",
            "default_goal": {"end_point": True},
        },
    )
    assert status == 422 and "end_point" in json.dumps(body)


def test_approval_goal_is_pending(aws) -> None:
    net = network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    result = goal_postback(tid, "goal_name=trial")
    assert (result["http"], result["code"], result["status"]) == (200, "approval_pending", "pending")
    [conv] = conversions(net["offer"]["offer_id"])
    assert conv["status"] == "pending" and Decimal(conv["payout"]) == Decimal(2)


def test_private_goal_records_revenue_only(aws) -> None:
    net = network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert goal_postback(tid, "goal_name=viewed-pricing")["success"]
    [conv] = conversions(net["offer"]["offer_id"])
    assert conv["private"] is True
    assert Decimal(conv["payout"]) == 0 and Decimal(conv["revenue"]) == Decimal("0.10")


def test_private_goal_with_payout_is_refused_by_admin(aws) -> None:
    net = setup_network(offer={"goals_enabled": True})
    status, body = admin(
        "POST",
        f"/admin/offers/{net['offer']['offer_id']}/goals",
        {"name": "Secret", "private": True, "payout": {"flat": "1"}},
    )
    assert status == 422
    assert "remove payout" in json.dumps(body)


def test_advertiser_security_token_is_enforced(aws) -> None:
    net = setup_network(advertiser={"security_token": "tok-123456", "security_token_applied": True})
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    assert postback(f"transaction_id={tid}")["statusCode"] == 403
    assert postback(f"transaction_id={tid}&security_token=wrong-token")["statusCode"] == 403
    assert postback(f"transaction_id={tid}&security_token=tok-123456")["statusCode"] == 200
    codes = sorted(c["status_code"] for c in conversions(net["offer"]["offer_id"]))
    assert codes == ["approved_server_postback", "invalid_security_token", "invalid_security_token"]


def test_rejections_are_bounded_per_session(aws) -> None:
    net = network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    for _ in range(REJECTIONS_PER_SESSION + 5):
        assert goal_postback(tid, "goal_name=nope")["code"] == "goal_not_found"
    assert len(conversions(net["offer"]["offer_id"])) == REJECTIONS_PER_SESSION


def test_duplicate_storm_adds_no_rows(aws) -> None:
    net = network()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    for _ in range(10):
        goal_postback(tid, "goal_name=registration")
    [conv] = conversions(net["offer"]["offer_id"])
    assert Decimal(conv["duplicate_count"]) == 9
