import hashlib
import hmac
from decimal import Decimal

import pytest

from goalpost.model.conversion import Conversion
from goalpost.model.offer import Goal, Offer, OfferBundle
from goalpost.rules.macros import conversion_macros
from goalpost.rules.status import approval_transitions
from goalpost.store import dynamo
from goalpost.streams.partner_postbacks import (
    UnsafeDestination,
    backoff_seconds,
    delivery_id,
    event_of,
    resolve_destination,
    signature,
)


def record(event: str, new: dict, old: dict | None = None) -> dict:  # type: ignore[type-arg]
    data = {"NewImage": dynamo.to_item(new), "SequenceNumber": "1"}
    if old is not None:
        data["OldImage"] = dynamo.to_item(old)
    return {"eventName": event, "dynamodb": data}


CONV = {
    "kind": "conversion", "status": "approved", "private": False, "conversion_id": "t-0", "offer_id": "1",
    "goal_id": "0", "partner_id": "9", "transaction_id": "t", "created_at": "2026-11-30T00:00:00.000Z",
}  # fmt: skip
CLAWBACK = {**CONV, "kind": "clawback", "conversion_id": "t-0-C2026", "reverses": "t-0"}


def test_only_approved_non_private_conversions_and_clawbacks_reach_partners() -> None:
    assert event_of(record("INSERT", CONV)).kind == "approved"  # type: ignore[union-attr]
    assert event_of(record("INSERT", {**CONV, "status": "pending"})) is None
    assert event_of(record("INSERT", {**CONV, "status": "rejected"})) is None
    assert event_of(record("INSERT", {**CONV, "private": True})) is None
    approved_later = record("MODIFY", CONV, {**CONV, "status": "pending"})
    assert event_of(approved_later).kind == "approved"  # type: ignore[union-attr]
    duplicate_counter = record("MODIFY", {**CONV, "duplicate_count": 1}, CONV)
    assert event_of(duplicate_counter) is None  # already told
    clawback = record("INSERT", CLAWBACK)
    assert event_of(clawback).kind == "reversal"  # type: ignore[union-attr]
    assert event_of(record("INSERT", {"kind": "delivery", "status": "delivered"})) is None


def test_macro_values_cover_the_contract() -> None:
    goal = Goal(goal_id="7", offer_id="1", name="Paid Sub", slug="paid-sub", ref_id="REF7")
    offer = Offer(
        offer_id="1",
        name="O",
        advertiser_id="2",
        offer_url="https://x",
        default_goal=Goal(goal_id="0", offer_id="1", name="C", slug="c"),
        ref_id="OREF",
    )
    bundle = OfferBundle(offer=offer, goals={"7": goal}, custom_payouts={})
    conversion = Conversion(
        conversion_id="abc-7", offer_id="1", goal_id="7", partner_id="9", transaction_id="abc",
        status="approved", status_code="approved_server_postback", created_at="2026-11-30T00:00:00.000Z",
        payout=Decimal("2.5"), sale_amount=Decimal("10"), currency="EUR",
        subs={"aff_sub": "s1", "source": "fb"}, adv_subs={"adv_sub": "ORD"},
        session_ip="1.2.3.4", ip="5.6.7.8", advertiser_id="2",
    )  # fmt: skip
    values = conversion_macros(conversion, bundle, "7")
    assert values["goal_name"] == "paid-sub" and values["goal_ref"] == "REF7" and values["goal_id"] == "7"
    assert values["payout"] == "2.50" and values["sale_amount"] == "10.00" and values["currency"] == "EUR"
    assert values["aff_sub"] == "s1" and values["source"] == "fb" and values["adv_sub"] == "ORD"
    assert values["affiliate_id"] == "9" and values["offer_ref"] == "OREF" and values["ran"].isdigit()


def test_signature_covers_timestamp_method_url_event_and_delivery_id() -> None:
    url = "https://partner.example/pb?tid=abc&p=2.50"
    content = f"1700000000.GET.{url}.approved.t-0.approved.7"
    expected = hmac.new(b"s3cret", content.encode(), hashlib.sha256).hexdigest()
    assert (
        signature("s3cret", 1700000000, "GET", url, "approved", "t-0.approved.7")
        == f"t=1700000000,v2={expected}"
    )
    # a captured request replayed as a reversal, or under another delivery id, does not verify
    assert (
        signature("s3cret", 1700000000, "GET", url, "reversal", "t-0.approved.7")
        != f"t=1700000000,v2={expected}"
    )
    assert (
        signature("s3cret", 1700000000, "GET", url, "approved", "t-0.approved-2.7")
        != f"t=1700000000,v2={expected}"
    )


def test_every_approval_transition_is_its_own_delivery() -> None:
    approved_at_once = {**CONV}
    assert approval_transitions(Conversion.from_dict(approved_at_once)) == (1, 0)
    reapproved = {
        **CONV,
        "adjustments": [{"from": "approved", "to": "rejected"}, {"from": "rejected", "to": "approved"}],
    }
    assert approval_transitions(Conversion.from_dict(reapproved)) == (2, 1)
    approved_later = {**CONV, "adjustments": [{"from": "pending", "to": "approved"}]}
    assert approval_transitions(Conversion.from_dict(approved_later)) == (1, 0)
    event = event_of(record("MODIFY", reapproved, {**CONV, "status": "rejected"}))
    assert event is not None and (event.kind, event.transition) == ("approved", 2)
    second_clawback = record("INSERT", {**CLAWBACK, "transition": 2})
    assert event_of(second_clawback).transition == 2  # type: ignore[union-attr]
    assert delivery_id("t-0", "approved", 1, "7") == "t-0.approved.7"
    assert delivery_id("t-0", "approved", 2, "7") == "t-0.approved-2.7"


def test_an_adjustment_of_amounts_only_is_no_approval_transition() -> None:
    """Approved, its payout adjusted (approved to approved), reversed, approved again: the
    partner gets ``approved``, ``reversal``, ``approved-2`` (no number skipped, so
    ``reversal-k`` still follows ``approved-k``)."""
    repriced = {"from": "approved", "to": "approved", "before": {"payout": "2"}, "after": {"payout": "3"}}
    adjusted = {**CONV, "adjustments": [repriced]}
    assert approval_transitions(Conversion.from_dict(adjusted)) == (1, 0)
    story = [repriced, {"from": "approved", "to": "rejected"}, {"from": "rejected", "to": "approved"}]
    assert approval_transitions(Conversion.from_dict({**CONV, "adjustments": story})) == (2, 1)
    assert approval_transitions(Conversion.from_dict({**CONV, "adjustments": story[:2]})) == (1, 1)


def test_back_off_doubles_per_try_and_is_capped(monkeypatch) -> None:
    monkeypatch.setenv("GOALPOST_DELIVERY_BACKOFF_SECONDS", "30")
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(20) == 3600


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::127.0.0.1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:7f00:1::]/",
        "http://[ff02::1]/",
        "http://224.0.0.1/",
        "ftp://example.com/",
        "file:///etc/passwd",
    ],
)
def test_ssrf_guard_refuses_private_and_non_http_destinations(url: str, monkeypatch) -> None:
    monkeypatch.delenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", raising=False)
    with pytest.raises(UnsafeDestination):
        resolve_destination(url)


def test_ssrf_guard_allowance_for_the_local_runtime(monkeypatch) -> None:
    monkeypatch.setenv("GOALPOST_ALLOW_PRIVATE_POSTBACKS", "1")
    assert resolve_destination("http://127.0.0.1:9/x")[3] == "127.0.0.1"
    with pytest.raises(UnsafeDestination):
        resolve_destination("gopher://127.0.0.1/")
