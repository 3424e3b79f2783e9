"""Currencies and exchange rates as rules: minor units, the one rounding step, cross rates,
which day's table a conversion may use, an admin's rate against an import, the ECB's files."""

from __future__ import annotations

from decimal import Decimal

import iso4217
import pytest

from goalpost.admin.rate_import import InvalidRates, parse_ecb
from goalpost.model.currency import (
    ISO_4217_EDITION,
    MINOR_UNITS,
    UnknownCurrency,
    minor_unit,
    round_to_minor,
)
from goalpost.model.exchange import MAX_RATE_AGE_DAYS, RateDay
from goalpost.rules.exchange import Converted, NoRate, convert, merged, usable

D = Decimal


def table(day: str, **rates: str) -> RateDay:
    return RateDay(day=day, rates={c: D(r) for c, r in rates.items()}, sources=dict.fromkeys(rates, "ecb"))


def test_the_minor_units_are_iso_4217s_own() -> None:
    published = {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}
    assert MINOR_UNITS == published
    assert iso4217.__published__.isoformat() == ISO_4217_EDITION


def test_a_yen_has_no_minor_unit_a_bahraini_dinar_three() -> None:
    assert (minor_unit("JPY"), minor_unit("USD"), minor_unit("BHD"), minor_unit("CLF")) == (0, 2, 3, 4)
    with pytest.raises(UnknownCurrency):
        minor_unit("XAU")  # gold has no minor unit: no network pays in it


@pytest.mark.parametrize(
    ("value", "code", "rounded"),
    [
        ("1.005", "USD", "1.01"),  # half up, not to even
        ("1.004999", "USD", "1.00"),
        ("100.5", "JPY", "101"),
        ("99.4999", "JPY", "99"),
        ("1.0005", "BHD", "1.001"),
        ("1.00049", "BHD", "1.000"),
    ],
)
def test_converted_money_rounds_half_up_to_the_minor_unit(value: str, code: str, rounded: str) -> None:
    result = round_to_minor(D(value), code)
    assert result == D(rounded) and str(result) == rounded


def test_a_cross_rate_is_the_same_days_quotient_against_the_euro() -> None:
    day = table("2026-12-04", USD="1.0500", GBP="0.8400", JPY="160.00")
    assert day.cross_rate("EUR", "USD") == D("1.05")
    assert day.cross_rate("USD", "EUR") == D("0.9523809524")  # 1 / 1.05, ten places, half up
    assert day.cross_rate("USD", "GBP") == D("0.8")
    assert day.cross_rate("GBP", "JPY") == D("190.4761904762")
    assert day.cross_rate("USD", "USD") == D(1)
    assert day.cross_rate("USD", "CHF") is None


def test_converting_keeps_the_rate_and_its_day_and_rounds_once() -> None:
    day = table("2026-12-04", USD="1.0500", GBP="0.8400")
    assert convert(D("10.00"), "EUR", "USD", day, "2026-12-04") == Converted(
        D("10.50"), "USD", D("1.05"), "2026-12-04"
    )
    # 19.99 USD in GBP at 0.8: 15.992 -> 15.99
    assert convert(D("19.99"), "USD", "GBP", day, "2026-12-05") == Converted(
        D("15.99"), "GBP", D("0.8"), "2026-12-04"
    )


def test_an_amount_in_its_own_currency_is_not_converted_nor_rounded() -> None:
    assert convert(D("0.12345"), "USD", "USD", None, "2026-12-04") == Converted(D("0.12345"), "USD", D(1), "")


def test_a_table_is_usable_from_its_day_for_a_week_and_never_before_it() -> None:
    friday = table("2026-12-04", USD="1.05")
    assert usable(friday, "2026-12-04") is friday
    assert usable(friday, "2026-12-06") is friday  # the weekend uses Friday's
    assert usable(friday, "2026-12-11") is friday  # MAX_RATE_AGE_DAYS later
    assert MAX_RATE_AGE_DAYS == 7
    assert usable(friday, "2026-12-12") is None  # a failed import, not a holiday
    assert usable(friday, "2026-12-03") is None  # tomorrow's rates never convert today
    assert usable(None, "2026-12-04") is None


def test_no_rate_is_a_reason_the_sender_or_admin_can_act_on() -> None:
    refused = convert(D("1"), "USD", "CHF", table("2026-12-04", USD="1.05"), "2026-12-04")
    assert refused == NoRate("USD", "CHF", "2026-12-04")
    assert "no exchange rate from USD to CHF for 2026-12-04" in refused.reason
    assert convert(D("1"), "USD", "EUR", None, "2026-12-04") == NoRate("USD", "EUR", "2026-12-04")


def test_an_import_never_replaces_an_admins_rate_but_an_admin_replaces_anything() -> None:
    stored = RateDay("2026-12-04", {"USD": D("1.10"), "GBP": D("0.84")}, {"USD": "admin", "GBP": "ecb"}, 3)
    ecb = table("2026-12-04", USD="1.05", GBP="0.85", JPY="160")
    after_import = merged(stored, ecb)
    assert after_import == RateDay(
        "2026-12-04",
        {"USD": D("1.10"), "GBP": D("0.85"), "JPY": D("160")},
        {"USD": "admin", "GBP": "ecb", "JPY": "ecb"},
        3,  # written at the version it was read at
    )
    admin = RateDay("2026-12-04", {"GBP": D("0.90")}, {"GBP": "admin"})
    assert merged(after_import, admin) is not None
    assert merged(after_import, admin).rates["GBP"] == D("0.90")  # type: ignore[union-attr]
    assert merged(stored, RateDay("2026-12-04", {"GBP": D("0.84")}, {"GBP": "ecb"})) is None  # no change
    assert merged(None, ecb) == ecb._replace(version=0)


ECB_CSV = """Date,USD,JPY,CYP,GBP,BGN,
2026-12-04,1.0500,160.12,N/A,0.8400,1.9558,
2026-12-03,1.0400,159.50,N/A,0.8350,1.9558,
"""

ECB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<gesmes:subject>Reference rates</gesmes:subject>
<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
<Cube><Cube time="2026-12-04"><Cube currency="USD" rate="1.0500"/><Cube currency="JPY" rate="160.12"/>
<Cube currency="GBP" rate="0.8400"/></Cube></Cube>
</gesmes:Envelope>"""


def test_the_ecbs_history_csv_is_read_oldest_day_first_without_retired_currencies() -> None:
    imported = parse_ecb(ECB_CSV)
    assert [d.day for d in imported.days] == ["2026-12-03", "2026-12-04"]
    assert imported.days[1].rates == {
        "USD": D("1.0500"),
        "JPY": D("160.12"),
        "GBP": D("0.8400"),
    }
    assert set(imported.days[1].sources.values()) == {"ecb"}
    # BGN left ISO 4217 when Bulgaria adopted the euro (2026-01-01); CYP is only ever N/A here
    assert imported.skipped == ["BGN"]


def test_a_retired_currency_with_rates_is_left_out_and_named() -> None:
    imported = parse_ecb("Date,USD,CYP\n2007-12-31,1.4721,0.585274\n")
    assert imported.days[0].rates == {"USD": D("1.4721")}
    assert imported.skipped == ["CYP"]


def test_the_ecbs_daily_csv_writes_its_day_in_words() -> None:
    imported = parse_ecb("Date, USD, JPY, \n04 December 2026, 1.0500, 160.12, \n")
    assert imported.days[0].day == "2026-12-04"
    assert imported.days[0].rates == {"USD": D("1.0500"), "JPY": D("160.12")}


def test_the_ecbs_xml_is_read_like_its_csv() -> None:
    from_xml = parse_ecb(ECB_XML).days
    assert from_xml == [table("2026-12-04", USD="1.0500", JPY="160.12", GBP="0.8400")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hello", "expected the ECB's reference rates"),
        ("Date,USD\n2026-12-04,-1.05\n", "not a plain positive decimal"),
        ("Date,USD\n2026-12-04,0\n", "must be positive"),
        ("Date,USD\n2026-12-04,1e3\n", "not a plain positive decimal"),
        ("Date,USD\nyesterday,1.05\n", "is not a day"),
        ("Date,USD\n", "holds no rates"),
        ("<Envelope><Cube>", "not well-formed XML"),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "no document type"),
    ],
)
def test_a_file_that_is_not_the_ecbs_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidRates, match=reason):
        parse_ecb(text)


def test_a_eur_sale_on_a_usd_offer_paying_a_gbp_partner_in_a_eur_network() -> None:
    from goalpost.rules.exchange import Currencies, Priced, priced, sale_in_offer_currency

    day = table("2026-12-04", USD="1.0500", GBP="0.8400")
    currencies = Currencies(sale="EUR", offer="USD", partner="GBP", base="EUR")
    assert currencies.needs_rates
    sale = sale_in_offer_currency(D("100.00"), currencies, day, "2026-12-05")
    assert sale == Converted(D("105.00"), "USD", D("1.05"), "2026-12-04")
    money = priced(D("10.50"), D("21.00"), currencies, day, "2026-12-05")
    assert money == Priced(
        partner_payout=Converted(D("8.40"), "GBP", D("0.8"), "2026-12-04"),
        base_payout=Converted(D("10.00"), "EUR", D("0.9523809524"), "2026-12-04"),
        base_revenue=Converted(D("20.00"), "EUR", D("0.9523809524"), "2026-12-04"),
    )
    assert money.rate_day == "2026-12-04"


def test_one_currency_everywhere_needs_no_rates_and_changes_nothing() -> None:
    from goalpost.rules.exchange import Currencies, priced

    same = Currencies("USD", "USD", "USD", "USD")
    assert not same.needs_rates
    money = priced(D("0.12345"), None, same, None, "2026-12-05")
    assert not isinstance(money, NoRate)
    assert money.partner_payout == Converted(D("0.12345"), "USD", D(1), "")
    assert money.base_revenue is None and money.rate_day == ""


def test_a_missing_rate_for_any_leg_refuses_the_whole_conversion() -> None:
    from goalpost.rules.exchange import Currencies, priced

    day = table("2026-12-04", USD="1.05")
    assert priced(D("1"), D("2"), Currencies("USD", "USD", "CHF", "USD"), day, "2026-12-04") == NoRate(
        "USD", "CHF", "2026-12-04"
    )


def test_the_consoles_minor_units_are_the_layers() -> None:
    """The console shows amounts to their minor unit from its own short list (the currencies
    whose minor unit is not the cent): it must be the layer's, no more, no less."""
    import re
    from pathlib import Path

    source = (Path(__file__).parents[2] / "console" / "src" / "ui.js").read_text(encoding="utf-8")
    block = source[source.index("const MINOR_UNITS") : source.index("]);", source.index("const MINOR_UNITS"))]
    console: dict[str, int] = {}
    for codes, unit in re.findall(r"\.\.\.\[([^\]]*)\]\.map\(\(c\) => \[c, (\d)\]\)", block):
        console.update(dict.fromkeys(re.findall(r"'([A-Z]{3})'", codes), int(unit)))
    assert console == {code: unit for code, unit in MINOR_UNITS.items() if unit != 2}
