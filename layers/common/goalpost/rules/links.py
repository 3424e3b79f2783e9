"""Tracking links an admin hands to advertisers and partners (the only place that builds them)."""

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
) -> dict[str, str]:
    """The links a goal accepts: postback URLs and pixel code, nothing the goal would refuse.

    A plain goal: its postback URL by goal_name (preferred) and by goal_id, the image and
    iframe pixel code and (additional goals) the goal click pixel. An encrypted goal accepts
    only its signed ``enc`` forms (``encrypted_required`` otherwise), so those are all it is
    given: ``postback`` (the token names offer and goal) and the same pixels, signed.
    ``{transaction_id}`` is the advertiser's placeholder for the id passed to the landing
    page. The postback URLs carry the advertiser's security token once one is set (before it
    is applied, so the advertiser can deploy them first); pixel code never does: it is public
    in page HTML.
    """
    token = f"&security_token={security_token}" if security_token else ""
    postback = f"{base_url}/aff_lsr?" if goal.is_default else f"{base_url}/aff_goal?a=lsr&"
    pixel = f"{base_url}/aff_l?" if goal.is_default else f"{base_url}/aff_goal?a=l&"
    links: dict[str, str] = {}
    if goal.encrypted:
        if signing_key is None:
            raise ValueError(f"goal {goal.goal_id} is encrypted: its links need the signing key")
        selector = f"enc={signing.sign(goal.offer_id, goal.goal_id, signing_key)}"
        links["postback"] = f"{postback}{selector}&transaction_id={{transaction_id}}{token}"
    else:
        if goal.is_default:
            selector = selector_name = f"offer_id={goal.offer_id}"
        else:
            selector, selector_name = f"goal_id={goal.goal_id}", f"goal_name={goal.slug}"
        links["postback_by_name"] = f"{postback}{selector_name}&transaction_id={{transaction_id}}{token}"
        links["postback_by_id"] = f"{postback}{selector}&transaction_id={{transaction_id}}{token}"
    links["image_pixel"] = _img(f"{pixel}{selector}")
    links["iframe_pixel"] = _iframe(f"{pixel}{selector}")
    if not goal.is_default:
        links["click_pixel"] = _img(f"{base_url}/aff_goal?a=lc&{selector}")
    return links
