"""The layer's DynamoDB attribute values are boto3's (the hot paths do not import boto3)."""

from decimal import Decimal, Inexact, Rounded

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from goalpost.store.dynamo import attribute, from_item, to_item, value_of

VALUES = [
    "transaction",
    "",
    True,
    False,
    None,
    0,
    42,
    -7,
    Decimal("0.05000"),
    Decimal("12345678901234567890.123456789012345678"),
    Decimal("1E+10"),
    {"aff_sub": "kw1", "nested": {"n": Decimal("1.5"), "l": ["a", 1]}},
    ["a", Decimal("2"), {"b": None}],
    ("t", 1),
    {"a", "b"},
    {Decimal("1"), Decimal("2.5")},
    b"\x00bytes",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_is_written_as_boto3_writes_it(value: object) -> None:
    ours, theirs = attribute(value), TypeSerializer().serialize(value)
    if "SS" in theirs or "NS" in theirs:  # a set's order is not defined
        ((kind, items),) = theirs.items()
        assert set(ours[kind]) == set(items)
    else:
        assert ours == theirs


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_is_read_as_boto3_reads_it(value: object) -> None:
    stored = TypeSerializer().serialize(value)
    theirs = TypeDeserializer().deserialize(stored)
    if isinstance(theirs, Binary):
        theirs = theirs.value
    assert value_of(stored) == theirs
    assert type(value_of(stored)) is type(theirs)


def test_money_must_be_decimal_and_exact() -> None:
    with pytest.raises(TypeError, match="Float"):
        attribute(0.1)
    with pytest.raises(TypeError, match="Float"):
        to_item({"payout": {"nested": 1.5}})
    with pytest.raises((Inexact, Rounded)):  # 39 digits: DynamoDB would round it
        attribute(Decimal("1.23456789012345678901234567890123456789"))
    with pytest.raises(TypeError, match="NaN"):
        attribute(Decimal("NaN"))


def test_an_item_leaves_out_none_and_reads_back() -> None:
    data = {"offer_id": "1", "payout": Decimal("2.5"), "closed_at": None, "subs": {"aff_sub": "x"}}
    item = to_item(data)
    assert "closed_at" not in item
    assert from_item(item) == {"offer_id": "1", "payout": Decimal("2.5"), "subs": {"aff_sub": "x"}}
