"""Status transitions of a conversion: approvals, reversals and clawbacks."""

from collections.abc import Mapping
from typing import Any


def approval_transitions(conversion: Mapping[str, Any]) -> tuple[int, int]:
    """How many times a conversion became approved, and left approved, by its adjustments.

    Approved at once counts as the first approval; each is told to partners (``approved``,
    ``approved-2``...), and so is each reversal (``reversal``, ``reversal-2``...).
    """
    adjustments = conversion.get("adjustments") or []
    initial = adjustments[0]["from"] if adjustments else conversion.get("status")
    became = int(initial == "approved") + sum(1 for a in adjustments if a.get("to") == "approved")
    left = sum(1 for a in adjustments if a.get("from") == "approved")
    return became, left
