"""The export's rows: what each stream record becomes, how rows are packed into Firehose
records, and the one schema the template's Glue tables are held to."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from goalpost.store import dynamo
from goalpost.streams import export
from goalpost_local.template import resources


def record(
    name: str, new: dict[str, Any], old: dict[str, Any] | None = None, seq: str = "7"
) -> dict[str, Any]:
    images: dict[str, Any] = {"SequenceNumber": seq, "NewImage": dynamo.to_item(new)}
    if old is not None:
        images["OldImage"] = dynamo.to_item(old)
    return {"eventID": f"e{seq}", "eventName": name, "dynamodb": images}


CONVERSION = {
    "pk": "OFFER#1",
    "sk": "c-1",
    "kind": "conversion",
    "conversion_id": "c-1",
    "offer_id": "1",
    "goal_id": "2",
    "partner_id": "3",
    "transaction_id": "t",
    "status": "approved",
    "created_at": "2026-11-24T07:41:56.123Z",
    "payout": Decimal("0.12345"),
    "revenue": Decimal("1234567890123.5"),
    "subs": {"aff_sub": "banner"},
}


def test_every_template_glue_table_has_the_export_columns_in_order() -> None:
    tables = {
        r["Properties"]["TableInput"]["Name"]: r["Properties"]["TableInput"]
        for r in resources("AWS::Glue::Table").values()
    }
    assert set(tables) == set(export.TABLES)
    for name, columns in export.TABLES.items():
        declared = [(c["Name"], c["Type"]) for c in tables[name]["StorageDescriptor"]["Columns"]]
        assert declared == list(columns), name
        assert tables[name]["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    money = [c for c, kind in export.TABLES["conversion_events"] if kind == export.MONEY]
    assert money == [
        "payout", "revenue", "sale_amount", "partner_payout", "base_payout", "base_revenue", "base_sale_amount",
    ]  # fmt: skip
    rates = [c for c, kind in export.TABLES["conversion_events"] if kind == export.RATE]
    assert rates == ["sale_rate", "partner_rate", "base_rate"]
    assert all(
        "double" not in kind and "float" not in kind for cols in export.TABLES.values() for _, kind in cols
    )


def test_each_firehose_stream_writes_parquet_with_its_own_table_schema_by_day() -> None:
    streams = resources("AWS::KinesisFirehose::DeliveryStream")
    tables = {
        logical: r["Properties"]["TableInput"]["Name"] for logical, r in resources("AWS::Glue::Table").items()
    }
    seen = set()
    for stream in streams.values():
        destination = stream["Properties"]["ExtendedS3DestinationConfiguration"]
        conversion = destination["DataFormatConversionConfiguration"]
        table = tables[conversion["SchemaConfiguration"]["TableName"]["Ref"]]
        assert (
            conversion["Enabled"] is True
            and "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
        )
        assert destination["Prefix"] == f"{table}/dt=!{{timestamp:yyyy-MM-dd}}/"
        assert destination["BufferingHints"]["IntervalInSeconds"] <= 300  # within minutes
        seen.add(table)
    assert seen == set(export.TABLES)


def test_a_conversion_row_keeps_money_exact_and_its_sub_ids() -> None:
    table, row = export.row_of(record("INSERT", CONVERSION)) or ("", {})
    assert table == "conversion_events"
    assert row["event"] == "created" and row["seq"] == "7".zfill(40)
    assert row["payout"] == Decimal("0.12345") and row["revenue"] == Decimal("1234567890123.5")
    assert row["aff_sub"] == "banner" and row["aff_sub2"] == ""
    document = export.to_json(row)
    assert '"payout":0.12345' in document and '"revenue":1234567890123.5' in document
    assert json.loads(document, parse_float=Decimal)["revenue"] == Decimal("1234567890123.5")
    assert list(row) == [name for name, _ in export.TABLES["conversion_events"]]


def test_an_adjustment_is_a_row_of_its_own_with_what_changed() -> None:
    change = {
        "at": "2026-11-25T08:00:00.000Z",
        "from": "approved",
        "to": "rejected",
        "reason": "chargeback",
        "by": "admin",
    }
    new = {**CONVERSION, "status": "rejected", "adjustments": [change]}
    _table, row = export.row_of(record("MODIFY", new, CONVERSION, seq="9")) or ("", {})
    assert (row["event"], row["adjustments"], row["adjusted_from"], row["adjusted_to"]) == (
        "adjusted",
        1,
        "approved",
        "rejected",
    )
    assert row["changed_at"] == "2026-11-25T08:00:00.000Z" and row["created_at"] == CONVERSION["created_at"]


def test_clicks_deliveries_and_what_is_not_exported() -> None:
    session = {
        "transaction_id": "t",
        "offer_id": "1",
        "partner_id": "3",
        "created_at": Decimal("1795507200.5"),
        "subs": {"source": "x"},
    }
    table, row = export.row_of(record("INSERT", session)) or ("", {})
    assert table == "clicks" and row["clicked_at"] == "2026-11-24T08:00:00.500Z" and row["source"] == "x"
    assert export.row_of(record("MODIFY", {**session, "closed_at": 5}, session)) is None  # a closed session
    delivery = {
        "kind": "delivery",
        "delivery_id": "c-1.approved.p1",
        "offer_id": "1",
        "status": "delivered",
        "attempts": 2,
        "response_code": 200,
    }
    table, row = export.row_of(record("MODIFY", delivery)) or ("", {})
    assert table == "deliveries" and row["conversion_id"] == "c-1" and row["attempts"] == 2
    assert export.row_of(record("INSERT", {"kind": "guard", "pk": "x"})) is None
    assert export.row_of({"eventName": "REMOVE", "dynamodb": {"OldImage": dynamo.to_item(session)}}) is None


def test_rows_are_packed_into_records_of_at_most_5000_bytes_that_split_back_into_rows() -> None:
    rows = [{"n": n, "text": "x" * 300} for n in range(100)]
    records = export.pack(rows)
    assert all(len(r) <= export.RECORD_BYTES for r in records)
    assert len(records) == 7  # 100 rows of ~325 bytes: 15 to a record, not 100 records
    decoder, found = json.JSONDecoder(), []
    for data in records:
        text, at = data.decode(), 0
        while at < len(text):
            value, at = decoder.raw_decode(text, at)
            found.append(value)
    assert found == rows
    big = {"text": "y" * 6000}
    assert export.pack([big]) == [export.to_json(big).encode()]  # a long row alone, never cut


class RefusingClient:
    def __init__(self, refuse: bool) -> None:
        self.refuse, self.calls = refuse, []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        self.calls.append((DeliveryStreamName, len(Records)))
        errors = [
            {"ErrorCode": "ServiceUnavailableException"} if self.refuse else {"RecordId": "r"}
            for _ in Records
        ]
        return {"FailedPutCount": len(Records) if self.refuse else 0, "RequestResponses": errors}


def test_a_refused_batch_is_retried_from_the_first_record(monkeypatch) -> None:
    monkeypatch.setenv("EXPORT_CLICKS_STREAM", "clicks-stream")
    monkeypatch.setenv("EXPORT_CONVERSIONS_STREAM", "conversions-stream")
    session = {"transaction_id": "t", "offer_id": "1", "partner_id": "3", "created_at": 1795507200}
    batch = [record("INSERT", session, seq="11"), record("INSERT", CONVERSION, seq="12")]
    try:
        client = RefusingClient(refuse=False)
        export.set_sink(export.FirehoseSink(client))
        assert export.export(batch) == []
        assert sorted(client.calls) == [("clicks-stream", 1), ("conversions-stream", 1)]
        export.set_sink(export.FirehoseSink(RefusingClient(refuse=True)))
        assert export.export(batch) == ["11"]
    finally:
        export.set_sink(None)


def test_the_sql_parameters_become_day_literals_and_nothing_else_does() -> None:
    from datetime import date

    import pytest

    from goalpost_local.analytics import parameters, render

    values = parameters(date(2026, 2, 28), date(2026, 2, 28))
    assert values == {
        "from": "2026-02-28",
        "end": "2026-03-01",
        "scan_from": "2026-02-27",
        "scan_to": "2026-03-01",
    }
    sql = (
        "-- :from is the first day\nSELECT 1 WHERE dt >= :scan_from AND created_at < :end AND x = ':from_day'"
    )
    assert render(sql, values) == (
        "-- :from is the first day\nSELECT 1 WHERE dt >= '2026-02-27' AND created_at < '2026-03-01' AND x = ':from_day'\n"
    )
    with pytest.raises(ValueError):
        render(sql, {**values, "from": "2026-02-28' OR 1=1 --"})
