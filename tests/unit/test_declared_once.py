"""Each config setting is declared once in the model and once in the admin's request model.

The model noun (``goalpost.model``) is what is stored and what the hot paths read; the admin's
``...In`` model is what a request may set. Everything else is derived: the stored document
from the noun (``model.fields``), the ``...Patch`` from the ``...In`` (``schemas.Patch``), the
``...Out`` answer from the noun (``views.View``), the noun itself from the validated request
(``Noun.from_dict({**body.model_dump(), ...})``). These tests fail when a field is added to one
side only; each difference that is meant is listed here, with why.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from goalpost.admin import goals, offers, schemas, views
from goalpost.model.caps import Cap
from goalpost.model.offer import (
    Advertiser,
    Condition,
    Goal,
    NetworkSettings,
    Offer,
    Partner,
    PayoutStructure,
    Rate,
    StructureRule,
)
from goalpost.model.partner_terms import CustomPayout, OfferAccess, Tier
from goalpost.model.screening import RuleSetting, ScreeningSettings

IDS = {"offer_id", "goal_id", "partner_id", "advertiser_id", "structure_id"}

# (noun, request model, fields only the server sets: why)
REQUESTS: list[tuple[type, type[BaseModel], dict[str, str]]] = [
    (Offer, schemas.OfferIn, {"offer_id": "made by the server", "version": "kept by every save"}),
    (Goal, schemas.GoalIn, {"goal_id": "made", "offer_id": "the path's", "slug": "from the name, kept"}),
    (
        Goal,
        schemas.DefaultGoalIn,
        {
            "goal_id": "always 0",
            "offer_id": "the offer's",
            "slug": "from the name, kept",
            **goals._ADDITIONAL_ONLY,  # what only additional goals have: the default goal takes the offer's
        },
    ),
    (Rate, schemas.RateIn, {}),
    (Cap, schemas.CapIn, {}),
    (Partner, schemas.PartnerIn, {"partner_id": "made", "api_key_sha256": "the server makes the key"}),
    (
        Advertiser,
        schemas.AdvertiserIn,
        {"advertiser_id": "made", "security_token_sha256": "a token set before tokens were kept: read only"},
    ),
    (
        NetworkSettings,
        schemas.NetworkIn,
        {"default_tier_id": "set by PUT /admin/tiers/<id>/default", "version": "kept by every save"},
    ),
    (PayoutStructure, schemas.PayoutStructureIn, {"structure_id": "made"}),
    (StructureRule, schemas.RuleIn, {}),
    (Condition, schemas.ConditionIn, {}),
    (ScreeningSettings, schemas.ScreeningIn, {}),
    (RuleSetting, schemas.ScreeningRuleIn, {}),
    (Tier, schemas.TierIn, {"tier_id": "made"}),
    (
        CustomPayout,
        schemas.CustomPayoutIn,
        {"partner_id": "the path's", "goal_id": "the path's", "set_at": "the time of the change"},
    ),
]

REQUEST_ONLY: dict[type[BaseModel], dict[str, str]] = {
    schemas.TierIn: {"default": "makes it the network's default tier (a network setting)"},
}
"""What a request says that its noun does not store: why."""


@pytest.mark.parametrize(
    ("noun", "request_model", "server_owned"), REQUESTS, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_request_sets_every_setting_of_its_noun_and_nothing_else(
    noun: type, request_model: type[BaseModel], server_owned: dict[str, str]
) -> None:
    settings = set(noun._fields) - set(server_owned)  # type: ignore[attr-defined]
    accepted = set(request_model.model_fields) - set(REQUEST_ONLY.get(request_model, {}))
    assert not accepted - settings, f"{request_model.__name__} takes what {noun.__name__} does not store"
    assert not settings - accepted, f"{noun.__name__} has settings {request_model.__name__} cannot set"
    assert set(server_owned) <= set(noun._fields), "an exception names no field of the noun"  # type: ignore[attr-defined]


# (patch, the request it derives from, fields a change cannot make, fields only a change has)
PATCHES: list[tuple[type[BaseModel], type[BaseModel], set[str], set[str]]] = [
    (schemas.OfferPatch, schemas.OfferIn, {"advertiser_id"}, set()),
    (schemas.DefaultGoalPatch, schemas.DefaultGoalIn, set(), {"regenerate_slug"}),
    (schemas.GoalPatch, schemas.GoalIn, set(), {"regenerate_slug"}),
    (schemas.AdvertiserPatch, schemas.AdvertiserIn, set(), {"remove_security_token"}),
    (schemas.PartnerPatch, schemas.PartnerIn, {"postback_secret"}, set()),
]


@pytest.mark.parametrize(
    ("patch", "source", "fixed", "only"), PATCHES, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_patch_changes_what_its_request_sets(
    patch: type[BaseModel], source: type[BaseModel], fixed: set[str], only: set[str]
) -> None:
    assert set(patch.model_fields) == set(source.model_fields) - fixed | only
    for name in set(source.model_fields) - fixed:
        field = patch.model_fields[name]
        assert not field.is_required() and field.default is None, f"{name}: a patch sends only what changes"


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with its null branch and its annotations (title, default...) dropped."""
    branches = [b for b in schema.get("anyOf", [schema]) if b != {"type": "null"}]
    (kept,) = branches
    return {k: v for k, v in kept.items() if k not in ("title", "default", "description")}


@pytest.mark.parametrize(
    ("patch", "source", "fixed", "only"), PATCHES, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_patch_holds_each_value_to_its_requests_rules(
    patch: type[BaseModel], source: type[BaseModel], fixed: set[str], only: set[str]
) -> None:
    """Same constraints, same validators: a value the create refuses, a change refuses too."""
    given = patch.model_json_schema()["properties"]
    wanted = source.model_json_schema()["properties"]
    nested = {"default_goal"}  # a patch of its own
    for name in set(wanted) - fixed - nested:
        assert _without_null(given[name]) == _without_null(wanted[name]), name
    assert patch.model_config.get("extra") == "forbid"


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"offer_url": "ftp://shop.example/"}, "offer_url"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"session_hours": True}, "session_hours"),
        ({"caps": [{"period": "day", "limit": "1"}, {"period": "day", "limit": "2"}]}, "caps"),
        ({"cap_shards": 0}, "cap_shards"),
        ({"advertiser_id": "1"}, "advertiser_id"),
    ],
)
def test_an_offer_patch_refuses_what_the_create_refuses(body: dict[str, Any], refused: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as error:
        schemas.OfferPatch.model_validate(body)
    assert [e["loc"][0] for e in error.value.errors()] == [refused]


# (answer, noun, fields it hides: why, fields it adds)
ANSWERS: list[tuple[type[BaseModel], type, dict[str, str], set[str]]] = [
    (views.OfferOut, Offer, {}, set()),
    (views.GoalOut, Goal, {}, set()),
    (views.GoalDetailOut, Goal, {}, {"version", "links"}),
    (views.RateOut, Rate, {}, set()),
    (views.CapOut, Cap, {}, set()),
    (views.CapUsageOut, Cap, {}, set()),
    (views.ConditionOut, Condition, {}, set()),
    (views.RuleOut, StructureRule, {}, set()),
    (views.PayoutStructureOut, PayoutStructure, {}, {"version"}),
    (views.NetworkOut, NetworkSettings, {}, {"bot_list_version"}),
    (views.ScreeningRuleOut, RuleSetting, {}, set()),
    (views.ScreeningOut, ScreeningSettings, {}, set()),
    (
        views.PartnerOut,
        Partner,
        {"api_key_sha256": "a secret's hash", "postback_secret": "shown once, at the create"},
        {"version"},
    ),
    (views.NewPartnerOut, Partner, {"api_key_sha256": "a secret's hash"}, {"version", "api_key"}),
    (views.RotatedKeyOut, Partner, {"api_key_sha256": "", "postback_secret": ""}, {"version", "api_key"}),
    (views.TierOut, Tier, {}, {"version", "default"}),
    (views.CustomPayoutOut, CustomPayout, {}, {"version"}),
    (views.OfferAccessOut, OfferAccess, {}, {"version"}),
    (
        views.AdvertiserOut,
        Advertiser,
        {"security_token_sha256": "a secret's hash"},
        {"version", "security_token_set"},
    ),
]


@pytest.mark.parametrize(
    ("answer", "noun", "hidden", "added"), ANSWERS, ids=lambda v: getattr(v, "__name__", "")
)
def test_an_answer_shows_every_field_of_its_noun_but_its_secrets(
    answer: type[BaseModel], noun: type, hidden: dict[str, str], added: set[str]
) -> None:
    assert set(answer.model_fields) == set(noun._fields) - set(hidden) | added  # type: ignore[attr-defined]


def test_every_view_of_a_noun_is_listed_here() -> None:
    derived = {
        cls for cls in vars(views).values() if isinstance(cls, type) and issubclass(cls, views.View)
    } - {views.View}
    assert derived == {answer for answer, *_ in ANSWERS}


# A request setting every field to something other than its default, for each request model.
FULL_REQUESTS: dict[type[BaseModel], dict[str, Any]] = {
    schemas.OfferIn: {
        "name": "Widgets", "advertiser_id": "1", "offer_url": "https://shop.example/?t={transaction_id}",
        "status": "paused", "session_hours": 48, "currency": "EUR", "goals_enabled": True, "ref_id": "o-1",
        "default_goal": {"name": "Lead", "payout": {"flat": "2"}}, "timezone": "Europe/Paris",
        "caps": [{"period": "day", "measure": "payout", "limit": "100", "partner_id": "*"},
                 {"period": "week", "measure": "clicks", "limit": "1000"}],
        "cap_action": "pending", "cap_shards": 3, "min_session_seconds": 5, "max_session_seconds": 500,
        "accepts_other_currencies": False, "fallback_offer_id": "4", "fallback_url": "https://other.example/",
        "screening": {"bots": {"action": "flag"}, "unique_order_ids": True}, "access": "private",
    },
    schemas.GoalIn: {
        "name": "Big Sale", "description": "d", "status": "paused", "advertiser_id": "9", "end_point": True,
        "private": True, "payout": {"flat": "0"}, "revenue": {"flat": "4", "percent": "1.5"},
        "tiers_enabled": True, "tier_payouts": {"3": {"flat": "0"}}, "tier_revenues": {"3": {"percent": "2"}},
        "payout_structure_ids": ["5"], "allow_multiple": True, "approve": True, "encrypted": True,
        "protocol": "iframe", "ref_id": "r-1", "min_session_seconds": 60, "max_session_seconds": 600,
    },
    schemas.DefaultGoalIn: {
        "name": "Lead", "description": "d", "payout": {"flat": "2.5"}, "revenue": {"percent": "10"},
        "tiers_enabled": True, "tier_payouts": {"3": {"flat": "3"}}, "tier_revenues": {"3": {"flat": "5"}},
        "payout_structure_ids": ["5", "6"], "allow_multiple": True, "approve": True, "encrypted": True,
        "protocol": "image", "ref_id": "r-0",
    },
    schemas.AdvertiserIn: {
        "name": "Acme", "status": "paused", "security_token": "token-123", "security_token_applied": True,
        "postback_ips": ["203.0.113.0/24"],
    },
    schemas.PartnerIn: {
        "name": "P", "status": "pending", "tier_id": "3", "postback_secret": "s" * 20, "currency": "GBP",
    },
    schemas.PayoutStructureIn: {
        "name": "S",
        "rules": [{"conditions": [{"field": "amount", "operator": ">", "values": ["5"]}], "payout": {"flat": "1"}}],
    },
    schemas.TierIn: {"name": "Gold", "level": 3, "default": True},
    schemas.CustomPayoutIn: {"payout": {"flat": "7.25", "percent": "1"}},
    schemas.NetworkIn: {
        "goals_enabled": False, "tracking_domain": "t.example", "currency": "EUR", "session_hours": 48,
        "approval_enabled": False, "encrypted_enabled": False, "partners_see_pending": True,
        "partners_manage_postbacks": True, "partners_html_pixels": True,
        "fallback_url": "https://network.example/", "screening": {"click_rate": {"action": "refuse", "limit": 60}},
        "stats_sub_ids": ["aff_sub2", "source"],
    },
}  # fmt: skip


@pytest.mark.parametrize("request_model", list(FULL_REQUESTS), ids=lambda m: m.__name__)
def test_the_full_requests_set_every_field(request_model: type[BaseModel]) -> None:
    body = request_model.model_validate(FULL_REQUESTS[request_model])
    unset = set(request_model.model_fields) - body.model_fields_set
    assert not unset, f"give {request_model.__name__}'s full request a value for {sorted(unset)}"


def _carried(noun: Any, body: BaseModel, server_owned: dict[str, str]) -> None:
    """Each value the request sent is the value stored (ids aside: the server's or the path's)."""
    stored = noun.to_dict()
    for name, value in body.model_dump().items():
        if name not in server_owned and name not in IDS:
            assert stored[name] == value, name


def test_a_goal_is_built_from_every_field_of_its_request() -> None:
    body = schemas.GoalIn.model_validate(FULL_REQUESTS[schemas.GoalIn])
    goal = goals._goal_from("3", "7", "big-sale", body, "1")
    assert (goal.goal_id, goal.offer_id, goal.slug, goal.advertiser_id) == ("7", "3", "big-sale", "9")
    _carried(goal, body, {})
    assert (
        goals._goal_from("3", "7", "s", body.model_copy(update={"advertiser_id": None}), "1").advertiser_id
        == "1"
    )


def test_an_offer_is_built_from_every_field_of_its_request() -> None:
    body = schemas.OfferIn.model_validate(FULL_REQUESTS[schemas.OfferIn])
    offer = offers.offer_from(body, "3", NetworkSettings())
    assert offer.offer_id == "3" and offer.default_goal == offers._default_goal("3", "1", body.default_goal)
    _carried(offer, body, {"default_goal": "checked above"})
    defaults = schemas.OfferIn.model_validate(
        {**FULL_REQUESTS[schemas.OfferIn], "session_hours": None, "currency": None}
    )
    network = NetworkSettings(session_hours=12, currency="GBP")
    made = offers.offer_from(defaults, "3", network)
    assert (made.session_hours, made.currency) == (12, "GBP")  # the network's when left out


def test_the_default_goal_is_built_from_every_field_of_its_request() -> None:
    body = schemas.DefaultGoalIn.model_validate(FULL_REQUESTS[schemas.DefaultGoalIn])
    goal = offers._default_goal("3", "1", body)
    assert (goal.goal_id, goal.offer_id, goal.slug, goal.advertiser_id) == ("0", "3", "lead", "1")
    _carried(goal, body, {})


@pytest.mark.parametrize(
    ("noun", "request_model", "owned"),
    [
        (Advertiser, schemas.AdvertiserIn, {"advertiser_id": "4"}),
        (Partner, schemas.PartnerIn, {"partner_id": "2", "api_key_sha256": "ab"}),
        (PayoutStructure, schemas.PayoutStructureIn, {"structure_id": "5"}),
        (NetworkSettings, schemas.NetworkIn, {}),
        (Tier, schemas.TierIn, {"tier_id": "6", "default": "not stored"}),
        (
            CustomPayout,
            schemas.CustomPayoutIn,
            {"partner_id": "2", "goal_id": "0", "set_at": "2026-12-05T00:00:00Z"},
        ),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_noun_is_built_from_every_field_of_its_request(
    noun: Any, request_model: type[BaseModel], owned: dict[str, str]
) -> None:
    """As the admin builds them: ``Noun.from_dict({**body.model_dump(), **what the server owns})``."""
    body = request_model.model_validate(FULL_REQUESTS[request_model])
    built = noun.from_dict({**body.model_dump(), **owned})
    _carried(built, body, owned)


def test_an_item_stored_before_a_setting_existed_is_answered_with_its_default() -> None:
    """A noun's default (a rate) is shown as its view, with no serializer warning in the logs."""
    import warnings

    old_goal = {"goal_id": "0", "offer_id": "3", "name": "Conversion", "slug": "conversion"}
    old = {
        "version": 2,
        "offer_id": "3",
        "name": "W",
        "advertiser_id": "1",
        "offer_url": "https://x.example/",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shown = views.OfferOut.model_validate({**old, "default_goal": old_goal}).model_dump(mode="json")
    assert shown["default_goal"]["payout"] == {"flat": "0", "percent": "0"}
    assert (shown["timezone"], shown["caps"], shown["default_goal"]["tier_payouts"]) == ("UTC", [], {})


@pytest.mark.parametrize(
    ("patch", "body", "taken"),
    [
        (schemas.OfferPatch, {"name": None}, False),
        (schemas.OfferPatch, {"session_hours": None}, False),  # the create's null is the network's
        (schemas.OfferPatch, {"currency": None}, False),
        (schemas.OfferPatch, {"min_session_seconds": None}, False),
        (schemas.OfferPatch, {"default_goal": {"payout": None}}, False),
        (schemas.PartnerPatch, {"tier_id": None}, False),
        (schemas.AdvertiserPatch, {"status": None}, False),
        (schemas.AdvertiserPatch, {"security_token": None}, True),  # no new token
        (schemas.GoalPatch, {"advertiser_id": None, "min_session_seconds": None}, True),  # the offer's
        (schemas.GoalPatch, {"name": None}, False),
    ],
)
def test_a_patch_takes_null_only_where_the_setting_can_be_null(
    patch: type[BaseModel], body: dict[str, Any], taken: bool
) -> None:
    from pydantic import ValidationError

    try:
        patch.model_validate(body)
    except ValidationError:
        assert not taken, body
    else:
        assert taken, body
