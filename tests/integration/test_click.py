import time
from urllib.parse import parse_qs, urlsplit

from goalpost.store import dynamo, session_store
from tests.helpers import admin, another_offer, call, dynamodb_calls, setup_network


def test_click_stores_session_and_redirects_with_macros(aws) -> None:
    net = setup_network(offer={"session_hours": 48})
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    before = int(time.time())
    response = call(
        "ClickFunction",
        "GET",
        "/aff_c",
        f"offer_id={offer_id}&aff_id={partner_id}&aff_sub=a%26b%3Dc&source=fb",
    )
    assert response["statusCode"] == 302
    location = urlsplit(response["headers"]["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example.com", "/land")
    query = parse_qs(location.query)
    transaction_id = query["tid"][0]
    assert query["s"] == ["a&b=c"]  # URL-encoded into the redirect, decoded back intact
    assert query["o"] == [offer_id]
    assert len(transaction_id) == 32 and int(transaction_id, 16) >= 0

    cookie = response["cookies"][0]
    assert cookie.startswith(f"gp_o{offer_id}={transaction_id};")
    for attribute in ("SameSite=None", "Secure", "HttpOnly", "Max-Age=172800"):
        assert attribute in cookie

    session = session_store.get_session(transaction_id)
    assert session is not None
    assert (session.offer_id, session.partner_id) == (offer_id, partner_id)
    assert session.subs == {"aff_sub": "a&b=c", "source": "fb"}
    assert session.ip == "203.0.113.7" and session.user_agent == "pytest-browser/1.0"
    assert before + 48 * 3600 <= session.expires_at <= int(time.time()) + 48 * 3600


def test_each_click_is_exactly_one_write_with_a_warm_cache(aws) -> None:
    net = setup_network()
    query = f"offer_id={net['offer']['offer_id']}&aff_id={net['partner']['partner_id']}"
    call("ClickFunction", "GET", "/aff_c", query)  # warms the config cache
    with dynamodb_calls() as seen:
        for _ in range(3):
            assert call("ClickFunction", "GET", "/aff_c", query)["statusCode"] == 302
    assert seen == ["PutItem", "PutItem", "PutItem"]


def test_session_item_fits_one_write_unit(aws) -> None:
    net = setup_network()
    subs = "&".join(f"aff_sub{i}={'x' * 60}" for i in range(2, 6))
    ids = f"offer_id={net['offer']['offer_id']}&aff_id={net['partner']['partner_id']}"
    response = call("ClickFunction", "GET", "/aff_c", f"{ids}&aff_sub={'y' * 60}&{subs}")
    transaction_id = response["cookies"][0].split("=", 1)[1].split(";")[0]
    item = aws.get_item(TableName=dynamo.sessions_table(), Key={"transaction_id": {"S": transaction_id}})[
        "Item"
    ]
    size = sum(len(k) + len(str(v)) for k, v in item.items())
    assert size < 1024


def test_unknown_paused_and_malformed_refused_without_redirect(aws) -> None:
    net = setup_network(partner={"status": "blocked"})
    offer_id, partner_id = net["offer"]["offer_id"], net["partner"]["partner_id"]
    paused = another_offer(net, "https://p.example/", name="P", status="paused")
    _, good_partner = admin("POST", "/admin/partners", {"name": "Good"})
    cases = {
        f"offer_id=999&aff_id={good_partner['partner_id']}": 404,
        f"offer_id={paused['offer_id']}&aff_id={good_partner['partner_id']}": 403,
        f"offer_id={offer_id}&aff_id=999": 404,
        f"offer_id={offer_id}&aff_id={partner_id}": 403,
        "aff_id=1": 400,
        f"offer_id=abc&aff_id={partner_id}": 400,
        f"offer_id={offer_id}&aff_id={good_partner['partner_id']}&aff_sub={'z' * 256}": 400,
    }
    for query, expected in cases.items():
        response = call("ClickFunction", "GET", "/aff_c", query + "&url=https://evil.example/")
        assert response["statusCode"] == expected, (query, response)
        assert "location" not in response["headers"]
        assert response["body"].strip()  # a reason, not an empty page
    assert aws.scan(TableName=dynamo.sessions_table())["Count"] == 0


def test_click_never_redirects_to_a_url_from_the_request(aws) -> None:
    net = setup_network()
    response = call(
        "ClickFunction", "GET", "/aff_c",
        f"offer_id={net['offer']['offer_id']}&aff_id={net['partner']['partner_id']}"
        "&url=https://evil.example/&offer_url=https://evil.example/&aff_sub=//evil.example",
    )  # fmt: skip
    assert urlsplit(response["headers"]["location"]).netloc == "shop.example.com"
