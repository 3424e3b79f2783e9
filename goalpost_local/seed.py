"""A demo network for `make run`: one advertiser, one partner, one offer with two goals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from goalpost.admin import advertisers, goals, offers, partners
from goalpost.admin.documents import Caller
from goalpost.admin.schemas import AdvertiserIn, DefaultGoalIn, GoalIn, OfferIn, PartnerIn, RateIn
from goalpost.model import clock
from goalpost.model.ids import iso_timestamp


def seed_demo(base_url: str) -> dict[str, Any]:
    caller = Caller("local-seed", iso_timestamp(clock.now()))
    advertiser = advertisers.create_advertiser(AdvertiserIn(name="Acme Shop"), caller)
    partner = partners.create_partner(PartnerIn(name="Demo Partner"), caller)
    offer = offers.create_offer(
        OfferIn(
            name="Acme Widgets",
            advertiser_id=advertiser["advertiser_id"],
            offer_url="https://shop.example.com/landing?tid={transaction_id}&sub={aff_sub}",
            goals_enabled=True,
            default_goal=DefaultGoalIn(
                name="Newsletter signup",
                payout=RateIn(flat=Decimal("1.00")),
                revenue=RateIn(flat=Decimal("1.50")),
            ),
        ),
        caller,
    )
    sale = goals.create_goal(
        offer["offer_id"],
        GoalIn(
            name="Sale",
            payout=RateIn(percent=Decimal("20")),
            revenue=RateIn(percent=Decimal("30")),
            allow_multiple=True,
        ),
        base_url,
        caller,
    )
    return {"advertiser": advertiser, "partner": partner, "offer": offer, "sale": sale}
