"""The offer-access rule (rules.access): who sees an offer, whose clicks reach it, who may
apply for it, and which decision an admin may make from where a partner stands."""

from __future__ import annotations

from typing import Any

import pytest

from goalpost.rules.access import application_refusal, decision_refusal, may_run, may_see

STATES: list[Any] = [None, "applied", "approved", "rejected", "revoked"]


@pytest.mark.parametrize("state", STATES)
def test_a_public_offer_is_every_partner_s_to_see_and_run(state: Any) -> None:
    assert may_see("public", state) and may_run("public", state)


@pytest.mark.parametrize("state", STATES)
def test_an_offer_requiring_approval_is_seen_by_all_and_run_only_once_approved(state: Any) -> None:
    assert may_see("requires_approval", state)
    assert may_run("requires_approval", state) == (state == "approved")


@pytest.mark.parametrize("state", STATES)
def test_a_private_offer_is_seen_and_run_only_by_partners_given_access(state: Any) -> None:
    assert may_see("private", state) == (state == "approved")
    assert may_run("private", state) == (state == "approved")


def test_a_partner_applies_once_only_for_an_offer_requiring_approval() -> None:
    assert application_refusal("requires_approval", None) == ""
    assert "public" in application_refusal("public", None)
    assert "applied already" in application_refusal("requires_approval", "applied")
    for decided in ("approved", "rejected", "revoked"):
        assert decided in application_refusal("requires_approval", decided)


@pytest.mark.parametrize(
    ("decision", "allowed_from"),
    [
        ("approved", {None, "applied", "rejected", "revoked"}),
        ("rejected", {"applied"}),
        ("revoked", {"approved"}),
    ],
)
def test_an_admin_approves_or_grants_rejects_applications_and_revokes_grants(
    decision: Any, allowed_from: set[Any]
) -> None:
    for state in STATES:
        assert (decision_refusal(decision, state) == "") == (state in allowed_from), (decision, state)


def test_a_decision_names_why_it_does_not_apply() -> None:
    assert decision_refusal("rejected", None) == "no application to reject"
    assert decision_refusal("revoked", "applied") == "the partner's access is applied, not approved"
    assert "not a decision" in decision_refusal("applied", None)
