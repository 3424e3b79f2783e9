"""The local runtime's embedded DynamoDB shows a stream what DynamoDB would."""

from typing import Any

import pytest
from botocore.exceptions import ClientError


def stream_table(client: Any, name: str) -> str:
    """A one-key table with a NEW_IMAGE stream on the embedded DynamoDB; returns the stream ARN."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return str(client.describe_table(TableName=name)["Table"]["LatestStreamArn"])


def test_a_cancelled_transaction_never_reaches_a_stream_reader() -> None:
    """An iterator taken before moto rolls a transaction back reads neither the cancelled
    write nor skips the real record written next at the same sequence number."""
    import boto3

    from goalpost_local.dynamodb import EmbeddedDynamoDB

    db = EmbeddedDynamoDB().start()
    try:
        kwargs: dict[str, Any] = {"endpoint_url": db.endpoint, "region_name": "us-east-1"}
        client, streams = boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)
        arn = stream_table(client, "t")
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        client.put_item(TableName="t", Item={"k": {"S": "a"}})
        early = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        with pytest.raises(ClientError):
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": {"k": {"S": "cancelled"}}}},
                    {
                        "Put": {
                            "TableName": "t",
                            "Item": {"k": {"S": "a"}},
                            "ConditionExpression": "attribute_not_exists(k)",
                        }
                    },
                ]
            )
        answer = streams.get_records(ShardIterator=early["ShardIterator"])
        assert [r["dynamodb"]["Keys"]["k"]["S"] for r in answer["Records"]] == ["a"]
        client.put_item(TableName="t", Item={"k": {"S": "b"}})
        later = streams.get_records(ShardIterator=answer["NextShardIterator"])
        assert [r["dynamodb"]["Keys"]["k"]["S"] for r in later["Records"]] == ["b"]
    finally:
        db.stop()


def test_a_cancelled_transaction_puts_back_exactly_the_items_it_touched() -> None:
    """The embedded DynamoDB backs up the touched items, not whole tables: a cancelled
    transaction leaves every item as it was (updated ones restored, new ones gone), others
    untouched, and the table objects are the same ones (nothing was copied)."""
    import boto3
    from moto.dynamodb.models import dynamodb_backends

    from goalpost_local.dynamodb import EmbeddedDynamoDB

    db = EmbeddedDynamoDB().start()
    try:
        client = boto3.client("dynamodb", endpoint_url=db.endpoint, region_name="us-east-1")
        client.create_table(
            TableName="lean",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}, {"AttributeName": "s", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "k", "AttributeType": "S"},
                {"AttributeName": "s", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(50):
            client.put_item(TableName="lean", Item={"k": {"S": "p"}, "s": {"S": f"{n:02}"}, "n": {"N": "1"}})
        table = dynamodb_backends["123456789012"]["us-east-1"].tables["lean"]
        with pytest.raises(ClientError) as cancelled:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "lean",
                            "Key": {"k": {"S": "p"}, "s": {"S": "00"}},
                            "UpdateExpression": "SET n = :two",
                            "ExpressionAttributeValues": {":two": {"N": "2"}},
                        }
                    },
                    {"Put": {"TableName": "lean", "Item": {"k": {"S": "p"}, "s": {"S": "new"}}}},
                    {"Delete": {"TableName": "lean", "Key": {"k": {"S": "p"}, "s": {"S": "01"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": "lean",
                            "Key": {"k": {"S": "p"}, "s": {"S": "02"}},
                            "ConditionExpression": "n = :zero",
                            "ExpressionAttributeValues": {":zero": {"N": "0"}},
                        }
                    },
                ]
            )
        reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
        assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
        assert dynamodb_backends["123456789012"]["us-east-1"].tables["lean"] is table
        items = client.query(
            TableName="lean", KeyConditionExpression="k = :k", ExpressionAttributeValues={":k": {"S": "p"}}
        )["Items"]
        assert sorted(i["s"]["S"] for i in items) == [f"{n:02}" for n in range(50)]
        assert all(i["n"]["N"] == "1" for i in items)
    finally:
        db.stop()


def test_stream_records_every_consumer_has_read_are_dropped_and_the_rest_keep_their_numbers() -> None:
    import json
    import urllib.request

    import boto3

    from goalpost_local.dynamodb import TRIM_PATH, EmbeddedDynamoDB

    db = EmbeddedDynamoDB().start()
    try:
        kwargs: dict[str, Any] = {"endpoint_url": db.endpoint, "region_name": "us-east-1"}
        client, streams = boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)
        arn = stream_table(client, "trimmed")
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        for key in "abcd":
            client.put_item(TableName="trimmed", Item={"k": {"S": key}})
        first = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = streams.get_records(ShardIterator=first["ShardIterator"])["Records"]
        numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        body = json.dumps({"stream_arn": arn, "through_sequence": int(numbers[1])}).encode()
        request = urllib.request.Request(db.endpoint + TRIM_PATH, data=body, method="POST")
        with urllib.request.urlopen(request) as answer:
            assert json.loads(answer.read()) == {"dropped": 2}
        horizon = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        kept = streams.get_records(ShardIterator=horizon["ShardIterator"])["Records"]
        assert [(r["dynamodb"]["Keys"]["k"]["S"], r["dynamodb"]["SequenceNumber"]) for r in kept] == [
            ("c", numbers[2]),
            ("d", numbers[3]),
        ]
        after = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=numbers[2]
        )
        assert [
            r["dynamodb"]["Keys"]["k"]["S"]
            for r in streams.get_records(ShardIterator=after["ShardIterator"])["Records"]
        ] == ["d"]
    finally:
        db.stop()


def test_an_overwritten_item_is_freed() -> None:
    """moto tracks every model instance it ever creates (for its dashboard); the embedded
    DynamoDB does not, so an item replaced by a put or removed by a delete leaves memory."""
    import gc
    import weakref

    import boto3
    from moto.dynamodb.models import dynamodb_backends

    from goalpost_local.dynamodb import EmbeddedDynamoDB

    db = EmbeddedDynamoDB().start()
    try:
        client = boto3.client("dynamodb", endpoint_url=db.endpoint, region_name="us-east-1")
        stream_table(client, "freed")
        client.put_item(TableName="freed", Item={"k": {"S": "a"}, "v": {"N": "1"}})
        table = next(
            t for regions in dynamodb_backends.values() for b in regions.values()
            for name, t in b.tables.items() if name == "freed"
        )  # fmt: skip
        first = weakref.ref(next(iter(table.items.values())))
        client.update_item(
            TableName="freed", Key={"k": {"S": "a"}}, UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"N": "2"}},
        )  # fmt: skip
        client.put_item(TableName="freed", Item={"k": {"S": "a"}, "v": {"N": "3"}})
        second = weakref.ref(next(iter(table.items.values())))
        client.delete_item(TableName="freed", Key={"k": {"S": "a"}})
        gc.collect()
        assert first() is None
        assert second() is None
    finally:
        db.stop()


def test_a_remembered_condition_expression_is_judged_on_each_requests_values() -> None:
    """The embedded DynamoDB lexes an expression once; each request still brings its own names
    and values, and a malformed expression is a 400 ValidationException every time, as in
    DynamoDB (moto answered 500)."""
    import boto3

    from goalpost_local.dynamodb import EmbeddedDynamoDB

    db = EmbeddedDynamoDB().start()
    try:
        client = boto3.client("dynamodb", endpoint_url=db.endpoint, region_name="us-east-1")
        stream_table(client, "cond")
        client.put_item(TableName="cond", Item={"k": {"S": "a"}, "n": {"N": "1"}})

        def bump(expected: str, name: str = "n") -> None:
            client.update_item(
                TableName="cond", Key={"k": {"S": "a"}}, UpdateExpression="SET #n = :new",
                ConditionExpression="#n = :expected",
                ExpressionAttributeNames={"#n": name},
                ExpressionAttributeValues={":expected": {"N": expected}, ":new": {"N": str(int(expected) + 1)}},
            )  # fmt: skip

        bump("1")
        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            bump("1")
        bump("2")
        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            bump("2", name="missing")
        for _ in range(2):
            with pytest.raises(ClientError, match="ValidationException"):
                client.put_item(TableName="cond", Item={"k": {"S": "b"}}, ConditionExpression="k ==== ?")
        item = client.get_item(TableName="cond", Key={"k": {"S": "a"}})["Item"]
        assert item["n"] == {"N": "3"}
        assert "Item" not in client.get_item(TableName="cond", Key={"k": {"S": "b"}})
    finally:
        db.stop()


def test_a_table_query_reads_its_partition_not_the_whole_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto listed and sorted every item of a table for each query (the dashboard's 8 queries
    took seconds on a month of stats): a table query now takes its partition's items, with the
    same answers, order and pages; an index query is moto's own."""
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models.table import Table

    import goalpost_local.dynamodb  # noqa: F401 - moto as the local runtime runs it

    listed: list[int] = []  # how many items each query looked through
    candidates = Table.all_items

    def counted(table: Any) -> Any:
        found = candidates(table)
        listed.append(len(found))
        return found

    monkeypatch.setattr(Table, "all_items", counted)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="q",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g")],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for pk, sks in (("a", "edcba"), ("b", "zyx")):
            for sk in sks:
                client.put_item(TableName="q", Item={"pk": {"S": pk}, "sk": {"S": sk}, "g": {"S": "one"}})

        def query(**extra: Any) -> tuple[list[str], Any]:
            answer = client.query(
                TableName="q",
                KeyConditionExpression="pk = :pk AND sk BETWEEN :x AND :y",
                ExpressionAttributeValues={":pk": {"S": "a"}, ":x": {"S": "b"}, ":y": {"S": "e"}},
                **extra,
            )
            return [i["sk"]["S"] for i in answer["Items"]], answer.get("LastEvaluatedKey")

        assert query() == (["b", "c", "d", "e"], None)
        first, last = query(Limit=2, ScanIndexForward=False)
        assert first == ["e", "d"] and last == {"pk": {"S": "a"}, "sk": {"S": "d"}}
        assert query(Limit=2, ScanIndexForward=False, ExclusiveStartKey=last)[0] == ["c", "b"]
        assert listed == [5, 5, 5]  # the partition's 5 items, never the table's 8
        on_index = client.query(
            TableName="q",
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "one"}},
        )
        assert on_index["Count"] == 8 and listed[3:] == [8]
