"""Feeds DynamoDB stream consumers locally, the way Lambda's event source mapping does.

For every function with a ``DynamoDB`` event in template.yaml: read the table's stream on the
embedded DynamoDB, apply the event's filter pattern, invoke the handler with batches of
records in the ESM's event shape, retry from a reported ``batchItemFailures`` record up to
``MaximumRetryAttempts``, then set the rest aside as dead letters (the cloud sends them to
the on-failure destination; locally they are kept and logged).
"""

import json
import logging
import os
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from goalpost_local import iam
from goalpost_local.dynamodb import TRIM_PATH
from goalpost_local.gateway import Handler, LambdaContext, load_handler
from goalpost_local.pollers import Pollers
from goalpost_local.template import resources

logger = logging.getLogger("goalpost_local.streams")

TRIM_SECONDS = 5.0
"""How often records every consumer has read are dropped from the embedded streams."""
SHARD_REFRESH_SECONDS = 10.0
"""How often a poller asks for the stream's shards again (the ESM learns of new shards too)."""


def matches(pattern: Any, data: Any) -> bool:
    """The subset of EventBridge-style patterns templates use: nested keys, lists of values."""
    if isinstance(pattern, dict):
        return isinstance(data, dict) and all(k in data and matches(v, data[k]) for k, v in pattern.items())
    if isinstance(pattern, list):
        return data in pattern
    return bool(pattern == data)


@dataclass
class Consumer:
    function: str
    table: str
    handler: Handler
    batch_size: int
    max_retries: int
    patterns: list[Any]
    window: float = 0.0
    """MaximumBatchingWindowInSeconds: how long records are gathered before an invocation."""
    dead_letter_arn: str = ""
    """The on-failure destination (an SQS queue ARN), sent to with the function's role."""
    stream_arn: str = ""
    last_sequence: dict[str, str | None] = field(default_factory=dict)
    """Per shard, the last sequence number handed to the function (None: from the start)."""
    iterators: dict[str, str] = field(default_factory=dict)
    """Per shard, the iterator the last read handed back (reused: one GetRecords per poll)."""
    shards: list[str] | None = None
    described_at: float = 0.0


class StreamPump(Pollers):
    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        table_names: dict[str, str],
        interval: float = 0.2,
        functions: set[str] | None = None,
    ) -> None:
        super().__init__()
        self._dynamodb = dynamodb
        self._streams = streams
        self._interval = interval
        self.dead_letters: list[dict[str, Any]] = []
        self.consumers: list[Consumer] = []
        for name, resource in resources("AWS::Serverless::Function").items():
            if functions is not None and name not in functions:
                continue
            props = resource["Properties"]
            for event in props.get("Events", {}).values():
                if event["Type"] != "DynamoDB":
                    continue
                spec = event["Properties"]
                table_logical = spec["Stream"]["Fn::GetAtt"][0]
                filters = spec.get("FilterCriteria", {}).get("Filters", [])
                destination = spec.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                self.consumers.append(
                    Consumer(
                        function=name,
                        table=table_names[table_logical],
                        handler=load_handler(props["CodeUri"], props["Handler"], name),
                        batch_size=int(spec.get("BatchSize", 100)),
                        max_retries=int(spec.get("MaximumRetryAttempts", 3)),
                        patterns=[json.loads(f["Pattern"]) for f in filters],
                        window=float(spec.get("MaximumBatchingWindowInSeconds", 0)),
                        dead_letter_arn=iam.queue_arn_of(destination["Fn::GetAtt"][0]) if destination else "",
                    )
                )
        # One poller per consumer, as each event source mapping runs on its own: a consumer
        # waiting on slow partner servers never delays the stats (or the other way round).
        for consumer in self.consumers:
            self._add_thread(f"stream-{consumer.function}", self._run, consumer)
        self._add_thread("stream-trim", self._run_trimmer)

    def attach(self) -> "StreamPump":
        """Find each consumer's stream (tables must exist); then ``drain`` or ``start``."""
        for consumer in self.consumers:
            consumer.stream_arn = self._dynamodb.describe_table(TableName=consumer.table)["Table"][
                "LatestStreamArn"
            ]
        return self

    def start(self) -> "StreamPump":
        self.attach()
        super().start()
        return self

    def drain(self) -> None:
        """Hand every record written so far to its consumers, now (tests, in-process)."""
        for consumer in self.consumers:
            self._poll(consumer)

    def trim(self) -> None:
        """Tell the embedded DynamoDB which records every consumer of each stream has read.

        Only with ``GOALPOST_LOCAL_TRIM_STREAMS`` (the local runtime sets it for its embedded
        DynamoDB): it keeps stream records in memory for ever, where DynamoDB drops them after
        24 hours. The slowest consumer decides, so no consumer ever misses a record.
        """
        endpoint = os.environ.get("GOALPOST_LOCAL_TRIM_STREAMS")
        if not endpoint:
            return
        by_stream: dict[str, list[Consumer]] = {}
        for consumer in self.consumers:
            by_stream.setdefault(consumer.stream_arn, []).append(consumer)
        for stream_arn, readers in by_stream.items():
            shards = {shard for reader in readers for shard in reader.last_sequence}
            for shard in shards:
                positions = [reader.last_sequence.get(shard) for reader in readers]
                if None in positions:
                    continue  # a consumer that has read nothing of this shard yet
                through = min(int(str(p)) for p in positions)
                body = json.dumps({"stream_arn": stream_arn, "through_sequence": through}).encode()
                url = endpoint.rstrip("/") + TRIM_PATH  # the embedded DynamoDB's own http:// endpoint
                request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
                with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                    answer.read()

    def _run_trimmer(self) -> None:
        while not self._stop.wait(TRIM_SECONDS):
            try:
                self.trim()
            except Exception:  # trimming is housekeeping: a failed round is retried on the next
                logger.exception("stream trim failed")

    def _run(self, consumer: Consumer) -> None:
        # The ESM gathers records for up to the batching window before it invokes the function.
        while not self._stop.wait(max(self._interval, consumer.window)):
            try:
                self._poll(consumer)
            except Exception:  # the pump must outlive one bad poll, as the ESM does
                logger.exception("stream poll for %s failed", consumer.function)

    def _poll(self, consumer: Consumer) -> None:
        """Read the stream as the event source mapping does: with the function's role."""
        with iam.acting_as(consumer.function):
            self._poll_as_function(consumer)

    def _poll_as_function(self, consumer: Consumer) -> None:
        now = time.monotonic()
        if consumer.shards is None or now - consumer.described_at > SHARD_REFRESH_SECONDS:
            description = self._streams.describe_stream(StreamArn=consumer.stream_arn)["StreamDescription"]
            consumer.shards = [shard["ShardId"] for shard in description["Shards"]]
            consumer.described_at = now
        for shard_id in consumer.shards:
            iterator = consumer.iterators.pop(shard_id, None) or self._iterator(consumer, shard_id)
            answer = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            raw = answer.get("Records", [])
            if answer.get("NextShardIterator"):
                consumer.iterators[shard_id] = answer["NextShardIterator"]  # one call per poll, as the ESM
            if raw:
                consumer.last_sequence[shard_id] = raw[-1]["dynamodb"]["SequenceNumber"]
            records = [self._as_lambda_record(r) for r in raw]
            if records:
                logger.info("%s: %d stream records", consumer.function, len(records))
            records = [
                r for r in records if not consumer.patterns or any(matches(p, r) for p in consumer.patterns)
            ]
            for start in range(0, len(records), consumer.batch_size):
                self._deliver(consumer, records[start : start + consumer.batch_size])

    def _iterator(self, consumer: Consumer, shard_id: str) -> str:
        """A new iterator after the last record handed over (at the start: the trim horizon)."""
        last = consumer.last_sequence.get(shard_id)
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        answer = self._streams.get_shard_iterator(StreamArn=consumer.stream_arn, ShardId=shard_id, **position)
        return str(answer["ShardIterator"])

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in record["dynamodb"].items() if k != "ApproximateCreationDateTime"}
        return {
            "eventID": record.get("eventID", ""),
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": data,
            "eventSourceARN": record.get("eventSourceARN", "local"),
        }

    def _deliver(self, consumer: Consumer, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch:
            try:
                answer = consumer.handler({"Records": batch}, LambdaContext(consumer.function)) or {}
                failed = [f["itemIdentifier"] for f in answer.get("batchItemFailures", [])]
            except Exception:
                logger.exception("%s failed on a batch", consumer.function)
                failed = [batch[0]["dynamodb"]["SequenceNumber"]]
            if not failed:
                return
            first = next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
            batch = batch[first:]
            attempts += 1
            if attempts > consumer.max_retries:
                logger.warning("%s: %d records to the dead letters", consumer.function, len(batch))
                if consumer.dead_letter_arn:
                    iam.ENFORCER.check(consumer.function, "sqs:SendMessage", consumer.dead_letter_arn)
                self.dead_letters.extend({"function": consumer.function, "record": r} for r in batch)
                return
            if self._stop.wait(min(0.05 * 2**attempts, 1.0)):
                return  # stopping: the records stay unread, as when a Lambda poller is torn down
