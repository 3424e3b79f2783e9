"""Click caps (README, Click caps): an offer's clicks per day, week, month or lifetime, for the
offer or per partner; over a cap the click goes to the fallback (``click_cap``), recorded, no
session. Through the click handler on moto, and the race on the embedded DynamoDB (each request
atomic, as in DynamoDB)."""

from __future__ import annotations

from typing import Any

from goalpost.store import config_cache, session_store
from tests.helpers import admin, call, dynamodb_calls, postback, race, setup_network
from tests.integration.test_screening import click_as, patch_offer, redirected_records, set_network, tid_of


def caps(offer_id: str, *caps: dict[str, Any]) -> None:
    patch_offer(offer_id, {"caps": list(caps)})
    config_cache.clear()


def test_a_click_over_the_offer_s_daily_cap_goes_to_the_fallback_recorded_without_a_session(
    aws: Any, clock: Any
) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    clock.at = 1_800_000_000.0  # 2027-01-15 08:00 UTC
    caps(offer_id, {"period": "day", "measure": "clicks", "limit": "2"})
    assert [tid_of(click_as(net)) for _ in range(2)]
    answer = click_as(net)
    assert answer["statusCode"] == 409 and answer["headers"]["x-goalpost-reason"] == "click_cap"
    assert "cookies" not in answer and "2 clicks a day" in answer["body"]
    [record] = redirected_records(aws)
    assert record["redirected"] == "click_cap"
    assert postback(f"transaction_id={record['transaction_id']}")["statusCode"] == 404  # nothing converts
    patch_offer(offer_id, {"fallback_url": "https://elsewhere.example.com/?s={aff_sub}"})
    config_cache.clear()
    answer = click_as(net)
    assert answer["statusCode"] == 302 and "cookies" not in answer
    assert answer["headers"]["location"] == "https://elsewhere.example.com/?s=s1"
    assert answer["headers"]["x-goalpost-reason"] == "click_cap"
    status, view = admin("GET", f"/admin/offers/{offer_id}/caps")
    assert status == 200
    [row] = view["caps"]
    assert (row["measure"], row["used"], row["remaining"]) == ("clicks", "2", "0")
    clock.advance(16 * 3600)  # the next UTC day: the cap starts afresh
    assert tid_of(click_as(net))


def test_click_caps_count_in_the_offer_s_time_zone_by_iso_week(aws: Any, clock: Any) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    clock.at = 1_800_000_000.0  # Friday 2027-01-15 08:00 UTC: 2027-W02
    patch_offer(offer_id, {"timezone": "America/New_York"})
    caps(offer_id, {"period": "week", "measure": "clicks", "limit": "1"})
    assert tid_of(click_as(net))
    assert click_as(net)["headers"]["x-goalpost-reason"] == "click_cap"
    clock.at = 1_800_000_000.0 + 2 * 86400 + 16 * 3600 + 1800  # Monday 00:30 UTC: still Sunday in New York
    assert click_as(net)["headers"]["x-goalpost-reason"] == "click_cap"
    clock.advance(5 * 3600)  # Monday 00:30 in New York: a new week
    assert tid_of(click_as(net))


def test_a_partner_s_own_click_cap_wins_over_each_partner_s_and_binds_only_that_partner(aws: Any) -> None:
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    status, other = admin("POST", "/admin/partners", {"name": "Other"})
    assert status == 201, other
    caps(
        offer_id,
        {"period": "lifetime", "measure": "clicks", "limit": "1", "partner_id": "*"},
        {"period": "lifetime", "measure": "clicks", "limit": "3", "partner_id": partner_id},
    )
    assert [tid_of(click_as(net)) for _ in range(3)]
    assert click_as(net)["headers"]["x-goalpost-reason"] == "click_cap"
    query = f"offer_id={offer_id}&aff_id={other['partner_id']}"
    assert call("ClickFunction", "GET", "/aff_c", query)["statusCode"] == 302
    capped = call("ClickFunction", "GET", "/aff_c", query)
    assert capped["headers"]["x-goalpost-reason"] == "click_cap"
    assert f"partner {other['partner_id']}'s click cap" in capped["body"]


def test_a_screened_out_click_takes_no_place_under_the_click_cap(aws: Any) -> None:
    net = setup_network()
    set_network(screening={"empty_user_agent": {"action": "refuse"}})
    caps(net["offer"]["offer_id"], {"period": "day", "measure": "clicks", "limit": "1"})
    assert click_as(net, ua="")["headers"]["x-goalpost-reason"] == "empty_user_agent"
    assert tid_of(click_as(net))
    assert click_as(net)["headers"]["x-goalpost-reason"] == "click_cap"


def test_a_click_that_never_reached_the_offer_does_not_open_the_visitor_s_window(
    aws: Any, clock: Any
) -> None:
    """A capped click goes to the fallback: the duplicate window its screening opened is
    removed, so the same person's first click that does reach the offer (the cap's next day)
    is unique. A window a click that reached the offer opened stays."""
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    clock.at = 1_800_000_000.0 + 15 * 3600  # 23:00 UTC
    set_network(screening={"duplicate_clicks": {"action": "flag", "limit": 2 * 86400}})
    caps(offer_id, {"period": "day", "measure": "clicks", "limit": "1"})
    assert tid_of(click_as(net, ip="198.51.100.1"))  # someone else takes the day's only place
    with dynamodb_calls() as seen:
        capped = click_as(net, ip="198.51.100.2")
    assert capped["headers"]["x-goalpost-reason"] == "click_cap" and "cookies" not in capped
    # the IP's ledger read and written (the window), the cap (full), the window closed, the
    # redirected record
    assert seen == ["GetItem", "UpdateItem", "UpdateItem", "UpdateItem", "PutItem"]
    clock.advance(3600)  # the next day: the cap has room
    first = session_store.get_session(tid_of(click_as(net, ip="198.51.100.2")))
    assert first is not None and first.is_unique, first.flags
    clock.advance(60)
    assert click_as(net, ip="198.51.100.2")["headers"]["x-goalpost-reason"] == "click_cap"
    clock.advance(86400)  # the next day, within the window of the click that reached the offer
    again = session_store.get_session(tid_of(click_as(net, ip="198.51.100.2")))
    assert again is not None and again.flags == ("duplicate_click",)


def test_a_window_that_cannot_be_removed_still_sends_the_capped_click_to_its_fallback(
    aws: Any, clock: Any, monkeypatch: Any, caplog: Any
) -> None:
    from botocore.exceptions import ClientError

    from goalpost.store import screening_store

    tried: list[str] = []

    def throttled(_ip: str, name: str, *_: Any) -> None:
        tried.append(name)
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "UpdateItem"
        )

    net = setup_network()
    set_network(screening={"duplicate_clicks": {"action": "flag"}})
    patch_offer(net["offer"]["offer_id"], {"fallback_url": "https://elsewhere.example.com/"})
    caps(net["offer"]["offer_id"], {"period": "day", "measure": "clicks", "limit": "1"})
    assert tid_of(click_as(net, ip="198.51.100.1"))
    monkeypatch.setattr(screening_store, "close_window", throttled)
    capped = click_as(net, ip="198.51.100.2")
    assert capped["statusCode"] == 302 and capped["headers"]["location"] == "https://elsewhere.example.com/"
    assert capped["headers"]["x-goalpost-reason"] == "click_cap"
    assert len(tried) == 1 and tried[0].startswith("w")  # it tried to close its own window
    assert "could not be closed" in caplog.text  # and said it could not


def test_a_click_cap_costs_one_update_and_an_offer_without_one_nothing(aws: Any) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    caps(
        offer_id, {"period": "day", "measure": "conversions", "limit": "5"}
    )  # a conversion cap: no click write
    click_as(net)  # warms the config cache
    with dynamodb_calls() as seen:
        tid_of(click_as(net))
    assert seen == ["PutItem"]
    caps(offer_id, {"period": "day", "measure": "clicks", "limit": "5"})
    click_as(net)
    with dynamodb_calls() as seen:
        tid_of(click_as(net))
    assert seen == ["UpdateItem", "PutItem"]
    caps(
        offer_id,
        {"period": "day", "measure": "clicks", "limit": "5"},
        {"period": "month", "measure": "clicks", "limit": "50"},
    )
    click_as(net)
    with dynamodb_calls() as seen:
        tid_of(click_as(net))
    assert seen == ["TransactWriteItems", "PutItem"]


def test_a_conversion_cap_does_not_count_clicks_nor_a_click_cap_conversions(aws: Any) -> None:
    net = setup_network()
    caps(
        net["offer"]["offer_id"],
        {"period": "day", "measure": "clicks", "limit": "1"},
        {"period": "day", "measure": "conversions", "limit": "1"},
    )
    tid = tid_of(click_as(net))
    assert postback(f"transaction_id={tid}")["statusCode"] == 200
    assert click_as(net)["headers"]["x-goalpost-reason"] == "click_cap"


def test_a_clicks_cap_counts_whole_clicks(aws: Any) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    version = admin("GET", f"/admin/offers/{offer_id}")[1]["version"]
    body = {"caps": [{"period": "day", "measure": "clicks", "limit": "2.5"}]}
    status, answer = admin("PATCH", f"/admin/offers/{offer_id}", body, if_match=str(version))
    assert status == 422 and "whole clicks" in str(answer)


def test_twenty_clicks_racing_for_a_click_cap_of_five_open_exactly_five_sessions(embedded: Any) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    patch_offer(
        offer_id,
        {
            "caps": [{"period": "day", "measure": "clicks", "limit": "5"}],
            "fallback_url": "https://elsewhere.example.com/",
        },
    )
    config_cache.clear()
    answers = race(lambda i: click_as(net, ip=f"203.0.113.{i + 1}"))
    opened = [a for a in answers if a.get("cookies")]
    redirected = [
        a
        for a in answers
        if a["statusCode"] == 302
        and a["headers"].get("x-goalpost-reason") == "click_cap"
        and a["headers"]["location"] == "https://elsewhere.example.com/"
    ]
    assert len(opened) == 5 and len(redirected) == 15, [a["statusCode"] for a in answers]
    assert len(redirected_records(embedded)) == 15
    assert len({tid_of(a) for a in opened}) == 5
    [row] = admin("GET", f"/admin/offers/{offer_id}/caps")[1]["caps"]
    assert row["used"] == "5"


def test_twenty_clicks_racing_under_two_click_caps_count_all_or_none(embedded: Any) -> None:
    """The offer's day cap and the partner's lifetime cap in one transaction: neither counter
    counts a click the other refused."""
    net = setup_network()
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    two = [
        {"period": "day", "measure": "clicks", "limit": "5"},
        {"period": "lifetime", "measure": "clicks", "limit": "100", "partner_id": partner_id},
    ]
    patch_offer(offer_id, {"caps": two})
    config_cache.clear()
    answers = race(lambda i: click_as(net, ip=f"203.0.113.{i + 1}"))
    assert sum(1 for a in answers if a.get("cookies")) == 5
    assert sum(1 for a in answers if a["headers"].get("x-goalpost-reason") == "click_cap") == 15
    rows = admin("GET", f"/admin/offers/{offer_id}/caps")[1]["caps"]
    assert [row["used"] for row in rows] == ["5", "5"]
