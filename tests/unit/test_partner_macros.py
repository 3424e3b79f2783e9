"""The partner macros of the tracking contract, each filled from the conversion it reports:
a partner's postback that carries the wrong value (or a value where the contract says empty)
pays or attributes the wrong thing on the partner's side."""

from __future__ import annotations

import re
from decimal import Decimal

from goalpost.model.conversion import Conversion
from goalpost.model.offer import Goal, Offer, OfferBundle
from goalpost.model.session import ADV_SUB_FIELDS, SUB_FIELDS
from goalpost.rules.macros import conversion_macros, expand_macros, expand_url, url_template_problem

DEFAULT = Goal(goal_id="0", offer_id="1", name="Lead", slug="lead")
SALE = Goal(goal_id="5", offer_id="1", name="Big Sale", slug="big-sale", ref_id="SALE-1")
BUNDLE = OfferBundle(
    offer=Offer(
        offer_id="1", name="O", advertiser_id="3", offer_url="https://shop.example", default_goal=DEFAULT,
        ref_id="OFFER-REF",
    ),
    goals={"5": SALE},
    custom_payouts={},
)  # fmt: skip


def conversion(**overrides: object) -> Conversion:
    base: dict[str, object] = {
        "conversion_id": "tx1-5",
        "offer_id": "1",
        "goal_id": "5",
        "partner_id": "9",
        "transaction_id": "tx1",
        "status": "approved",
        "status_code": "approved_server_postback",
        "created_at": "2026-11-30T00:00:00.000Z",
        "goal_name": "Stored Name",
        "advertiser_id": "3",
        "currency": "EUR",
        "ip": "203.0.113.9",
        "session_ip": "198.51.100.7",
        "subs": {"aff_sub": "a1", "aff_sub3": "a3", "source": "news", "aff_click_id": "clk-42"},
        "adv_subs": {"adv_sub": "order-7", "adv_sub5": "v5"},
        "sale_amount": Decimal("19.90"),
        "payout": Decimal("2.50000"),
    }
    base.update(overrides)
    return Conversion(**base)  # type: ignore[arg-type]


def test_a_test_conversions_test_macro_is_1() -> None:
    assert conversion_macros(conversion(status="test"), BUNDLE, "5")["test"] == "1"


def test_every_partner_macro_carries_its_conversions_value() -> None:
    values = conversion_macros(conversion(), BUNDLE, "5")
    ran = values.pop("ran")
    assert values == {
        "transaction_id": "tx1",
        "offer_id": "1",
        "affiliate_id": "9",
        "source": "news",
        "aff_click_id": "clk-42",
        "payout": "2.50",
        "sale_amount": "19.90",
        "currency": "EUR",
        "goal_id": "5",
        "goal_name": "big-sale",
        "goal_ref": "SALE-1",
        "session_ip": "198.51.100.7",
        "ip": "203.0.113.9",
        "advertiser_id": "3",
        "offer_ref": "OFFER-REF",
        "conversion_id": "tx1-5", "test": "0",
        "aff_sub": "a1", "aff_sub2": "", "aff_sub3": "a3", "aff_sub4": "", "aff_sub5": "",
        "adv_sub": "order-7", "adv_sub2": "", "adv_sub3": "", "adv_sub4": "", "adv_sub5": "v5",
    }  # fmt: skip
    assert set(SUB_FIELDS) | set(ADV_SUB_FIELDS) <= set(values)
    assert re.fullmatch(r"[0-9]{1,9}", ran)  # a cache-buster below 10^9


def test_a_partner_paid_in_its_own_currency_is_told_its_payout_sale_and_currency() -> None:
    """A 100 EUR sale on a USD offer (rate 1.05), the partner paid in GBP (0.8 per USD)."""
    paid_in_gbp = conversion(
        currency="USD", sale_amount=Decimal("100"), sale_currency="EUR", sale_rate=Decimal("1.05"),
        payout=Decimal("10.50"), partner_currency="GBP", partner_payout=Decimal("8.40"),
        partner_rate=Decimal("0.8"),
    )  # fmt: skip
    values = conversion_macros(paid_in_gbp, BUNDLE, "5")
    # 100 EUR = 105.00 USD = 84.00 GBP: what the partner is told matches what it is paid in
    assert (values["payout"], values["sale_amount"], values["currency"]) == ("8.40", "84.00", "GBP")
    same = conversion(partner_currency="EUR", partner_payout=Decimal("2.50000"), partner_rate=Decimal(1))
    assert (
        conversion_macros(same, BUNDLE, "5")["sale_amount"],
        conversion_macros(same, BUNDLE, "5")["currency"],
    ) == (
        "19.90",
        "EUR",
    )


def test_the_cache_buster_changes_from_postback_to_postback() -> None:
    assert len({conversion_macros(conversion(), BUNDLE, "5")["ran"] for _ in range(20)}) > 1


def test_missing_values_are_empty_never_none_or_placeholders() -> None:
    bare = conversion(subs={}, adv_subs={}, sale_amount=None, payout=None)
    values = conversion_macros(bare, BUNDLE, "5")
    for name in ("source", "aff_click_id", "payout", "sale_amount", *SUB_FIELDS, *ADV_SUB_FIELDS):
        assert values[name] == "", name


def test_a_goal_deleted_since_keeps_its_stored_name_and_no_ref() -> None:
    values = conversion_macros(conversion(goal_id="6"), BUNDLE, "6")
    assert (values["goal_name"], values["goal_ref"]) == ("Stored Name", "")


def test_an_unknown_macro_is_empty_and_values_are_encoded_whole() -> None:
    url = "https://p.example/pb?tid={transaction_id}&x={nope}&s={aff_sub1}"
    assert expand_macros(url, {"transaction_id": "a&b=c/d", "aff_sub": "é"}) == (
        "https://p.example/pb?tid=a%26b%3Dc%2Fd&x=&s=%C3%A9"
    )


def test_a_postback_url_keeps_its_origin_whatever_the_case_of_its_host() -> None:
    assert expand_url("HTTPS://P.Example/pb?t={transaction_id}", {"transaction_id": "1"}) == (
        "HTTPS://P.Example/pb?t=1"
    )
    assert url_template_problem("ftp://p.example/{x}") == "must be an absolute http(s) URL"
    assert url_template_problem("https://{host}/x") == (
        "macros may not stand in the scheme, host or port, only in the path and query"
    )
    assert url_template_problem("https://p.example}/x") is not None
    assert url_template_problem("https:///x") is not None


def test_html_pixel_code_is_refused_with_where_each_macro_would_run() -> None:
    from goalpost.rules.macros import html_template_problem

    told = {
        "<script>var s = {aff_sub};</script>": "{aff_sub} inside <script> or <style>",
        "<a href={aff_sub} title={goal_id}>x</a>": (
            "{aff_sub} in the unquoted attribute href of <a>; {goal_id} in the unquoted attribute title of <a>"
        ),
        '<a href="{aff_sub}">x</a>': "{aff_sub} in href of <a> before a fixed http(s) origin",
        '<img src="{aff_sub}//x/">': "{aff_sub} in src of <img> before a fixed http(s) origin",
        '<img src="x" onerror="{aff_sub}">': "{aff_sub} in the attribute onerror of <img>",
        "<{aff_sub}>": "{aff_sub} outside text and attribute values",
        "<!-- {aff_sub} {payout} -->": "{aff_sub}, {payout} outside text and attribute values",
        "<p>&amp;{aff_sub}</p><style>{x}</style><p>ok</p><script>{y}</script>": (
            "{x} inside <script> or <style>; {y} inside <script> or <style>"
        ),
    }
    for code, problem in told.items():
        assert html_template_problem(code) == problem, code
    for fine in (
        '<a HREF="https://p.example/{aff_sub}">x</a>',
        '<img src="//cdn.example/{aff_sub}">',
        '<img src="/{aff_sub}">',
        '<div class="{aff_sub} {aff_sub}">{aff_sub}</div>',  # a macro used twice, placed twice
        "<p>no macros at all</p>",
    ):
        assert html_template_problem(fine) is None, fine


def test_partner_urls_may_name_only_the_webs_ports() -> None:
    from goalpost.rules.macros import partner_url_problem

    assert partner_url_problem("https://p.example/pb?t={transaction_id}") is None
    assert partner_url_problem("https://p.example:443/pb") is None
    assert partner_url_problem("http://p.example:80/pb") is None
    assert (
        partner_url_problem("https://p.example:22/pb") == "partner URLs may name port 80 or 443 only, not 22"
    )
    assert partner_url_problem("https://user:pw@p.example:8443/") == (
        "partner URLs may name port 80 or 443 only, not 8443"
    )
    assert (
        partner_url_problem("https://a@b@p.example:25/")
        == "partner URLs may name port 80 or 443 only, not 25"
    )
    assert partner_url_problem("https://user:9000@p.example/") is None  # a password, not a port
    assert (
        partner_url_problem("https://[2001:db8::1]:8080/")
        == "partner URLs may name port 80 or 443 only, not 8080"
    )
    assert partner_url_problem("https://[2001:db8::1]/") is None
    assert (
        partner_url_problem("https://p.example:http/")
        == "partner URLs may name port 80 or 443 only, not http"
    )
    assert partner_url_problem("https://p.example:22/", any_port=True) is None  # the local runtime's partners
    assert partner_url_problem("https://{host}/x", any_port=True) is not None  # never a macro in the host
    assert partner_url_problem("https://{host}:22/x") == (
        "macros may not stand in the scheme, host or port, only in the path and query"
    )


def test_a_url_whose_values_would_move_it_is_refused_with_the_template_named() -> None:
    import pytest

    from goalpost.rules.macros import UnsafeUrl

    with pytest.raises(UnsafeUrl, match=r"^the URL's macros would change its host: 'https://\{x\}/'$"):
        expand_url("https://{x}/", {"x": "p.example"})
    assert expand_url("https://p.example/{x}", {"x": "a b"}) == "https://p.example/a%20b"


def test_the_cache_buster_is_below_a_billion_and_wide() -> None:
    draws = [int(conversion_macros(conversion(), BUNDLE, "5")["ran"]) for _ in range(30)]
    assert all(0 <= d < 10**9 for d in draws) and max(draws) > 10**6


def test_text_after_a_closed_script_or_style_may_hold_macros() -> None:
    from goalpost.rules.macros import html_template_problem

    assert html_template_problem("<script>track()</script><p>{aff_sub}</p>") is None
    assert html_template_problem("<style>a{}</style><style></style><b>{aff_sub}</b>") is None
    assert html_template_problem("</script><p>{aff_sub}</p>") is None  # a stray end tag opens nothing
    assert html_template_problem("<script></script><script>{aff_sub}</script>") == (
        "{aff_sub} inside <script> or <style>"
    )
    assert html_template_problem('<img src="https://p.example/i?a=&amp;{aff_sub}" alt="">') is None
    assert html_template_problem('<img alt="" src>{aff_sub}') is None  # an attribute without a value


def test_every_macro_a_refusal_names_is_listed_and_a_half_brace_in_the_host_is_refused_too() -> None:
    import pytest

    from goalpost.rules.macros import UnsafeUrl, html_template_problem, partner_url_problem

    assert html_template_problem("<a href={a}{b}>x</a>") == "{a}, {b} in the unquoted attribute href of <a>"
    assert html_template_problem("<script>{a}{b}</script>") == "{a}, {b} inside <script> or <style>"
    assert url_template_problem("https://p{x.example/") is not None  # an opening brace alone
    assert partner_url_problem("https://a@b:99@p.example/") is None  # the host is after the last @
    with pytest.raises(UnsafeUrl):
        expand_url("ftp://p.example/{x}", {"x": "1"})  # a template that is no http(s) URL at all
    long = "ftp://p.example/" + "x" * 100
    with pytest.raises(UnsafeUrl, match=r"would change its host: '" + long[:80] + "'$"):
        expand_url(long, {})
