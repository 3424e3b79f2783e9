"""The local runtime: template.yaml's tables on an embedded DynamoDB and its routes on HTTP.

Developer tooling, not deployed: ``make run`` serves every function on
http://127.0.0.1:3000 with the event shape of ``sam local start-api``, without Docker.
"""
