"""Use cases fed by DynamoDB streams and SQS: partner postbacks and the stats cells."""
