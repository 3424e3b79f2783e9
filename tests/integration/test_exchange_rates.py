"""Exchange rates through the admin API on moto: the ECB import, an admin's own rate, the
table in force on a day (a weekend uses Friday's), the history, and what is refused."""

from __future__ import annotations

import threading

from tests.helpers import admin
from tests.unit.test_currencies import ECB_CSV, ECB_XML

IMPORT = "/admin/exchange-rates/import"


def test_an_ecb_import_is_in_force_from_its_day_and_over_the_weekend(aws, clock) -> None:
    status, summary = admin("POST", IMPORT, {"file": ECB_CSV})
    assert status == 200, summary
    assert summary == {
        "days": 2,
        "changed": 2,
        "first_day": "2026-12-03",
        "last_day": "2026-12-04",
        "skipped_currencies": ["BGN"],
    }
    status, sunday = admin("GET", "/admin/exchange-rates", query="day=2026-12-06")
    assert status == 200, sunday
    assert (sunday["day"], sunday["in_force_on"], sunday["pivot"]) == ("2026-12-04", "2026-12-06", "EUR")
    assert sunday["rates"] == {"GBP": "0.8400", "JPY": "160.12", "USD": "1.0500"}
    assert sunday["sources"] == {"GBP": "ecb", "JPY": "ecb", "USD": "ecb"}
    # the same file again changes nothing
    assert admin("POST", IMPORT, {"file": ECB_CSV})[1]["changed"] == 0


def test_an_admins_rate_survives_the_next_import_and_is_audited(aws, clock) -> None:
    admin("POST", IMPORT, {"file": ECB_CSV})
    status, day = admin(
        "PUT", "/admin/exchange-rates/2026-12-04", {"rates": {"USD": "1.1000", "AED": "3.97"}}
    )
    assert status == 200, day
    assert day["rates"]["USD"] == "1.1000" and day["sources"]["USD"] == "admin"
    assert day["rates"]["AED"] == "3.97" and day["rates"]["GBP"] == "0.8400"
    assert admin("POST", IMPORT, {"file": ECB_XML})[1]["changed"] == 0  # USD is the admin's; the rest equal
    assert admin("GET", "/admin/exchange-rates", query="day=2026-12-04")[1]["rates"]["USD"] == "1.1000"
    status, trail = admin("GET", "/admin/audit/rates/2026-12-04")
    assert status == 200 and trail["items"][0]["after"] == {"days": ["2026-12-04"]}


def test_the_history_lists_each_published_day_in_a_range(aws, clock) -> None:
    admin("POST", IMPORT, {"file": ECB_CSV})
    status, history = admin(
        "GET", "/admin/exchange-rates/history", query="from_day=2026-12-01&to_day=2026-12-31"
    )
    assert status == 200, history
    assert [d["day"] for d in history["items"]] == ["2026-12-03", "2026-12-04"]
    status, refused = admin(
        "GET", "/admin/exchange-rates/history", query="from_day=2026-12-05&to_day=2026-12-01"
    )
    assert status == 400 and refused["error"]["code"] == "bad_range"


def test_no_rates_in_force_is_a_404_that_says_so(aws, clock) -> None:
    admin("POST", IMPORT, {"file": ECB_CSV})
    status, refused = admin("GET", "/admin/exchange-rates", query="day=2026-12-02")  # before the first table
    assert status == 404 and refused["error"]["code"] == "no_exchange_rates"
    status, refused = admin("GET", "/admin/exchange-rates", query="day=2026-12-12")  # eight days after it
    assert status == 404 and refused["error"]["code"] == "no_exchange_rates"


def test_bad_rates_are_refused_and_store_nothing(aws, clock) -> None:
    for body, code in [
        ({"rates": {"XAU": "0.0005"}}, "validation_error"),  # ISO 4217, but no minor unit: no money
        ({"rates": {"EUR": "1"}}, "invalid_currency"),
        ({"rates": {"USD": "0"}}, "invalid_rate"),
    ]:
        status, refused = admin("PUT", "/admin/exchange-rates/2026-12-04", body)
        assert (status, refused["error"]["code"]) == (422, code), refused
    status, refused = admin("PUT", "/admin/exchange-rates/2026-12-04", {"rates": {"USD": "-1"}})
    assert status == 422, refused
    status, refused = admin("POST", IMPORT, {"file": "Date,USD\n2026-12-04,abc\n"})
    assert (status, refused["error"]["code"]) == (422, "invalid_rates_file")
    assert admin("GET", "/admin/exchange-rates/history", query="from_day=2026-12-01&to_day=2026-12-31")[
        1
    ] == {"items": []}


def test_concurrent_admin_rates_and_an_import_lose_nothing(aws, clock) -> None:
    """Each writer writes at the version it read; the loser merges again on what won."""
    admin("POST", IMPORT, {"file": ECB_CSV})
    answers: dict[str, int] = {}

    def set_rate(code: str) -> None:
        answers[code] = admin("PUT", "/admin/exchange-rates/2026-12-04", {"rates": {code: "2.5"}})[0]

    def import_again() -> None:
        answers["import"] = admin("POST", IMPORT, {"file": ECB_XML.replace("1.0500", "1.0600")})[0]

    threads = [threading.Thread(target=set_rate, args=(code,)) for code in ("CHF", "SEK", "NOK", "DKK")]
    threads.append(threading.Thread(target=import_again))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rates = admin("GET", "/admin/exchange-rates", query="day=2026-12-04")[1]["rates"]
    assert set(answers.values()) <= {200, 409}  # a writer that lost three times is told so
    for code in ("CHF", "SEK", "NOK", "DKK"):
        assert (code in rates) == (answers[code] == 200), (code, answers, rates)
    assert (rates["USD"] == "1.0600") == (answers["import"] == 200), (answers, rates)


def test_a_day_the_calendar_has_not_is_a_4xx_not_a_5xx(aws) -> None:
    """Found by the schemathesis run: to_day=0000-00-00 matched the pattern and crashed (500)."""
    for query in ("to_day=0000-00-00", "from_day=2026-02-30&to_day=2026-03-01", "to_day=2026-13-01"):
        status, body = admin("GET", "/admin/exchange-rates/history", query=query)
        assert status == 400 and body["error"]["code"] == "bad_date", (query, body)
