"""Money in several currencies on real postbacks (moto): what is converted when, with which
rate, frozen once recorded, and how reports add it up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.helpers import (
    admin,
    click,
    conversions,
    load_rates,
    partner_call,
    postback,
    setup_network,
    today,
)

D = Decimal


def base_currency(code: str) -> None:
    status, network = admin("GET", "/admin/network")
    assert status == 200
    from tests.helpers import ADMIN, call

    answer = call(ADMIN, "PUT", "/admin/network", body={"currency": code}, if_match=f'"{network["version"]}"')
    assert answer["statusCode"] == 200, answer


def percent_offer(partner_currency: str = "", offer_currency: str = "USD") -> dict:  # type: ignore[type-arg]
    return setup_network(
        offer={
            "currency": offer_currency,
            "default_goal": {"payout": {"percent": "10"}, "revenue": {"percent": "20"}},
        },
        partner={"currency": partner_currency} if partner_currency else None,
    )


def sale(net: dict, query: str) -> dict:  # type: ignore[type-arg]
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    return postback(f"transaction_id={tid}&{query}")


def only_conversion(net: dict) -> dict:  # type: ignore[type-arg]
    (record,) = [c for c in conversions(net["offer"]["offer_id"]) if c["status"] != "rejected"]
    return record


def test_a_eur_sale_on_a_usd_offer_paying_a_gbp_partner_keeps_every_amount_and_the_rate(aws) -> None:
    base_currency("EUR")
    load_rates(USD="1.0500", GBP="0.8400")
    net = percent_offer(partner_currency="GBP")
    answer = sale(net, "amount=100&currency=EUR")
    assert answer["statusCode"] == 200, answer
    record = only_conversion(net)
    # the sale as sent, and as the payout rules saw it (100 EUR = 105.00 USD)
    assert (D(record["sale_amount"]), record["sale_currency"], D(record["sale_rate"])) == (
        D(100),
        "EUR",
        D("1.05"),
    )
    # priced in the offer's currency: 10 % and 20 % of 105.00 USD
    assert (D(record["payout"]), D(record["revenue"]), record["currency"]) == (D("10.50"), D("21.00"), "USD")
    # paid in the partner's: 10.50 USD at 0.84 / 1.05 = 0.8 GBP per USD
    assert (D(record["partner_payout"]), record["partner_currency"], D(record["partner_rate"])) == (
        D("8.40"), "GBP", D("0.8"),
    )  # fmt: skip
    # reported in the base currency: 10.50 and 21.00 USD at 1 / 1.05
    assert (D(record["base_payout"]), D(record["base_revenue"]), record["base_currency"]) == (
        D("10.00"), D("20.00"), "EUR",
    )  # fmt: skip
    assert D(record["base_rate"]) == D("0.9523809524") and record["rate_day"] == today()


def test_one_currency_everywhere_reads_no_rates_and_converts_nothing(aws) -> None:
    from tests.helpers import dynamodb_calls

    net = percent_offer()
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    postback(f"transaction_id={tid}&amount=1")  # the config cache is warm now
    tid = click(net["offer"]["offer_id"], net["partner"]["partner_id"])
    with dynamodb_calls() as seen:
        assert postback(f"transaction_id={tid}&amount=19.99&currency=USD")["statusCode"] == 200
    assert seen == ["GetItem", "PutItem"]  # the session, the conversion: no rates read
    newest = max(conversions(net["offer"]["offer_id"]), key=lambda c: c["created_at"])
    assert D(newest["payout"]) == D("1.999")  # 10 %, five places: nothing was converted
    # in one currency, its amounts are its partner's and base's: nothing more is stored
    stored_more = {
        "base_currency",
        "base_payout",
        "partner_currency",
        "partner_payout",
        "rate_day",
        "sale_currency",
    }
    assert not stored_more & newest.keys()


def test_a_rate_changed_afterwards_changes_nothing_recorded(aws, stats_consumer) -> None:
    load_rates(USD="1.0500", GBP="0.8400")
    net = percent_offer(partner_currency="GBP")
    assert sale(net, "amount=100&currency=EUR")["statusCode"] == 200
    before = only_conversion(net)
    stats_consumer.drain()
    stats_before = admin("GET", "/admin/stats", query="interval=total")[1]["totals"]
    load_rates(USD="2.0000", GBP="0.5000")  # the admin corrects today's rates afterwards
    assert only_conversion(net) == before
    stats_consumer.drain()
    assert admin("GET", "/admin/stats", query="interval=total")[1]["totals"] == stats_before


def test_no_rate_for_the_day_is_refused_with_its_code_and_stored_as_a_refusal(aws) -> None:
    net = percent_offer()
    answer = sale(net, "amount=100&currency=EUR&format=json")
    assert answer["statusCode"] == 422, answer
    assert "no exchange rate from EUR to USD" in answer["body"]
    (refusal,) = conversions(net["offer"]["offer_id"])
    assert (refusal["status"], refusal["status_code"]) == ("rejected", "no_exchange_rate")
    assert "payout" not in refusal


def test_an_offer_that_accepts_only_its_own_currency_refuses_another(aws) -> None:
    load_rates(USD="1.05")
    net = setup_network(offer={"accepts_other_currencies": False})
    answer = sale(net, "amount=10&currency=EUR&format=json")
    assert answer["statusCode"] == 422 and "currency_mismatch" in answer["body"]
    assert sale(net, "amount=10&currency=USD")["statusCode"] == 200


@pytest.mark.parametrize(
    ("partner_currency", "rate", "paid"),
    [
        ("JPY", "160.00", "1600"),  # 10.50 USD at 160 / 1.05 = 1,600 yen: no minor unit
        ("JPY", "161.37", "1614"),  # 10.50 * 153.6857142857 = 1613.7 -> 1614 yen
        ("BHD", "0.4000", "4.000"),  # three places: fils
        ("BHD", "0.3951", "3.951"),
    ],
)
def test_a_partner_is_paid_in_its_currencys_minor_unit(aws, partner_currency, rate, paid) -> None:
    load_rates(USD="1.0500", **{partner_currency: rate})
    net = percent_offer(partner_currency=partner_currency)
    assert sale(net, "amount=105")["statusCode"] == 200
    record = only_conversion(net)
    assert record["partner_currency"] == partner_currency
    assert str(D(record["partner_payout"])) == paid


def test_reports_in_the_base_currency_reconcile_to_the_cent_with_the_conversions(aws, stats_consumer) -> None:
    base_currency("EUR")
    load_rates(USD="1.0873", GBP="0.8299", JPY="163.41")
    usd = percent_offer(partner_currency="GBP")
    jpy = setup_network(
        offer={"currency": "JPY", "default_goal": {"payout": {"percent": "7"}, "revenue": {"percent": "13"}}},
    )
    for amount in ("19.99", "0.07", "1234.56", "3.33", "99.95"):
        assert sale(usd, f"amount={amount}&currency=EUR")["statusCode"] == 200
        assert sale(usd, f"amount={amount}")["statusCode"] == 200
    for amount in ("1999", "7", "123456"):
        assert sale(jpy, f"amount={amount}")["statusCode"] == 200
    stats_consumer.drain()
    recorded = [c for n in (usd, jpy) for c in conversions(n["offer"]["offer_id"])]
    assert len(recorded) == 13
    totals = admin("GET", "/admin/stats", query="interval=total")[1]["totals"]
    assert totals["currency"] == "EUR"
    assert D(totals["payout"]) == sum(D(c["base_payout"]) for c in recorded)
    assert D(totals["revenue"]) == sum(D(c["base_revenue"]) for c in recorded)
    # per original currency, never added across currencies
    original = admin("GET", "/admin/stats", query="interval=total&money=original")[1]["totals"]
    assert original["currency"] is None
    assert D(original["by_currency"]["USD"]["payout"]) == sum(
        D(c["payout"]) for c in recorded if c["currency"] == "USD"
    )
    assert D(original["by_currency"]["JPY"]["payout"]) == sum(
        D(c["payout"]) for c in recorded if c["currency"] == "JPY"
    )
    # the conversion report's CSV names every amount's currency
    from tests.helpers import ADMIN, call

    csv_text = call(ADMIN, "GET", "/admin/conversions", "format=csv")["body"]
    header = csv_text.splitlines()[0].split(",")
    assert {"currency", "sale_currency", "partner_currency", "base_currency", "base_payout"} <= set(header)


def test_the_partner_sees_its_payout_in_its_own_currency(aws, stats_consumer) -> None:
    base_currency("EUR")
    load_rates(USD="1.0500", GBP="0.8400")
    net = percent_offer(partner_currency="GBP")
    assert sale(net, "amount=100&currency=EUR")["statusCode"] == 200
    stats_consumer.drain()
    key = net["partner"]["api_key"]
    import json

    mine = json.loads(partner_call("/partner/conversions", key)["body"])
    (row,) = mine["items"]
    assert (row["payout"], row["currency"]) == ("8.40", "GBP")
    assert "revenue" not in row and "base_payout" not in row
    stats = json.loads(partner_call("/partner/stats", key, "interval=total")["body"])
    assert (stats["totals"]["payout"], stats["totals"]["currency"], stats["money"]) == (
        "8.40",
        "GBP",
        "partner",
    )


def test_an_adjustment_states_its_own_rate_and_a_clawback_reverses_every_currency(aws) -> None:
    base_currency("EUR")
    load_rates(USD="1.0500", GBP="0.8400")
    net = percent_offer(partner_currency="GBP")
    assert sale(net, "amount=100&currency=EUR")["statusCode"] == 200
    record = only_conversion(net)
    load_rates(USD="1.2000", GBP="0.9000")  # today's rates change before the adjustment
    status, adjusted = admin(
        "PATCH", f"/admin/conversions/{record['conversion_id']}", {"payout": "12", "note": "agreed bonus"}
    )
    assert status == 200, adjusted
    # 12 USD at the adjustment's rates: 0.9 / 1.2 = 0.75 GBP per USD, 1 / 1.2 EUR per USD
    assert (D(adjusted["partner_payout"]), D(adjusted["base_payout"])) == (D("9.00"), D("10.00"))
    (entry,) = adjusted["adjustments"]
    assert (D(entry["before"]["partner_payout"]), D(entry["before"]["partner_rate"])) == (D("8.40"), D("0.8"))
    assert (D(entry["after"]["partner_payout"]), D(entry["after"]["partner_rate"])) == (D("9.00"), D("0.75"))
    status, rejected = admin(
        "PATCH", f"/admin/conversions/{record['conversion_id']}", {"status": "rejected", "note": "fraud"}
    )
    assert status == 200, rejected
    (clawback,) = [c for c in conversions(net["offer"]["offer_id"]) if c.get("reverses")]
    assert (D(clawback["payout"]), D(clawback["partner_payout"]), D(clawback["base_payout"])) == (
        D("-12"), D("-9.00"), D("-10.00"),
    )  # fmt: skip
    assert clawback["partner_currency"] == "GBP" and clawback["base_currency"] == "EUR"
