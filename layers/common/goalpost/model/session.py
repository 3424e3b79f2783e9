"""A click session and the fields a click and an advertiser may send."""

from collections.abc import Mapping
from typing import NamedTuple

from goalpost.model.offer import EMPTY

SUB_FIELDS = ("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5")
CLICK_CONTEXT_FIELDS = (*SUB_FIELDS, "source", "aff_click_id")
"""What a click may carry and its session keeps (and conversions copy)."""
MAX_CLICK_SUB_CHARS = 255
"""Per sub id on a click: keeps a session item within 1 KB (one write capacity unit)."""

MAX_TEST_TOKEN = 200
"""A test link's ``test`` token on a click, at most (``rules.signing.sign_test_link``)."""

ADV_SUB_FIELDS = ("adv_sub", "adv_sub2", "adv_sub3", "adv_sub4", "adv_sub5")

UNIQUE_FIELDS = (
    "conversion_unique_id",
    "adv_unique1", "adv_unique2", "adv_unique3", "adv_unique4", "adv_unique5",
)  # fmt: skip


class Session(NamedTuple):
    """An active click session: created by the tracking link, found by transaction id."""

    transaction_id: str
    offer_id: str
    partner_id: str
    created_at: float
    """Unix seconds to the millisecond (the clock's precision: lookback ages are measured from it)."""
    expires_at: int
    subs: Mapping[str, str] = EMPTY
    """aff_sub..aff_sub5, source, aff_click_id as sent on the click (only the ones present)."""
    ip: str = ""
    user_agent: str = ""
    closed_at: int = 0
    closed_by_goal: str = ""
    closed_by_sk: str = ""
    """Sort key of the conversion that closed the session (a retried end point repeats it)."""
    flags: tuple[str, ...] = ()
    """Screening reason codes found on the click (``duplicate_click``: a gross, not unique, click)."""
    test_link: str = ""
    """The ``test`` token of an admin's test link, as the click sent it (checked, with the
    signing keys, only when a conversion comes: every conversion of a valid one is a test)."""
    redirected: str = ""
    """Why the click went to a fallback instead of its offer: then this is only the click's
    record (expired at once, no cookie), never a session that could convert."""

    def is_expired(self, now: float) -> bool:
        return now >= self.expires_at

    @property
    def is_unique(self) -> bool:
        return "duplicate_click" not in self.flags

    @property
    def is_closed(self) -> bool:
        return self.closed_at > 0
