"""Outcome lines: one JSON object that joins the access log and carries its metric (EMF)."""

import io
import json

from goalpost import telemetry


def test_an_outcome_line_carries_the_correlation_fields_of_the_request() -> None:
    event = {"routeKey": "GET /aff_lsr", "requestContext": {"requestId": "Abc123="}}
    line = telemetry.outcome_line(
        event, code="approved_server_postback", message="m", transaction_id="t1", now=1700000000.5
    )
    assert line["requestId"] == "Abc123="  # the access log's $context.requestId
    assert line["route"] == "GET /aff_lsr"
    assert line["code"] == "approved_server_postback"
    assert line["transactionId"] == "t1"
    assert line["timestamp"] == 1700000000500
    assert "_aws" not in line


def test_a_metric_line_is_valid_embedded_metric_format() -> None:
    line = telemetry.outcome_line(None, code="duplicate", message="m", metric=telemetry.REFUSALS, now=1.0)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Goalpost"
    assert line["_aws"]["Timestamp"] == 1000
    # every dimension and metric the directive names is a top-level member of the line
    for dimension_set in directive["Dimensions"]:
        for dimension in dimension_set:
            assert line[dimension] == "duplicate"
    for metric in directive["Metrics"]:
        assert line[metric["Name"]] == 1 and metric["Unit"] == "Count"


def test_emit_writes_one_json_line() -> None:
    out = io.StringIO()
    telemetry.use_stream(out)
    try:
        telemetry.refused({"requestContext": {"requestId": "r"}}, "click", "unknown_offer", "no such offer")
        telemetry.refused(None, "pixel", "no_session", "no cookie")
    finally:
        telemetry.use_stream(None)
    first, second = (json.loads(text) for text in out.getvalue().splitlines())
    assert first["message"] == "click refused: no such offer" and first["Refusals"] == 1
    assert second["code"] == "no_session" and second["requestId"] == ""
