"""What the admin API refuses with: a code (documented, stable) and a reason for the caller.

Use cases raise ``ApiError("slug_taken", "...")`` and never name an HTTP status: only the edge
(``http.HTTP_STATUS``, the one code→status map) says which status each code is answered with,
as ``web.status`` does for the tracking routes. ``AdminCode`` is every code there is: mypy
refuses a code it does not list, and a test holds the map and the documented table to it.
"""

from __future__ import annotations

from typing import Any, Literal

AdminCode = Literal[
    # the request itself
    "bad_cursor",
    "bad_date",
    "bad_goal_order",
    "bad_group_by",
    "bad_money",
    "sub_id_not_kept",
    "too_many_sub_values",
    "bad_idempotency_key",
    "bad_if_match",
    "bad_limit",
    "bad_range",
    "bad_status",
    "bad_timezone",
    "invalid_json",
    "unsupported_media_type",
    "validation_error",
    "bad_name",
    "default_goal",
    "own_fallback",
    "idempotency_key_reused",
    "if_match_required",
    # who calls
    "console_token",
    "console_signed_out",
    "unauthorized",
    "iam_required",
    "no_console_group",
    "read_only",
    "partner_inactive",
    "postbacks_managed_by_network",
    "html_pixels_managed_by_network",
    # what it names
    "no_route",
    "not_found",
    "unknown_advertiser",
    "unknown_offer",
    "unknown_partner",
    "unknown_payout_structure",
    "unknown_tier",
    "no_exchange_rates",
    # money
    "invalid_currency",
    "invalid_rate",
    "invalid_rates_file",
    "no_exchange_rate",
    "rates_changed",
    # the state it meets
    "already_delivered",
    "already_exists",
    "access_conflict",
    "approval_disabled",
    "encrypted_disabled",
    "goals_disabled",
    "conversion_changed",
    "no_security_token",
    "not_adjustable",
    "partner_busy",
    "advertiser_busy",
    "no_console_user_pool",
    "own_account",
    "private_goal",
    "private_goal_conflict",
    "private_goal_payout",
    "slug_taken",
    "too_many_pixels",
    "version_conflict",
    # our side
    "internal_error",
]


class ApiError(Exception):
    """A refusal: ``code`` names it, ``message`` tells the caller what to fix, ``details`` (a
    validation's field-level complaints) says where."""

    def __init__(self, code: AdminCode, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code: AdminCode = code
        self.message = message
        self.details = details


def not_found(what: str, entity_id: str) -> ApiError:
    return ApiError("not_found", f"{what} {entity_id} does not exist")
