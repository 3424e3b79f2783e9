from goalpost.rules.macros import expand_macros
from goalpost.rules.slugs import slug_of


def test_expand_macros_url_encodes_every_value() -> None:
    url = expand_macros(
        "https://x.example/?t={transaction_id}&s={aff_sub}", {"transaction_id": "abc", "aff_sub": "a&b=c#d/e"}
    )
    assert url == "https://x.example/?t=abc&s=a%26b%3Dc%23d%2Fe"


def test_expand_macros_cannot_change_the_host() -> None:
    url = expand_macros("https://shop.example/{aff_sub}", {"aff_sub": "@evil.example/x?y"})
    assert url.startswith("https://shop.example/")
    assert "@" not in url and "?" not in url


def test_unknown_macro_becomes_empty_and_aliases_work() -> None:
    assert expand_macros("a={nope}&b={aff_sub1}", {"aff_sub": "v"}) == "a=&b=v"


def test_slug_of_transliterates_names() -> None:
    assert slug_of("Paid Subscription") == "paid-subscription"
    assert slug_of("Téléchargement Gratuit!") == "telechargement-gratuit"
    assert slug_of("registration") == "registration"
    assert slug_of("  Sale ") == "sale"


def test_url_templates_may_not_have_macros_in_scheme_host_or_port() -> None:
    from goalpost.rules.macros import url_template_problem

    for unsafe in ("https://shop.example.com{aff_sub}/", "https://{aff_sub}/", "https://a.example:{x}/", "{aff_sub}",
                   "https://u{aff_sub}@shop.example/", "javascript:alert(1)//{aff_sub}"):  # fmt: skip
        assert url_template_problem(unsafe) is not None, unsafe
    for safe in ("https://shop.example.com/{aff_sub}", "http://a.example:8080/x?s={aff_sub}#{aff_sub2}"):
        assert url_template_problem(safe) is None, safe


def test_expand_url_refuses_a_template_whose_values_would_move_its_origin() -> None:
    import pytest

    from goalpost.rules.macros import UnsafeUrl, expand_url

    assert expand_url("https://shop.example/l?s={aff_sub}", {"aff_sub": ".evil.example"}) == (
        "https://shop.example/l?s=.evil.example"
    )
    with pytest.raises(UnsafeUrl):
        expand_url("https://shop.example.com{aff_sub}/", {"aff_sub": ".evil.example"})
    with pytest.raises(UnsafeUrl):
        expand_url("https://shop.example.com{aff_sub}/", {})  # unsafe even when the value is empty


def test_html_pixel_macros_only_where_escaping_holds() -> None:
    from goalpost.rules.macros import html_template_problem

    safe = [
        '<img src="https://p.example/i.gif?s={aff_sub}" alt="{goal_name}" width="1">',
        "<p>{payout} {currency}</p>",
        "<iframe src='https://p.example/f?t={transaction_id}'></iframe>",
        '<script src="https://p.example/t.js?s={aff_sub}"></script>',
        '<div data-sub="{aff_sub}"></div>',
        "<script>track()</script>",
    ]
    for code in safe:
        assert html_template_problem(code) is None, code
    unsafe = [
        "<script>var s = {aff_sub};</script>",
        "<script>var s = '{aff_sub}';</script>",
        "<style>a{color:{aff_sub}}</style>",
        "<a href={aff_sub}>x</a>",
        '<a href="{aff_sub}">x</a>',
        '<a href="javascript:{aff_sub}">x</a>',
        '<img src="x" onerror="{aff_sub}">',
        '<div style="x:{aff_sub}"></div>',
        '<meta http-equiv="refresh" content="0;url=https://x/{aff_sub}">',
        "<{aff_sub}>",
        '<img {aff_sub}="1">',
        "<!-- {aff_sub} -->",
    ]
    for code in unsafe:
        assert html_template_problem(code) is not None, code
