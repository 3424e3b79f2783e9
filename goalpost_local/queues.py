"""Feeds SQS consumers locally, the way Lambda's SQS event source mapping does.

For every function with an ``SQS`` event in template.yaml: receive up to ``BatchSize``
messages from the (moto) queue with the function's role, invoke the handler with the ESM's
event shape, delete the messages that succeeded and leave the ones it reports in
``batchItemFailures`` to become visible again when their visibility timeout ends (the
handler may shorten it for back-off). The queue itself counts receives and moves a message
to its dead-letter queue after ``maxReceiveCount``, as SQS does: moto implements the redrive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from goalpost_local import iam
from goalpost_local.gateway import Handler, LambdaContext, load_handler
from goalpost_local.pollers import Pollers
from goalpost_local.template import resources

logger = logging.getLogger("goalpost_local.queues")


@dataclass
class QueueConsumer:
    function: str
    queue_logical: str
    queue_url: str
    queue_arn: str
    handler: Handler
    batch_size: int


class QueuePump(Pollers):
    def __init__(self, sqs: Any, queue_urls: dict[str, str], interval: float = 0.2) -> None:
        super().__init__()
        self._sqs = sqs
        self._interval = interval
        self.queue_urls = queue_urls
        self.consumers: list[QueueConsumer] = []
        for name, resource in resources("AWS::Serverless::Function").items():
            props = resource["Properties"]
            for event in props.get("Events", {}).values():
                if event["Type"] != "SQS":
                    continue
                logical = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                url = queue_urls[logical]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ]
                iam.ENFORCER.queue_arns[url] = arn
                self.consumers.append(
                    QueueConsumer(
                        function=name,
                        queue_logical=logical,
                        queue_url=url,
                        queue_arn=arn,
                        handler=load_handler(props["CodeUri"], props["Handler"], name),
                        batch_size=int(event["Properties"].get("BatchSize", 10)),
                    )
                )
        for url in queue_urls.values():
            iam.ENFORCER.queue_arns.setdefault(url, iam.queue_arn(url.rsplit("/", 1)[-1]))
        for consumer in self.consumers:
            self._add_thread(f"queue-{consumer.function}", self._run, consumer)

    def drain(self, rounds: int = 50) -> None:
        """Poll every consumer until its queue has nothing visible (tests, in-process)."""
        for consumer in self.consumers:
            for _ in range(rounds):
                if not self.poll(consumer):
                    break

    def _run(self, consumer: QueueConsumer) -> None:
        while not self._stop.wait(self._interval):
            try:
                while self.poll(consumer) and not self._stop.is_set():
                    pass
            except Exception:  # the poller must outlive one bad poll, as the ESM does
                logger.exception("queue poll for %s failed", consumer.function)

    def poll(self, consumer: QueueConsumer) -> int:
        """One receive and one invocation; how many messages were handed over."""
        with iam.acting_as(consumer.function):  # the event source mapping polls with the function's role
            answer = self._sqs.receive_message(
                QueueUrl=consumer.queue_url,
                MaxNumberOfMessages=consumer.batch_size,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        records = [self._as_lambda_record(consumer, m) for m in messages]
        try:
            result = consumer.handler({"Records": records}, LambdaContext(consumer.function)) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            logger.exception("%s failed on a batch: every message will be received again", consumer.function)
            failed = {r["messageId"] for r in records}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            with iam.acting_as(consumer.function):
                self._sqs.delete_message_batch(
                    QueueUrl=consumer.queue_url,
                    Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
                )
        return len(messages)

    def _as_lambda_record(self, consumer: QueueConsumer, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": consumer.queue_arn,
            "awsRegion": iam.region(),
        }

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message now in a dead-letter queue (peeked: they stay there)."""
        found = []
        for logical, url in self.queue_urls.items():
            if not logical.endswith("DeadLetters"):
                continue
            answer = self._sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
            )
            found += [{"queue": logical, "body": m["Body"]} for m in answer.get("Messages", [])]
        return found
