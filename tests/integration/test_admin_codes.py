"""Admin refusals are codes; the edge says each one's status, always in the one error shape."""

from goalpost.admin.http import HTTP_STATUS
from goalpost.model.audit import Audit
from goalpost.store import config_store
from tests.helpers import admin, setup_network


def test_a_refusal_answers_its_codes_status_in_the_one_shape(aws) -> None:
    net = setup_network()
    offer_id = net["offer"]["offer_id"]
    status, body = admin("POST", f"/admin/offers/{offer_id}/goals", {"name": "Sale"})
    assert body["error"]["code"] == "goals_disabled" and status == HTTP_STATUS["goals_disabled"] == 409
    status, body = admin("PATCH", f"/admin/offers/{offer_id}", {"name": "x"}, if_match='"9"')
    assert (status, body["error"]["code"]) == (HTTP_STATUS["version_conflict"], "version_conflict")
    assert set(body["error"]) == {"code", "message"}  # details only when there are some


def test_an_answer_that_breaks_its_model_is_a_500_that_still_carries_a_code(aws) -> None:
    """A stored document the answer's model refuses (written by an older version, say): our bug,
    a 500 in the API's one error shape, never the resolver's own body without a code."""
    broken = {"structure_id": "77", "rules": "not a list"}
    audit = Audit(actor="test", at="2026-01-01T00:00:00.000Z", action="create", before=None, after=None)
    assert config_store.save_entity("structure", "77", broken, audit=audit)
    status, body = admin("GET", "/admin/payout-structures/77")
    assert status == 500, body
    assert body["error"]["code"] == "internal_error" and body["error"]["message"], body
