"""Status transitions of a conversion: approvals, reversals and clawbacks."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from goalpost.model.caps import CAP_CODES
from goalpost.model.conversion import CLAWBACK, REVERSED, Adjustment, Conversion
from goalpost.model.screening import REASON_CODES


def approval_transitions(conversion: Conversion) -> tuple[int, int]:
    """How many times a conversion became approved, and left approved, by its adjustments.

    Approved at once counts as the first approval; each is told to partners (``approved``,
    ``approved-2``...), and so is each reversal (``reversal``, ``reversal-2``...). An
    adjustment of amounts only (approved to approved) is neither: the numbers stay those of
    the status changes, so ``reversal-k`` always follows ``approved-k``.
    """
    changes = [a for a in conversion.adjustments if a.get("from") != a.get("to")]
    initial = conversion.adjustments[0]["from"] if conversion.adjustments else conversion.status
    became = int(initial == "approved") + sum(1 for a in changes if a.get("to") == "approved")
    left = sum(1 for a in changes if a.get("from") == "approved")
    return became, left


def claws_back(old_status: str, new_status: str) -> bool:
    """Leaving approved reverses the money: a clawback record, and the partner's reversal postback."""
    return old_status == "approved" and new_status != "approved"


REJECTIONS_PER_SESSION = 20
"""Refused conversions stored per session (each tells an admin why): more are answered, not stored."""


def adjustment(
    conversion: Conversion,
    *,
    new_status: str,
    reason: str,
    at: str,
    via: str,
    actor: str,
    amounts: Mapping[str, Any],
) -> Adjustment:
    """The history a change writes: money history is appended to, never rewritten."""
    old_status = conversion.status
    before = {"status": old_status, **{k: getattr(conversion, k) for k in amounts}}
    after = {"status": new_status, **amounts}
    record = {
        "at": at,
        "from": old_status,
        "to": new_status,
        "reason": reason,
        "via": via,
        "by": actor,
        "before": before,
        "after": after,
    }
    return Adjustment(
        before,
        after,
        record,
        clawback_record(conversion, at, reason) if claws_back(old_status, new_status) else None,
        status_code_after(conversion, new_status, via),
    )


HOLD_CODES = REASON_CODES | CAP_CODES
"""A conversion's status code while the network holds it for an admin: a screening rule's hold,
or over a cap kept pending (the offer's ``cap_action``)."""


def advertiser_refusal(conversion: Conversion, new_status: str) -> tuple[str, str] | None:
    """Why an advertiser's status postback may not make this change, or None. A conversion the
    network holds for review is the network's to release: the advertiser may reject it, never
    approve it, and a rejected hold keeps its code (``status_code_after``), so a rejection
    followed by an approval does not slip past the review either. Released by an admin, its
    code is ``adjusted_admin``: the advertiser's again."""
    if conversion.status_code in HOLD_CODES and new_status == "approved":
        return (
            "held_for_review",
            f"held by the network ({conversion.status_code}): an admin decides it in the review queue",
        )
    return None


def status_code_after(conversion: Conversion, new_status: str, via: str) -> str:
    """What a change leaves in the conversion's status code, which stats, the review queue and
    the partner's report read. A conversion held by a screening rule keeps its reason through
    a change of amounts (it stays held, in the queue) and a rejection (the partner sees why);
    any other change is ``adjusted_<via>`` (TUNE's "adjusted")."""
    if conversion.status_code in HOLD_CODES and new_status in (conversion.status, "rejected"):
        return conversion.status_code
    return f"adjusted_{via}"


def clawback_record(conversion: Conversion, at: str, reason: str) -> Conversion:
    """Reverses an approved conversion's payout and revenue (its own record: history is kept)."""
    return Conversion(
        kind=CLAWBACK,
        conversion_id=f"{conversion.conversion_id}-C{at}",
        reverses=conversion.conversion_id,
        offer_id=conversion.offer_id,
        goal_id=conversion.goal_id,
        goal_name=conversion.goal_name,
        partner_id=conversion.partner_id,
        advertiser_id=conversion.advertiser_id,
        transaction_id=conversion.transaction_id,
        status=REVERSED,
        status_code="clawback",
        transition=approval_transitions(conversion)[1] + 1,  # which reversal this is
        payout=-(conversion.payout or Decimal(0)),
        revenue=-(conversion.revenue or Decimal(0)),
        currency=conversion.currency,
        created_at=at,
        note=reason,
        # in every currency as recorded: a reversal takes back exactly what was paid
        partner_currency=conversion.partner_currency,
        partner_payout=_negated(conversion.partner_payout),
        partner_rate=conversion.partner_rate,
        base_currency=conversion.base_currency,
        base_payout=_negated(conversion.base_payout),
        base_revenue=_negated(conversion.base_revenue),
        base_rate=conversion.base_rate,
        rate_day=conversion.rate_day,
    )


def _negated(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else -amount
