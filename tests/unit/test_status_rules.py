"""Status changes as the partner is paid by them: each approval and each reversal numbered,
the clawback taking back exactly what was paid, the history appended, never rewritten."""

from __future__ import annotations

from decimal import Decimal

from goalpost.model.conversion import CLAWBACK, REVERSED, Conversion
from goalpost.rules.status import (
    adjustment,
    advertiser_refusal,
    approval_transitions,
    clawback_record,
    status_code_after,
)

D = Decimal


def paid(**overrides: object) -> Conversion:
    base: dict[str, object] = {
        "conversion_id": "ab-5", "offer_id": "1", "goal_id": "5", "partner_id": "2", "transaction_id": "ab",
        "status": "approved", "status_code": "approved", "created_at": "2026-11-30T00:00:00.000Z",
        "goal_name": "sale", "advertiser_id": "3", "currency": "EUR", "payout": D("2.5"), "revenue": D("4"),
    }  # fmt: skip
    base.update(overrides)
    return Conversion(**base)  # type: ignore[arg-type]


def step(old: str, new: str) -> dict[str, str]:
    return {"from": old, "to": new}


def test_approvals_and_reversals_are_counted_from_the_first_status() -> None:
    assert approval_transitions(paid()) == (1, 0)  # approved at once: the first approval
    assert approval_transitions(paid(status="pending")) == (0, 0)
    history = (step("pending", "approved"), step("approved", "rejected"), step("rejected", "approved"))
    assert approval_transitions(paid(adjustments=history)) == (2, 1)
    from_approved = (step("approved", "pending"), step("pending", "approved"), step("approved", "approved"))
    assert approval_transitions(paid(adjustments=from_approved)) == (2, 1)  # an amount edit is no transition


def test_a_clawback_takes_back_exactly_what_was_paid_as_the_next_reversal() -> None:
    history = (step("approved", "pending"), step("pending", "approved"))
    back = clawback_record(paid(adjustments=history), "2026-12-01T10:00:00.000Z", "refund")
    assert back == Conversion(
        kind=CLAWBACK, conversion_id="ab-5-C2026-12-01T10:00:00.000Z", reverses="ab-5", offer_id="1",
        goal_id="5", goal_name="sale", partner_id="2", advertiser_id="3", transaction_id="ab",
        status=REVERSED, status_code="clawback", transition=2, payout=D("-2.5"), revenue=D("-4"),
        currency="EUR", created_at="2026-12-01T10:00:00.000Z", note="refund",
    )  # fmt: skip


def test_clawing_back_a_conversion_that_paid_nothing_records_zero() -> None:
    back = clawback_record(paid(payout=None, revenue=D(0)), "t", "r")
    assert (back.payout, back.revenue) == (D(0), D(0))
    assert back.transition == 1


def test_a_change_records_who_when_why_and_both_sides() -> None:
    change = adjustment(
        paid(), new_status="rejected", reason="fraud", at="2026-12-01T00:00:00.000Z", via="admin",
        actor="admin:alice", amounts={"payout": D(0)},
    )  # fmt: skip
    assert change.before == {"status": "approved", "payout": D("2.5")}
    assert change.after == {"status": "rejected", "payout": D(0)}
    assert change.record == {
        "at": "2026-12-01T00:00:00.000Z", "from": "approved", "to": "rejected", "reason": "fraud",
        "via": "admin", "by": "admin:alice", "before": change.before, "after": change.after,
    }  # fmt: skip
    assert change.clawback is not None and change.clawback.payout == D("-2.5")
    approve = adjustment(paid(status="pending"), new_status="approved", reason="", at="t", via="admin",
                         actor="a", amounts={})  # fmt: skip
    assert approve.clawback is None and approve.before == {"status": "pending"}


def test_a_held_conversion_keeps_its_reason_through_amounts_and_a_rejection_only() -> None:
    held = paid(status="pending", status_code="ip_mismatch")
    assert status_code_after(held, "pending", "admin") == "ip_mismatch"  # payout edited: still held
    assert status_code_after(held, "rejected", "admin") == "ip_mismatch"  # rejected: why it was
    assert status_code_after(held, "approved", "admin") == "adjusted_admin"  # released
    waiting = paid(status="pending", status_code="approval_pending")  # a goal's approval, no hold
    assert status_code_after(waiting, "rejected", "server_postback") == "adjusted_server_postback"
    assert status_code_after(paid(), "approved", "admin") == "adjusted_admin"  # amounts of a paid one
    assert (
        adjustment(
            held, new_status="rejected", reason="bot", at="t", via="admin", actor="a", amounts={}
        ).status_code
        == "ip_mismatch"
    )


def test_an_advertiser_may_not_approve_what_the_network_holds_for_review() -> None:
    for code in ("ip_mismatch", "lookback_too_soon", "offer_cap_reached", "partner_cap_reached"):
        held = paid(status="pending", status_code=code)
        refusal = advertiser_refusal(held, "approved")
        assert refusal is not None and refusal[0] == "held_for_review" and code in refusal[1]
        assert advertiser_refusal(held, "rejected") is None
    assert advertiser_refusal(paid(status="pending", status_code="approval_pending"), "approved") is None
    # a hold rejected keeps its code: approving it afterwards does not slip past the review
    assert advertiser_refusal(paid(status="rejected", status_code="ip_mismatch"), "approved") is not None
    assert status_code_after(paid(status="pending", status_code="offer_cap_reached"), "rejected", "x") == (
        "offer_cap_reached"
    )
    released = paid(status="approved", status_code="adjusted_admin")  # an admin released it
    assert (
        advertiser_refusal(released, "rejected") is None and advertiser_refusal(released, "approved") is None
    )
