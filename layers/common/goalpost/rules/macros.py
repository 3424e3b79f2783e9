"""Macro expansion for offer URLs and partner postbacks (``{transaction_id}``...)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from goalpost.model.money import format_money
from goalpost.model.offer import OfferBundle
from goalpost.model.session import ADV_SUB_FIELDS, SUB_FIELDS

if TYPE_CHECKING:
    from goalpost.model.conversion import Conversion

_MACRO = re.compile(r"\{([a-z_0-9]+)\}")
_ORIGIN = re.compile(r"(https?)://([^/?#]*)", re.IGNORECASE)

ALIASES = {"aff_sub1": "aff_sub", "adv_sub1": "adv_sub"}


class UnsafeUrl(ValueError):
    """Filling the macros would change where the URL goes (its scheme, host or port)."""


def url_template_problem(template: str) -> str | None:
    """Why a URL with macros (offer URL, partner postback or image pixel) is unsafe, or None.

    Macros may fill the path, query and fragment, never the scheme, host or port: a
    substituted value must not be able to send users (or our postbacks) elsewhere.
    """
    match = _ORIGIN.match(template)
    if match is None:
        return "must be an absolute http(s) URL"
    if not match.group(2) or "{" in match.group(2) or "}" in match.group(2):
        return "macros may not stand in the scheme, host or port, only in the path and query"
    return None


PARTNER_PORTS = (80, 443)
"""The only ports partner postbacks and image pixels may name (the web's): no SSH, SMTP, admin
consoles or databases on a partner's public host are reached through us."""


def partner_url_problem(template: str, *, any_port: bool = False) -> str | None:
    """A partner postback or image pixel URL: an offer URL's rule, and a web port (80 or 443).

    ``any_port``: the local runtime's own test partners listen on free ports of 127.0.0.1.
    """
    problem = url_template_problem(template)
    if problem or any_port:
        return problem
    match = _ORIGIN.match(template)
    authority = match.group(2).rsplit("@", 1)[-1] if match else ""
    port = authority.rsplit("]", 1)[-1].partition(":")[2]
    if port and (not port.isdigit() or int(port) not in PARTNER_PORTS):
        return f"partner URLs may name port 80 or 443 only, not {port}"
    return None


def _origin(url: str) -> str:
    match = _ORIGIN.match(url)
    return f"{match.group(1).lower()}://{match.group(2).lower()}" if match else ""


def expand_url(template: str, values: Mapping[str, str]) -> str:
    """A URL template filled in, guaranteed to keep the template's origin (else UnsafeUrl)."""
    url = expand_macros(template, values)
    if url_template_problem(template) is not None or _origin(url) != _origin(template):
        raise UnsafeUrl(f"the URL's macros would change its host: {template[:80]!r}")
    return url


def url_encode(value: str) -> str:
    return quote(value, safe="")


def expand_macros(template: str, values: Mapping[str, str], escape: Callable[[str], str] = url_encode) -> str:
    """Fill ``{name}`` macros with encoded values; unknown macros become empty.

    By default every value is percent-encoded (nothing is "safe"), so a value can never add
    query parameters, change the host or inject a fragment into the URL it lands in. For
    HTML pixel code, pass ``html.escape`` so a value can never add markup.
    """

    def substitute(match: re.Match[str]) -> str:
        name = ALIASES.get(match.group(1), match.group(1))
        return escape(values.get(name, ""))

    return _MACRO.sub(substitute, template)


def _money(value: Any) -> str:
    return format_money(value) if isinstance(value, Decimal) else ""


def partner_sale_amount(conversion: Conversion) -> Decimal | None:
    """The sale in the partner's currency: as the payout rules saw it (the offer's currency),
    then at the partner's recorded rate."""
    from goalpost.rules.exchange import recorded_sale  # conversions only: not on the click's import

    if conversion.sale_amount is None:
        return None
    currency = conversion.currency
    return recorded_sale(
        conversion.sale_amount, conversion.sale_rate, currency, conversion.partner_rate,
        conversion.partner_currency or currency,
    )[1]  # fmt: skip


def conversion_macros(conversion: Conversion, bundle: OfferBundle, goal_id: str) -> dict[str, str]:
    """The contract's partner macros for one conversion (partner postbacks and pixels), and
    ``{test}``: 1 for a test conversion the tester asked to tell, else 0."""
    import secrets

    from goalpost.model.conversion import TEST  # loaded wherever a conversion is: not on the click

    goal = bundle.goal(goal_id)
    subs, adv_subs = conversion.subs, conversion.adv_subs
    values = {
        "transaction_id": conversion.transaction_id,
        "offer_id": bundle.offer.offer_id,
        "affiliate_id": conversion.partner_id,
        "source": subs.get("source", ""),
        "aff_click_id": subs.get("aff_click_id", ""),
        # in the partner's currency, as the partner is paid (README, Currencies)
        "payout": _money(conversion.partner_payout if conversion.partner_currency else conversion.payout),
        "sale_amount": _money(partner_sale_amount(conversion)),
        "currency": conversion.partner_currency or conversion.currency,
        "goal_id": goal_id,
        "goal_name": goal.slug if goal else conversion.goal_name,
        "goal_ref": goal.ref_id if goal else "",
        "session_ip": conversion.session_ip,
        "ip": conversion.ip,
        "ran": str(secrets.randbelow(10**9)),
        "advertiser_id": conversion.advertiser_id,
        "offer_ref": bundle.offer.ref_id,
        "conversion_id": conversion.conversion_id,
        "test": "1" if conversion.status == TEST else "0",
    }
    for name in SUB_FIELDS:
        values[name] = subs.get(name, "")
    for name in ADV_SUB_FIELDS:
        values[name] = adv_subs.get(name, "")
    return values


_HTML_URL_ATTRIBUTES = frozenset({"src", "href", "action"})
_HTML_TEXT_ATTRIBUTES = frozenset({"alt", "title", "value", "name", "id", "class", "width", "height"})
_RAW_TEXT_ELEMENTS = frozenset({"script", "style"})
_FIXED_ORIGIN = re.compile(r"(https?:)?//[^/?#]+[/?#]|/(?!/)", re.IGNORECASE)


def html_template_problem(code: str) -> str | None:
    """Why a partner's HTML pixel code puts a macro where a value could run as script, or None.

    ``html.escape`` keeps a value inside text and quoted attribute values, and nothing more.
    So macros may stand only in text (not inside script or style), in quoted values of plain
    attributes (alt, title, value, data-*...), and in quoted src/href/action after a fixed
    origin (so no ``javascript:``). Event handlers, style, unquoted values: refused.
    """
    from html.parser import HTMLParser

    sentinels: dict[str, str] = {}

    def mark(match: re.Match[str]) -> str:
        sentinel = f"gpmacro{len(sentinels)}x"
        sentinels[sentinel] = match.group(0)
        return sentinel

    marked = _MACRO.sub(mark, code)
    if not sentinels:
        return None
    placed: list[str] = []
    problems: list[str] = []

    def found(text: str) -> list[str]:
        return [s for s in sentinels if s in text]

    class Checker(HTMLParser):
        raw_text_depth = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            raw = self.get_starttag_text() or ""
            for name, value in attrs:
                inside = found(value or "")
                if not inside:
                    continue
                quoted = re.search(rf"(?:^|\s){re.escape(name)}\s*=\s*[\"']", raw, re.IGNORECASE)
                macros = ", ".join(sentinels[s] for s in inside)
                if not quoted:
                    problems.append(f"{macros} in the unquoted attribute {name} of <{tag}>")
                elif name in _HTML_URL_ATTRIBUTES:
                    if not _FIXED_ORIGIN.match(value or "") or any(
                        (value or "").startswith(s) for s in inside
                    ):
                        problems.append(f"{macros} in {name} of <{tag}> before a fixed http(s) origin")
                    else:
                        placed.extend(inside)
                elif name in _HTML_TEXT_ATTRIBUTES or name.startswith("data-"):
                    placed.extend(inside)
                else:
                    problems.append(f"{macros} in the attribute {name} of <{tag}>")
            if tag in _RAW_TEXT_ELEMENTS:
                self.raw_text_depth += 1

        def handle_endtag(self, tag: str) -> None:
            if tag in _RAW_TEXT_ELEMENTS and self.raw_text_depth:
                self.raw_text_depth -= 1

        def handle_data(self, data: str) -> None:
            inside = found(data)
            if inside and self.raw_text_depth:
                problems.append(f"{', '.join(sentinels[s] for s in inside)} inside <script> or <style>")
            else:
                placed.extend(inside)

    checker = Checker(convert_charrefs=True)
    checker.feed(marked)
    checker.close()
    if problems:
        return "; ".join(problems)
    missing = [sentinels[s] for s in sentinels if marked.count(s) != placed.count(s)]
    if missing:
        return f"{', '.join(missing)} outside text and attribute values"
    return None
