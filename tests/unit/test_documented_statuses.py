"""The status tables of the README (tracking) and docs/admin-api.md (admin) against the code's
maps: every code documented with the status it is answered with, and nothing documented that the
code does not know. Adding a code on one side only fails here."""

import re
from pathlib import Path
from typing import get_args

from goalpost.admin.errors import AdminCode
from goalpost.admin.http import HTTP_STATUS as ADMIN_STATUS
from goalpost.model.conversion import TEST_CODES
from goalpost.model.conversion_request import Via
from goalpost.web.status import HTTP_STATUS as TRACKING_STATUS

ROOT = Path(__file__).resolve().parents[2]
SUCCESSES = {f"approved_{via}" for via in get_args(Via)} | {"approval_pending"} | set(TEST_CODES)
"""What a recorded conversion (or test conversion) answers (200): ``tracking.postbacks`` names
them, no map does."""


def documented(page: str) -> dict[str, int]:
    """Code -> status, from the page's one ``| status | code | meaning |`` table."""
    lines = (ROOT / page).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.replace(" ", "") == "|status|code|meaning|"]
    assert len(starts) == 1, f"{page}: expected one status table, found {len(starts)}"
    table: dict[str, int] = {}
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        status, codes = (cell.strip() for cell in line.strip("|").split("|")[:2])
        assert status.isdigit(), f"{page}: {line!r} names no status"
        named = re.findall(r"`([a-z_]+)`", codes)
        assert named, f"{page}: {line!r} names no code"
        for code in named:
            assert table.get(code, int(status)) == int(status), f"{page}: {code} documented twice"
            table[code] = int(status)
    return table


def test_the_readmes_tracking_table_is_the_tracking_map() -> None:
    assert documented("README.md") == {**TRACKING_STATUS, **dict.fromkeys(SUCCESSES, 200)}


def test_the_admin_table_is_the_admin_map() -> None:
    assert documented("docs/admin-api.md") == ADMIN_STATUS


def test_the_admin_map_says_every_admin_code_and_only_those() -> None:
    """``AdminCode`` is what use cases may raise (mypy holds them to it); each has its status."""
    assert sorted(ADMIN_STATUS) == sorted(get_args(AdminCode))
