"""Sessions- and conversions-stream consumer: hourly stats cells, the export and the report
projection, off the request path.

The export first (every event of the batch as rows to Firehose, goalpost.streams.export),
then the report projection (each conversion, refusal and clawback copied under its partner and
its offer: goalpost.streams.report_projection), then the stats. Reports partial batch failures:
an export or a projection that failed retries the whole batch (rows sent twice are counted
once: they are keyed; a projection copy is put only over an older one); otherwise the event source
retries from the first record whose stats group could not be applied (groups already
applied are recognised by their marker, their rows exported again harmlessly). One consumer
for both, not two: DynamoDB Streams serves at most two readers per shard without throttling.
"""

import logging
from typing import Any

from goalpost import settings
from goalpost.model import clock
from goalpost.store import dynamo
from goalpost.streams import export, report_projection
from goalpost.streams.stats_stream import process_records

logging.getLogger().setLevel(logging.INFO)
# what this function's template policies name: one unset fails the cold start, not a request
settings.require(settings.config_table, settings.stats_table)
if isinstance(export.sink(), export.FirehoseSink):  # locally: the runtime's Parquet folder
    settings.require(*export.STREAMS.values())
dynamo.client()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records", [])
    failures = (
        export.export(records)
        or report_projection.project(records)
        or process_records(records, int(clock.now()))
    )
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}
