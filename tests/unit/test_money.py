from decimal import Decimal

import pytest

from goalpost.model.money import InvalidAmount, format_money, parse_amount, round_money


@pytest.mark.parametrize("raw", ["0", "19.99", "100", "0.00001", "1000000000000"])
def test_parse_amount_accepts_plain_decimals(raw: str) -> None:
    assert parse_amount(raw) == Decimal(raw)
    assert isinstance(parse_amount(raw), Decimal)


@pytest.mark.parametrize(
    "raw",
    ["-1", "NaN", "inf", "Infinity", "1e3", "1E3", "1.000001", "1,000", " 5", "abc", "", "0x10", "1.", ".5"],
)
def test_parse_amount_rejects_everything_else(raw: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(raw)


def test_parse_amount_rejects_absurd_values() -> None:
    with pytest.raises(InvalidAmount):
        parse_amount("9999999999999")


def test_round_money_rounds_half_up_to_five_places() -> None:
    assert round_money(Decimal("0.123455")) == Decimal("0.12346")
    assert round_money(Decimal("2.000004")) == Decimal("2.00000")


def test_format_money_has_no_exponent() -> None:
    assert format_money(Decimal("1E+1")) == "10.00"
    assert format_money(Decimal("0.12300")) == "0.123"
