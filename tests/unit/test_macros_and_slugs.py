from goalpost.macros import expand_macros
from goalpost.slugs import slug_of


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
