"""Partner postbacks reach only the web's ports (issue 26, point 9)."""

from __future__ import annotations

import pytest

from goalpost.rules.macros import partner_url_problem
from goalpost.streams.partner_postbacks import UnsafeDestination, resolve_destination


@pytest.mark.parametrize(
    "url", ["http://93.184.216.34:22/", "https://93.184.216.34:8443/pb", "http://93.184.216.34:6379/"]
)
def test_a_postback_to_a_public_host_goes_to_port_80_or_443_only(url: str, monkeypatch) -> None:
    monkeypatch.delenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", raising=False)
    with pytest.raises(UnsafeDestination, match="ports 80 and 443"):
        resolve_destination(url)
    assert resolve_destination("http://93.184.216.34:80/")[2:] == (80, "93.184.216.34")
    assert resolve_destination("https://93.184.216.34/")[2:] == (443, "93.184.216.34")


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://p.example/pb?t={transaction_id}", False),
        ("https://p.example:443/pb", False),
        ("http://p.example:80/pb", False),
        ("https://p.example:22/pb", True),
        ("https://user@p.example:8080/pb", True),
        ("http://[2001:db8::1]:25/pb", True),
        ("http://[2001:db8::1]/pb", False),
    ],
)
def test_partner_urls_name_only_the_web_ports(url: str, refused: bool) -> None:
    assert (partner_url_problem(url) is not None) is refused
    assert partner_url_problem(url, any_port=True) is None
