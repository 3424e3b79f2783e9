"""Routing as API Gateway does it (HTTP APIs): the most specific route wins, and the template
leaves no request with two answers. The local gateway routes with the same function."""

from __future__ import annotations

import pytest

from goalpost_local.template import AmbiguousRoute, check_routes, routes, select_route


def _route(method: str, path: str) -> tuple[str, str]:
    selected = select_route(routes(), method, path)
    assert selected is not None, f"no route for {method} {path}"
    return selected[0].function, selected[0].authorizer


def test_console_admin_calls_reach_the_admin_function_with_the_console_authorizer() -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        assert _route(method, "/console/api/admin/offers/o1") == ("GoalsAdminFunction", "ConsoleUser")
    assert _route("GET", "/console/app.js") == ("ConsoleFunction", "")
    assert _route("GET", "/console") == ("ConsoleFunction", "")
    assert select_route(routes(), "POST", "/console/app.js") is None  # no route: 404


def test_a_path_without_variables_beats_one_with_and_a_longer_literal_beats_a_shorter() -> None:
    assert _route("GET", "/aff_c") == ("ClickFunction", "")
    assert _route("GET", "/admin/offers") == ("GoalsAdminFunction", "AWS_IAM")
    assert _route("GET", "/partner/offers") == ("PartnerApiFunction", "PartnerKey")


def test_no_request_for_the_templates_routes_is_ambiguous() -> None:
    check_routes(routes())


def test_a_greedy_any_route_that_only_wins_on_its_path_is_refused() -> None:
    """The template before the fix: GET /console/api/admin/x matched ANY .../admin/{proxy+}
    (the more specific path) and GET /console/{proxy+} (the exact method)."""
    without_get = [r for r in routes() if not (r.path == "/console/api/admin/{proxy+}" and r.method == "GET")]
    assert len(without_get) == len(routes()) - 1
    with pytest.raises(AmbiguousRoute, match="GET /console/api/admin/"):
        check_routes(without_get)
