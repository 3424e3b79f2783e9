"""The partner portal's link builder and the click agree: it builds exactly the links the click
accepts (the portal's own JavaScript, run by node, against the click handler), with the rule the
partner API hands out; and the portal is told whether the partner manages its postbacks."""

from __future__ import annotations

import json
import subprocess
from typing import Any
from urllib.parse import urlencode, urlsplit

from goalpost_local.template import ROOT
from tests.helpers import admin, call, partner_call, setup_network

VALUES = [
    "spring", "<b>", "a\\b", 'say "hi"', "it's", "back`tick", "tab\there", "nul\x00", "del\x7f",
    "café ☕", "😀" * 255, "x" * 255, "x" * 256, "a&b=c#d", " spaces ", "+plus+", "%41", "日本語",
]  # fmt: skip


def build_links(tracking_link: str, cases: list[dict[str, str]], rules: dict[str, Any]) -> list[Any]:
    """console/src/links.js's buildLink for each case, as the portal runs it."""
    script = (
        f"import {{ buildLink }} from {json.dumps(str(ROOT / 'console' / 'src' / 'links.js'))};\n"
        "let input = ''; process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => { const { link, cases, rules } = JSON.parse(input);\n"
        "  process.stdout.write(JSON.stringify(cases.map((subs) => buildLink(link, subs, rules)))); });\n"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],  # Debian's node, as make console uses
        input=json.dumps({"link": tracking_link, "cases": cases, "rules": rules}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    built: list[Any] = json.loads(done.stdout)
    return built


def clicked(link: str) -> int:
    parts = urlsplit(link)
    return int(call("ClickFunction", "GET", parts.path, parts.query)["statusCode"])


def test_the_portal_builds_exactly_the_links_the_click_accepts(aws: Any) -> None:
    net = setup_network()
    offer_id, partner = net["offer"]["offer_id"], net["partner"]
    response = partner_call(f"/partner/offers/{offer_id}", partner["api_key"])
    offer = json.loads(response["body"])
    rules = offer["link_rules"]
    assert {"aff_sub", "aff_sub5", "source", "aff_click_id"} <= set(rules["sub_ids"])
    cases = [{"aff_sub": value} for value in VALUES]
    cases.append({name: "😀" * 255 for name in rules["sub_ids"]})  # each fine, the link too long
    cases.append({"aff_sub": "ok", "source": "<script>"})
    built = build_links(offer["tracking_link"], cases, rules)
    outcomes = []
    for subs, answer in zip(cases, built, strict=True):
        naive = offer["tracking_link"] + "&" + urlencode(subs)  # what a builder without the rule makes
        link = answer.get("link")
        status = clicked(link if link else naive)
        outcomes.append(("built" if link else "refused", status))
        if link:
            assert status == 302, (subs, link)
        else:
            assert answer["problems"] and 400 <= status < 500, (subs, status)
    assert ("built", 302) in outcomes and any(kind == "refused" for kind, _ in outcomes)


def test_the_portal_knows_whether_the_partner_manages_its_postbacks(aws: Any) -> None:
    net = setup_network()
    offer_id, key = net["offer"]["offer_id"], net["partner"]["api_key"]

    def offer() -> dict[str, Any]:
        found: dict[str, Any] = json.loads(partner_call(f"/partner/offers/{offer_id}", key)["body"])
        return found

    assert offer()["manage_postbacks"] is False  # the default: the network sets them
    assert partner_call(f"/partner/offers/{offer_id}/postbacks", key)["statusCode"] == 403
    status, network = admin("GET", "/admin/network")
    status, _ = admin(
        "PUT", "/admin/network", {"partners_manage_postbacks": True}, if_match=f'"{network["version"]}"'
    )
    assert status == 200
    assert offer()["manage_postbacks"] is True
    assert partner_call(f"/partner/offers/{offer_id}/postbacks", key)["statusCode"] == 200
