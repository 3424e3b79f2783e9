"""The one map from the tracker's codes to HTTP statuses (tracking routes).

Rules and use cases answer in codes (``goals_disabled``, ``duplicate``...); only this module
knows which HTTP status each is said with. The status is honest: a refusal is never a 200,
a repeat is (the conversion exists: the sender has nothing to fix).
"""

HTTP_STATUS: dict[str, int] = {
    # the request itself
    "bad_request": 400,
    "missing_transaction_id": 400,
    "malformed_transaction_id": 400,
    "missing_goal": 400,
    "invalid_amount": 400,
    "invalid_currency": 400,
    "bad_status": 400,
    "enc_mismatch": 400,
    "no_session": 400,
    "missing_conversion_reference": 400,
    "query_too_long": 414,
    "invalid_encrypted_link": 403,
    # what it names
    "unknown_offer": 404,
    "unknown_partner": 404,
    "unknown_transaction": 404,
    "unknown_conversion": 404,
    "goal_not_found": 404,
    "session_expired": 410,
    "lookback_expired": 410,
    # the gates
    "goals_disabled": 403,
    "invalid_security_token": 403,
    "status_by_pixel": 403,
    "encrypted_required": 403,
    "offer_inactive": 403,
    "partner_inactive": 403,
    "advertiser_inactive": 403,
    "no_offer_access": 403,
    "lookback_too_soon": 403,
    "offer_mismatch": 422,
    "goal_not_on_offer": 422,
    "advertiser_mismatch": 422,
    "currency_mismatch": 422,
    "no_exchange_rate": 422,
    "session_closed": 409,
    "goal_inactive": 409,
    "offer_cap_reached": 409,
    "partner_cap_reached": 409,
    "click_cap": 409,
    "unsafe_offer_url": 409,
    "ambiguous_order": 409,
    "held_for_review": 409,
    "status_conflict": 409,
    # screening (README, Traffic screening: the reason-code table)
    "duplicate_click": 409,
    "click_rate": 429,
    "bot_user_agent": 403,
    "empty_user_agent": 403,
    "ip_mismatch": 403,
    "conversion_rate": 429,
    "ip_not_allowed": 403,
    # repeats: the conversion exists, nothing to fix
    "duplicate": 200,
    "duplicate_unique_id": 200,
    "duplicate_retry": 200,
    # our side
    "temporarily_unavailable": 503,
}


def http_status(code: str, success: bool = False) -> int:
    """200 for every success; a refusal's own status, or 400 for a code not listed."""
    return 200 if success else HTTP_STATUS.get(code, 400)
