"""CSV exports: a cell a spreadsheet would run as a formula is quoted; numbers stay numbers."""

import csv
import io

from goalpost.admin.exports import to_csv


def test_formula_like_text_is_quoted_and_negative_amounts_are_not() -> None:
    rows = [
        {"name": '=HYPERLINK("http://evil")', "payout": "-4.00"},
        {"name": "@SUM(A1)", "payout": "12.50"},
        {"name": "+cmd", "payout": None},
        {"name": "plain", "payout": "-1e3"},
    ]
    out = list(csv.DictReader(io.StringIO(to_csv(["name", "payout"], rows))))
    assert [r["name"] for r in out] == ['\'=HYPERLINK("http://evil")', "'@SUM(A1)", "'+cmd", "plain"]
    assert [r["payout"] for r in out] == ["-4.00", "12.50", "", "'-1e3"]
