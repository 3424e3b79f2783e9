"""The README's reason-code table is the code's (model/screening.py, REASONS), row for row,
and every screening code has an honest HTTP status."""

from __future__ import annotations

import re
from pathlib import Path

from goalpost.model.conversion import TEST_CODES
from goalpost.model.screening import REASONS
from goalpost.web.status import HTTP_STATUS, http_status

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rows() -> list[tuple[str, str, str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- reason-codes -->", 1)[1].split("<!-- /reason-codes -->", 1)[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append((cells[0].strip("`"), cells[1], cells[2], cells[3]))
    return rows


def test_the_readme_reason_table_is_the_code_s() -> None:
    expected = [(r.code, r.on, "—" if r.tune_code is None else str(r.tune_code), r.meaning) for r in REASONS]
    assert readme_rows() == expected


def test_every_reason_code_has_an_http_status_and_refusals_are_never_200() -> None:
    for reason in REASONS:
        if reason.code in TEST_CODES:  # a test conversion is recorded: a success, 200
            assert TEST_CODES[reason.code] == reason.tune_code and http_status(reason.code, True) == 200
            continue
        assert reason.code in HTTP_STATUS, reason.code
        if not reason.code.startswith("duplicate") or reason.code == "duplicate_click":
            assert HTTP_STATUS[reason.code] >= 400, reason.code
    assert re.fullmatch(r"[a-z_]+", "".join(r.code for r in REASONS))


def test_each_of_tunes_test_status_codes_has_its_row() -> None:
    assert {r.code: r.tune_code for r in REASONS if r.code in TEST_CODES} == TEST_CODES == {
        "employee_test": 21, "affiliate_test": 22, "debug_test": 23,
    }  # fmt: skip
