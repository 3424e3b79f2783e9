"""Tracking links an admin hands to advertisers and partners (the only place that builds them)."""

from typing import Any

from goalpost.model.offer import Goal
from goalpost.rules import signing


def partner_tracking_link(base_url: str, offer_id: str, partner_id: str) -> str:
    return f"{base_url}/aff_c?offer_id={offer_id}&aff_id={partner_id}"


def _img(src: str) -> str:
    return f'<img src="{src}" width="1" height="1" alt="" />'


def _iframe(src: str) -> str:
    return f'<iframe src="{src}" scrolling="no" frameborder="0" width="1" height="1"></iframe>'


def goal_links(
    base_url: str, goal: Goal, security_token: str = "", signing_key: signing.Key | None = None
) -> dict[str, Any]:
    """Postback URLs (by goal_name, preferred, and by goal_id) and pixel code for one goal.

    ``{transaction_id}`` is the advertiser's placeholder for the id passed to the landing
    page. With encrypted tracking on, only the ``enc`` forms are accepted. The postback URLs
    carry the advertiser's security token once one is set (before it is applied, so the
    advertiser can deploy them first); pixel code never does: it is public in page HTML.
    """
    token = f"&security_token={security_token}" if security_token else ""
    if goal.is_default:
        selector_name = selector_id = f"offer_id={goal.offer_id}"
        postback_path = pixel_path = ""
    else:
        selector_name = f"goal_name={goal.slug}"
        selector_id = f"goal_id={goal.goal_id}"
        postback_path, pixel_path = "a=lsr&", "a=l&"
    postback = f"{base_url}/aff_lsr?" if goal.is_default else f"{base_url}/aff_goal?{postback_path}"
    pixel = f"{base_url}/aff_l?" if goal.is_default else f"{base_url}/aff_goal?{pixel_path}"
    links: dict[str, Any] = {
        "postback_by_name": f"{postback}{selector_name}&transaction_id={{transaction_id}}{token}",
        "postback_by_id": f"{postback}{selector_id}&transaction_id={{transaction_id}}{token}",
        "image_pixel": _img(f"{pixel}{selector_id}"),
        "iframe_pixel": _iframe(f"{pixel}{selector_id}"),
    }
    if not goal.is_default:
        links["click_pixel"] = _img(f"{base_url}/aff_goal?a=lc&{selector_id}")
    if goal.encrypted:
        if signing_key is None:
            raise ValueError(f"goal {goal.goal_id} is encrypted: its links need the signing key")
        enc = signing.sign(goal.offer_id, goal.goal_id, signing_key)
        links["encrypted"] = {
            "postback": f"{postback}enc={enc}&transaction_id={{transaction_id}}{token}",
            "image_pixel": _img(f"{pixel}enc={enc}"),
            "iframe_pixel": _iframe(f"{pixel}enc={enc}"),
        }
        if not goal.is_default:
            links["encrypted"]["click_pixel"] = _img(f"{base_url}/aff_goal?a=lc&enc={enc}")
    return links
