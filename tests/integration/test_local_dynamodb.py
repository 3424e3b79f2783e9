"""The local runtime's embedded DynamoDB shows a stream what DynamoDB would."""

from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_a_cancelled_transaction_never_reaches_a_stream_reader() -> None:
    """An iterator taken before moto rolls a transaction back reads neither the cancelled
    write nor skips the real record written next at the same sequence number."""
    import boto3

    from goalpost_local.dynamodb import EmbeddedDynamoDB

    db = EmbeddedDynamoDB().start()
    try:
        kwargs: dict[str, Any] = {"endpoint_url": db.endpoint, "region_name": "us-east-1"}
        client, streams = boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
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
