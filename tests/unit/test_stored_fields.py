"""Config nouns are stored from their own declared fields (``goalpost.model.fields``).

Every field of every noun survives to_dict -> DynamoDB -> from_dict, with a value other than
its default (worked out from the annotations, so a field added tomorrow is covered the day it is
declared); the stored format is the one items already in DynamoDB have; and items written
before a field existed, or with a null or empty value, still load.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

import pytest

from goalpost.model import caps, offer, partner_terms, screening
from goalpost.model.caps import Cap
from goalpost.model.fields import codec_of, fields_of
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
from goalpost.store.dynamo import from_item, to_item

D = Decimal


def stored_nouns() -> list[type]:
    """Every NamedTuple of the config model that is stored (it has ``to_dict``)."""
    found = []
    for module in (offer, caps, partner_terms, screening):
        for _, value in inspect.getmembers(module, inspect.isclass):
            stored = hasattr(value, "_fields") and hasattr(value, "to_dict")
            if stored and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_the_stored_nouns_are_the_config_nouns() -> None:
    assert set(stored_nouns()) == {
        Rate, Goal, Offer, Partner, Advertiser, Condition, StructureRule, PayoutStructure,
        NetworkSettings, Cap, Tier, CustomPayout, OfferAccess, RuleSetting, ScreeningSettings,
    }  # fmt: skip


def sample_of(annotation: Any, default: Any, name: str) -> Any:
    """A value of the annotated type that is not ``default`` (nested nouns: all non-default)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return sample_of(annotation.__origin__, default, name)
    if annotation is str:
        return f"{name}-7"
    if annotation is bool:
        return not default
    if annotation is int:
        return 7 if default != 7 else 8
    if annotation is Decimal:
        return D("12.34567")
    if origin is Literal:
        return next(v for v in reversed(get_args(annotation)) if v != default)
    if origin in (Union, UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not NoneType]
        return sample_of(inner, None, name)
    if origin is tuple:
        return (sample_of(get_args(annotation)[0], None, name),)
    if origin in (Mapping, dict):
        return {"41": sample_of(get_args(annotation)[1], None, name)}
    return full(annotation)


def full(noun: type) -> Any:
    """A noun whose every field holds a value other than its default."""
    hints = typing.get_type_hints(noun, include_extras=True)
    defaults = noun._field_defaults  # type: ignore[attr-defined]
    return noun(**{n: sample_of(hints[n], defaults.get(n), n) for n in noun._fields})  # type: ignore[attr-defined]


@pytest.mark.parametrize("noun", stored_nouns(), ids=lambda n: n.__name__)
def test_every_field_survives_dynamodb_with_a_value_other_than_its_default(noun: type) -> None:
    item = full(noun)
    for name, value in item._asdict().items():
        assert value != noun._field_defaults.get(name, object()), name
    assert noun.from_dict(from_item(to_item(item.to_dict()))) == item
    assert noun.from_dict(item.to_dict()) == item


@pytest.mark.parametrize("noun", stored_nouns(), ids=lambda n: n.__name__)
def test_every_field_is_stored_under_its_own_name_in_declaration_order(noun: type) -> None:
    assert list(full(noun).to_dict()) == list(noun._fields)


@pytest.mark.parametrize("noun", stored_nouns(), ids=lambda n: n.__name__)
def test_every_stored_value_is_one_dynamodb_takes(noun: type) -> None:
    """No tuples, sets of the wrong kind or NamedTuples reach the store: lists, dicts, scalars."""

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value) in (str, bool, int, Decimal)

    assert plain(full(noun).to_dict())


def test_a_field_whose_type_has_no_stored_form_is_refused_at_once() -> None:
    with pytest.raises(TypeError, match="no stored form"):
        codec_of(set[str])
    with pytest.raises(TypeError, match="no stored form"):
        codec_of(int | str)


def as_before(stored: Any, before: Any) -> bool:
    """``stored`` holds ``before`` exactly, keys added since aside (in nested documents too)."""
    if isinstance(before, dict):
        return isinstance(stored, dict) and all(
            k in stored and as_before(stored[k], v) for k, v in before.items()
        )
    if isinstance(before, list):
        return isinstance(stored, list) and len(stored) == len(before) and all(map(as_before, stored, before))
    return type(stored) is type(before) and stored == before


OFFER = Offer(
    offer_id="3", name="Widgets", advertiser_id="1", offer_url="https://shop.example/?t={transaction_id}",
    default_goal=Goal(
        goal_id="0", offer_id="3", name="Conversion", slug="conversion", advertiser_id="1",
        payout=Rate(D("2.5")), tier_payouts={"9": Rate(D("3"), D("1.5"))}, payout_structure_ids=("4",),
        min_session_seconds=0,
    ),
    session_hours=48, currency="EUR", timezone="America/New_York",
    caps=(Cap("day", "payout", D("1000.50"), "*"),), cap_action="pending", cap_shards=4, max_session_seconds=600,
)  # fmt: skip


def test_the_stored_format_is_the_one_existing_items_have() -> None:
    """As the hand-written to_dict of before stored it (items in DynamoDB have exactly this).

    Settings added since are left out of the comparison: no item written before has them."""
    assert as_before(OFFER.to_dict(), {
        "offer_id": "3", "name": "Widgets", "advertiser_id": "1",
        "offer_url": "https://shop.example/?t={transaction_id}",
        "default_goal": {
            "goal_id": "0", "offer_id": "3", "name": "Conversion", "slug": "conversion", "status": "active",
            "description": "", "advertiser_id": "1", "protocol": "server", "ref_id": "",
            "payout": {"flat": D("2.5"), "percent": D(0)}, "revenue": {"flat": D(0), "percent": D(0)},
            "tiers_enabled": False, "tier_payouts": {"9": {"flat": D(3), "percent": D("1.5")}},
            "tier_revenues": {}, "payout_structure_ids": ["4"], "allow_multiple": False, "end_point": False,
            "approve": False, "encrypted": False, "private": False, "min_session_seconds": 0,
            "max_session_seconds": None,
        },
        "status": "active", "session_hours": 48, "currency": "EUR", "goals_enabled": False, "ref_id": "",
        "version": 1, "timezone": "America/New_York",
        "caps": [{"period": "day", "measure": "payout", "limit": D("1000.50"), "partner_id": "*"}],
        "cap_action": "pending", "cap_shards": 4, "min_session_seconds": 0, "max_session_seconds": 600,
        "accepts_other_currencies": True,  # added with currencies (older items load it as True)
        "screening": {
            "duplicate_clicks": None, "click_rate": None, "bots": None, "empty_user_agent": None,
            "too_soon": None, "ip_mismatch": None, "conversion_rate": None, "unique_order_ids": None,
        },
        "fallback_offer_id": "", "fallback_url": "",
    })  # fmt: skip
    structure = PayoutStructure(
        "5", "By amount", (StructureRule((Condition("amount", "between", ("1", "5")),), None, Rate(D(1))),)
    )
    assert as_before(structure.to_dict(), {
        "structure_id": "5", "name": "By amount",
        "rules": [{
            "conditions": [{"field": "amount", "operator": "between", "values": ["1", "5"]}],
            "payout": None, "revenue": {"flat": D(1), "percent": D(0)},
        }],
    })  # fmt: skip
    assert as_before(Partner("2", "P", tier_id="9", api_key_sha256="ab").to_dict(), {
        "partner_id": "2", "name": "P", "status": "active", "tier_id": "9",
        "api_key_sha256": "ab", "postback_secret": "", "currency": "",
    })  # fmt: skip


def test_items_written_before_a_setting_existed_load_with_its_default() -> None:
    """The oldest offers: no caps, time zone, lookback, shards; goals without tiers or ids' types."""
    old = {
        "offer_id": 3, "name": "Widgets", "advertiser_id": 1, "offer_url": "https://shop.example/",
        "default_goal": {"goal_id": 0, "offer_id": 3, "name": "Conversion", "slug": "conversion"},
        "version": D(4), "session_hours": D(48), "pk": "OFFER#3",
        "caps": [{"period": "day", "limit": D(5)}],  # as a PATCH stored it (the fields it sent)
    }  # fmt: skip
    loaded = Offer.from_dict(old)
    assert loaded == Offer(
        offer_id="3", name="Widgets", advertiser_id="1", offer_url="https://shop.example/",
        default_goal=Goal(goal_id="0", offer_id="3", name="Conversion", slug="conversion"),
        version=4, session_hours=48, caps=(Cap("day", "conversions", D(5)),),
    )  # fmt: skip
    assert type(loaded.session_hours) is int and loaded.default_goal.tier_payouts == {}
    assert NetworkSettings.from_dict(None) == NetworkSettings() == NetworkSettings.from_dict({})
    assert Rate.from_dict(None) == Rate() and Rate.from_dict({"flat": 2}) == Rate(D(2))


def test_null_or_empty_values_take_the_default_and_a_missing_required_field_is_an_error() -> None:
    loaded = Offer.from_dict({
        **OFFER.to_dict(), "timezone": "", "cap_shards": None, "caps": None, "min_session_seconds": "",
        "default_goal": {**OFFER.default_goal.to_dict(), "min_session_seconds": "", "tier_payouts": None},
    })  # fmt: skip
    assert (loaded.timezone, loaded.cap_shards, loaded.caps, loaded.min_session_seconds) == ("UTC", 1, (), 0)
    assert loaded.default_goal.min_session_seconds is None and loaded.default_goal.tier_payouts == {}
    assert StructureRule.from_dict({"conditions": []}) == StructureRule((), None, None)
    with pytest.raises(KeyError, match="offer_url"):
        Offer.from_dict({k: v for k, v in OFFER.to_dict().items() if k != "offer_url"})


def test_the_per_field_converters_keep_the_safe_side() -> None:
    """A cap action that is not "pending" refuses; an offer never has fewer than one shard."""
    assert Offer.from_dict({**OFFER.to_dict(), "cap_action": "hold"}).cap_action == "refuse"
    assert Offer.from_dict({**OFFER.to_dict(), "cap_shards": 0}).cap_shards == 1


def test_codecs_are_worked_out_on_first_use_not_at_import() -> None:
    """The hot paths import the model on every cold start; each noun's codecs are built once,
    on its first load (in a fresh interpreter: this one has used them already)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import goalpost

    code = (
        "import goalpost.model.offer, goalpost.model.caps, goalpost.model.fields as f\n"
        "assert not f._FIELDS, f._FIELDS\n"
        "goalpost.model.offer.Offer.from_dict({'offer_id': '1', 'name': 'n', 'advertiser_id': '1',"
        " 'offer_url': 'u', 'default_goal': {'goal_id': '0', 'offer_id': '1', 'name': 'c', 'slug': 'c'}})\n"
        "assert goalpost.model.offer.Offer in f._FIELDS and goalpost.model.offer.Goal in f._FIELDS\n"
    )
    layer = str(Path(goalpost.__file__).resolve().parent.parent)
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": layer})
    assert fields_of(Offer) is fields_of(Offer)
