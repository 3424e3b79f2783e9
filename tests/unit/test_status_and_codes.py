"""Status transitions (clawbacks, adjustments) and the one code->HTTP map."""

from decimal import Decimal

import pytest

from goalpost.model.audit import REDACTED, Audit, audit_entry
from goalpost.model.conversion import Conversion
from goalpost.model.offer import Goal, NetworkSettings, Offer, Rate
from goalpost.rules.engine import goals_disabled
from goalpost.rules.payouts import listed_payout
from goalpost.rules.status import adjustment, claws_back
from goalpost.web.status import HTTP_STATUS, http_status

APPROVED = Conversion(
    conversion_id="t1-0",
    offer_id="1",
    goal_id="0",
    partner_id="2",
    transaction_id="t1",
    status="approved",
    status_code="approved_server_postback",
    created_at="2026-01-01T00:00:00.000Z",
    payout=Decimal("2.50"),
    revenue=Decimal("4.00"),
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [("approved", "rejected", True), ("approved", "pending", True), ("approved", "approved", False),
     ("pending", "approved", False), ("rejected", "pending", False)],
)  # fmt: skip
def test_only_leaving_approved_claws_back(old: str, new: str, expected: bool) -> None:
    assert claws_back(old, new) is expected


def test_a_rejection_after_approval_reverses_payout_and_revenue() -> None:
    change = adjustment(
        APPROVED, new_status="rejected", reason="fraud", at="2026-01-02T00:00:00.000Z", via="admin",
        actor="ana", amounts={},
    )  # fmt: skip
    assert change.record["from"] == "approved" and change.record["to"] == "rejected"
    assert change.clawback is not None
    assert (change.clawback.payout, change.clawback.revenue) == (Decimal("-2.50"), Decimal("-4.00"))
    assert change.clawback.reverses == "t1-0" and change.clawback.transition == 1
    assert change.clawback.is_clawback and change.clawback.paid_id == "t1-0"


def test_an_amount_edit_that_stays_approved_writes_no_clawback() -> None:
    change = adjustment(
        APPROVED, new_status="approved", reason="fix", at="t", via="admin", actor="ana",
        amounts={"payout": Decimal("3")},
    )  # fmt: skip
    assert change.clawback is None
    assert change.before == {"status": "approved", "payout": Decimal("2.50")}
    assert change.after == {"status": "approved", "payout": Decimal("3")}


def test_an_audit_entry_lists_changed_fields_and_redacts_secrets() -> None:
    entry = audit_entry(
        "advertiser", "7",
        Audit("ana", "t", "update", {"name": "A", "security_token": "old", "version": 1},
              {"name": "B", "security_token": "new", "version": 2}),
    )  # fmt: skip
    assert entry["changed"] == ["name", "security_token"]
    assert entry["before"]["security_token"] == REDACTED and entry["after"]["security_token"] == REDACTED


def test_goals_are_off_when_the_network_or_the_offer_switch_is_off() -> None:
    default = Goal(goal_id="0", offer_id="1", name="Lead", slug="lead")
    offer_on = Offer(offer_id="1", name="o", advertiser_id="1", offer_url="https://x.example",
                     default_goal=default, goals_enabled=True)  # fmt: skip
    assert goals_disabled(NetworkSettings(), offer_on) is None
    assert "network" in str(goals_disabled(NetworkSettings(goals_enabled=False), offer_on))
    assert "offer 1" in str(goals_disabled(NetworkSettings(), offer_on._replace(goals_enabled=False)))


def test_the_listed_payout_is_custom_then_tier_then_the_goals_own() -> None:
    goal = Goal(goal_id="3", offer_id="1", name="Sale", slug="sale", payout=Rate(flat=Decimal("1")),
                tiers_enabled=True, tier_payouts={"9": Rate(flat=Decimal("2"))})  # fmt: skip
    assert listed_payout(goal, tier_id="", custom=None) == Rate(flat=Decimal("1"))
    assert listed_payout(goal, tier_id="9", custom=None) == Rate(flat=Decimal("2"))
    assert listed_payout(goal, tier_id="8", custom=None) == Rate(flat=Decimal("1"))
    assert listed_payout(goal, tier_id="9", custom=Rate(flat=Decimal("5"))) == Rate(flat=Decimal("5"))


def test_every_refusal_has_an_honest_status_and_successes_are_200() -> None:
    assert http_status("approved_server_postback", success=True) == 200
    assert http_status("duplicate") == 200  # the conversion exists: nothing to fix
    assert http_status("goals_disabled") == 403 and http_status("session_expired") == 410
    assert http_status("temporarily_unavailable") == 503
    assert http_status("some_new_malformed_input") == 400
    assert all(400 <= s < 600 or c.startswith("duplicate") for c, s in HTTP_STATUS.items())


def test_a_conversion_round_trips_through_its_stored_document() -> None:
    stored = APPROVED._replace(subs={"aff_sub": "a"}, sale_amount=Decimal("10"), private=True).to_dict()
    assert stored["payout"] == Decimal("2.50") and stored["subs"] == {"aff_sub": "a"}
    assert "reverses" not in stored and "requested_goal" not in stored  # absent facts stay absent
    assert Conversion.from_dict(
        {**stored, "pk": "TX#t1", "sk": "CONV#0", "day_key": "DAY#x"}
    ) == APPROVED._replace(subs={"aff_sub": "a"}, sale_amount=Decimal("10"), private=True)
    free = APPROVED._replace(payout=Decimal(0), revenue=Decimal("0.10"))
    assert free.to_dict()["payout"] == Decimal(0)  # a zero payout is a fact, kept
