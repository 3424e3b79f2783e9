"""What a conversion stores: its own facts, the worth the rules gave it, and the click's
context copied from the session (reports, partner macros and payout audits read these)."""

from __future__ import annotations

from decimal import Decimal

from goalpost.model.conversion import Conversion
from goalpost.model.offer import Goal, NetworkSettings
from goalpost.rules.engine import conversion_fields, conversion_record, offer_goals
from goalpost.rules.payouts import Worth
from tests.unit.test_engine import bundle, request, session

D = Decimal


def test_a_conversion_records_its_goal_its_worth_and_the_clicks_context() -> None:
    b = bundle()
    goal = b.goals["11"]._replace(private=True)  # names its own advertiser, 4
    req = request(
        goal_id="11", amount=D("19.90"), adv_subs={"adv_sub": "order-7"}, unique_ids=(("adv_sub", "order-7"),),
        ip="203.0.113.9", user_agent="UA/1", via="pixel",
    )  # fmt: skip
    sess = session(subs={"aff_sub": "a1", "source": "news"}, ip="198.51.100.7")
    worth = Worth(D("2.00000"), D("3.00000"), "tier", note="payout is 10% of sale")
    stored = conversion_record(
        req, sess, b, goal, conversion_id="ab-11", status="pending", status_code="pending_approval",
        worth=worth, created_at="2026-11-30T00:00:00.000Z", note="over the cap",
    )  # fmt: skip
    assert stored == Conversion(**{  # every field: the ones not named here keep their defaults
        "conversion_id": "ab-11", "offer_id": "1", "goal_id": "11", "partner_id": "2", "transaction_id": "ab",
        "status": "pending", "status_code": "pending_approval", "created_at": "2026-11-30T00:00:00.000Z",
        "goal_name": "upsell", "goal_ref": "", "private": True, "advertiser_id": "4", "currency": "USD",
        "via": "pixel", "ip": "203.0.113.9", "user_agent": "UA/1", "session_created_at": sess.created_at,
        "session_ip": "198.51.100.7", "subs": {"aff_sub": "a1", "source": "news"},
        "adv_subs": {"adv_sub": "order-7"}, "sale_amount": D("19.90"), "unique_ids": {"adv_sub": "order-7"},
        "requested_goal": "", "payout": D("2.00000"), "revenue": D("3.00000"), "payout_source": "tier",
        "note": "over the cap; payout is 10% of sale", "goal_by": "goal_id",
    })  # fmt: skip


def test_a_refusal_whose_goal_never_resolved_keeps_the_senders_words_and_the_offers_advertiser() -> None:
    stored = conversion_record(
        request(goal_name="Mystery"), session(), bundle(), None, conversion_id="ab-R1", status="rejected",
        status_code="goal_not_found", worth=None, created_at="2026-11-30T00:00:00.000Z", note="no such goal",
    )  # fmt: skip
    assert (stored.goal_id, stored.goal_name, stored.goal_ref, stored.private) == ("", "", "", False)
    assert (stored.requested_goal, stored.advertiser_id, stored.goal_by) == ("Mystery", "3", "goal_name")
    assert (stored.payout, stored.revenue, stored.payout_source, stored.note) == (
        None,
        None,
        "",
        "no such goal",
    )
    assert (stored.adv_subs, stored.unique_ids, stored.sale_amount) == ({}, {}, None)


def test_a_goal_with_a_ref_and_no_notes_stores_them_as_they_are() -> None:
    goal = bundle().goals["7"]
    stored = conversion_record(
        request(goal_id="7"), session(), bundle(), goal, conversion_id="ab-7", status="approved",
        status_code="approved", worth=Worth(D(1), D(2), "default"), created_at="t",
    )  # fmt: skip
    assert (stored.goal_ref, stored.note, stored.advertiser_id) == ("REG", "", "3")


def test_payout_rules_see_the_adv_subs_and_the_amount_in_the_offers_currency() -> None:
    sent = request(adv_subs={"adv_sub2": "gold"}, amount=D("100.50"), currency="EUR")
    fields = conversion_fields(sent, D("105.53"))  # the EUR sale, in USD
    assert fields == {"adv_sub2": "gold", "amount": "105.53"}
    assert conversion_fields(request(), None) == {}


def test_an_offers_goals_are_the_default_then_the_others_by_number_while_goals_are_on() -> None:
    b = bundle()
    assert [g.goal_id for g in offer_goals(b, NetworkSettings())] == ["0", "7", "8", "9", "10", "11", "12"]
    assert [g.goal_id for g in offer_goals(b, NetworkSettings(goals_enabled=False))] == ["0"]
    assert [g.goal_id for g in offer_goals(bundle(goals_enabled=False), NetworkSettings())] == ["0"]
    assert all(isinstance(g, Goal) for g in offer_goals(b, NetworkSettings()))
