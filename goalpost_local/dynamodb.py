"""An embedded DynamoDB: moto in server mode, one request at a time.

moto does not lock its tables, so two concurrent conditional writes could both pass their
conditions. Real DynamoDB applies each request atomically; serializing moto's requests
gives the local runtime that same per-request atomicity (no lock exists in our code).

moto rolls a cancelled transaction back by putting a copy of each table in its place, and a
shard iterator keeps the shard of the table it was taken on. An iterator taken before such a
rollback would read the cancelled writes (a conversion that never happened) and, since
sequence numbers are positions, then skip the real record written next at the same number.
DynamoDB never shows cancelled writes on a stream: iterators here read the table's current
shard (``_follow_current_shard``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.dynamodbstreams.models import ShardIterator
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

_read_shard = ShardIterator.get


def _follow_current_shard(self: ShardIterator, limit: int = 1000) -> dict[str, Any]:
    table = self.streams_backend.dynamodb.get_table(self.stream_shard.table.name)
    if table.stream_shard is not None:
        self.stream_shard = table.stream_shard
    return _read_shard(self, limit)


ShardIterator.get = _follow_current_shard  # type: ignore[method-assign]


class _Serialized:
    """WSGI middleware: run each request, body included, under one lock."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class EmbeddedDynamoDB:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> EmbeddedDynamoDB:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
