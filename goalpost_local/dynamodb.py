"""An embedded DynamoDB: moto in server mode, one request at a time.

moto does not lock its tables, so two concurrent conditional writes could both pass their
conditions. Real DynamoDB applies each request atomically; serializing moto's requests
gives the local runtime that same per-request atomicity (no lock exists in our code).

Transactions: moto backs up every table a transaction touches with ``copy.deepcopy`` (all
items and all stream records) before it starts, and swaps the copies in when it cancels. That
makes each transaction cost the size of the tables: the local runtime slowed down and grew by
gigabytes under load. Here the backup is of what a transaction can change, and nothing else:
the items it names (a deep copy of each, or "absent") and the length of each table's stream.
Cancelled, those items are put back and the stream records it appended are dropped, so a
stream never shows a cancelled write (as in DynamoDB) and the table objects (and the shards
stream readers hold) stay the same. moto's own transaction logic, conditions and
cancellation reasons are unchanged: only its backup is replaced (``_LeanBackup``). The idea
is worth taking upstream: back up the touched items, not the tables.

Streams: moto keeps every shard iterator it ever handed out (one more per GetRecords), and
serializes GetRecords answers, already in DynamoDB's wire format, through its generic
shape-driven serializer (a third of the local runtime's CPU under load, since every consumer
reads every record). Here iterators expire after 15 minutes, as DynamoDB's do, and GetRecords
answers (and those of the item operations the tracking paths make) are dumped as the JSON
they already are; errors still go through moto's serializer.

Per request, moto also looks its service modules up on disk to route the request's host, and
lexes each condition expression with a dozen regular expressions: the route is remembered
per host, and the tokens per expression string (the tree is still built per request, from
the request's own names and values). A condition expression moto cannot parse is answered
as DynamoDB answers it, 400 ValidationException (moto raised a ValueError: a 500 that botocore
retried).

Queries: moto answered a query of the table (not of an index) by listing and sorting every item
of the table, then keeping its partition's: each query cost the whole table (the dashboard's 8
queries on a month of stats, seconds). Here a table query's candidates are its partition's items
(what DynamoDB reads), sorted and filtered by moto as before: the same answers, pages and order.

Memory: every moto model (``BaseModel``) appends each instance it creates to a class-level
list, kept for moto's dashboard (``/moto-api/data.json``) and never emptied. In DynamoDB that
is every item ever written, every copy moto makes of one (each update, each stream image),
every stream record and shard iterator, and every SQS message: the embedded DynamoDB grew
by about 30 KB per click + conversion and never gave it back. Here instances are not
tracked, so an overwritten item, a trimmed stream record or a deleted message is freed;
moto's dashboard lists no instances (nothing else in moto reads the list but S3, which the
local runtime does not serve). Worth taking upstream as an opt-out.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.core.common_models import BaseModel
from moto.core.responses import ActionResult
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from goalpost.model import clock


def _key_of(table: Table, op_type: str, op: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    key = op["Item"] if op_type == "Put" else op["Key"]
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


class _LeanBackup:
    """What a transaction may change: its items as they were, and where each stream ended."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self.items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self.streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None or op_type not in ("Put", "Update", "Delete", "ConditionCheck"):
                continue
            try:
                hash_value, range_value = _key_of(table, op_type, op)
            except (KeyError, TypeError):
                continue  # a malformed item: moto refuses it before writing anything
            before = copy.deepcopy(table.get_item(hash_value, range_value))
            self.items.append((table, hash_value, range_value, before))
            shard = table.stream_shard
            if shard is not None and id(shard) not in self.streams:
                self.streams[id(shard)] = (shard, len(shard.items))

    def restore(self) -> None:
        for table, hash_value, range_value, before in reversed(self.items):
            if range_value is None:
                if before is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = before  # type: ignore[assignment]
            elif before is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = before
        for shard, length in self.streams.values():
            del shard.items[length:]


class _NoTableCopies:
    """moto's ``copy`` as its transaction sees it: tables are not copied (``_LeanBackup`` is)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


_moto_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    backup = _LeanBackup(self, transact_items)
    try:
        _moto_transact_write_items(self, transact_items)
    except Exception:
        backup.restore()
        raise


dynamodb_models.copy = _NoTableCopies()  # type: ignore[assignment,attr-defined]
DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    """``BaseModel.__new__`` without the append to ``instances_tracked`` (see the module doc)."""
    return super(BaseModel, cls).__new__(cls)  # type: ignore[misc]


BaseModel.__new__ = _untracked_new  # type: ignore[assignment,method-assign]


ITERATOR_SECONDS = 15 * 60
"""DynamoDB Streams shard iterators are valid for 15 minutes."""
_iterator_born: dict[str, float] = {}


def _get_records_as_json(self: DynamoDBStreamsHandler) -> str:
    backend = self.backend
    result = backend.get_records(self._get_param("ShardIterator"), self._get_param("Limit") or 1000)
    now = time.monotonic()
    _iterator_born[result["NextShardIterator"]] = now
    for arn, born in list(_iterator_born.items()):
        if now - born < ITERATOR_SECONDS:
            break  # oldest first: the rest are younger
        del _iterator_born[arn]
        backend.shard_iterators.pop(arn, None)
    return dynamo_json_dump(result)


DynamoDBStreamsHandler.get_records = _get_records_as_json  # type: ignore[assignment,method-assign]

_HOT_OPERATIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "batch_get_item",
    "transact_write_items",
)
"""The calls the tracking paths and stream consumers make: answered as the JSON they already are."""


def _as_json(operation: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    def answer(self: DynamoHandler) -> Any:
        result = operation(self)
        if isinstance(result, ActionResult) and isinstance(result.result, dict):
            return dynamo_json_dump({k: v for k, v in result.result.items() if v is not None})
        return result  # anything else (and every error) goes through moto's serializer

    return answer


for _name in _HOT_OPERATIONS:
    setattr(DynamoHandler, _name, _as_json(getattr(DynamoHandler, _name)))


_query_partition = threading.local()
_moto_all_items = Table.all_items
_moto_query = Table.query


def _all_items(self: Table) -> list[Item]:
    """During a table query, only its partition's items (moto sorts them by range key)."""
    key = getattr(_query_partition, "key", None)
    if key is None or not self.range_key_attr:
        return _moto_all_items(self)
    return list(self.items.get(key, {}).values())


def _query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None:
        return _moto_query(self, hash_key, *args, **kwargs)
    _query_partition.key = hash_key
    try:
        return _moto_query(self, hash_key, *args, **kwargs)
    finally:
        _query_partition.key = None


Table.all_items = _all_items  # type: ignore[method-assign]
Table.query = _query  # type: ignore[method-assign]


_moto_backend_for_host = DomainDispatcherApplication.get_backend_for_host
_backends_by_host: dict[str | None, Any] = {}


def _backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
    """moto's answer for a host (a function of the host and the installed modules), remembered."""
    if host not in _backends_by_host:
        _backends_by_host[host] = _moto_backend_for_host(self, host)
    return _backends_by_host[host]


DomainDispatcherApplication.get_backend_for_host = _backend_for_host  # type: ignore[method-assign]

_moto_lex = ConditionExpressionParser._lex_condition_expression
_tokens_by_expression: dict[str, tuple[tuple[str, str], ...]] = {}
_MAX_EXPRESSIONS = 4096
"""An application uses a few dozen expressions; the bound keeps a generated one from growing it."""


def _lex_condition_expression(self: ConditionExpressionParser) -> deque[Any]:
    """moto's lexer, with its tokens remembered per expression string (fresh nodes each time:
    the parser builds on them). An expression it refuses raises as before and is not kept."""
    expression = self.condition_expression or ""
    tokens = _tokens_by_expression.get(expression)
    if tokens is None:
        tokens = tuple((node.nonterminal, node.text) for node in _moto_lex(self))
        if len(_tokens_by_expression) < _MAX_EXPRESSIONS:
            _tokens_by_expression[expression] = tokens
    literal = self.Kind.LITERAL
    return deque(
        self.Node(nonterminal=kind, kind=literal, text=text, value=text, children=[]) for kind, text in tokens
    )


ConditionExpressionParser._lex_condition_expression = _lex_condition_expression  # type: ignore[method-assign]

_moto_parse_condition = ConditionExpressionParser.parse


def _parse_condition(self: ConditionExpressionParser) -> Any:
    try:
        return _moto_parse_condition(self)
    except ValueError as refused:
        raise MockValidationException(f"Invalid ConditionExpression: {refused}") from refused


ConditionExpressionParser.parse = _parse_condition  # type: ignore[method-assign]


TRIM_PATH = "/__goalpost/streams/trim"
"""Local-only route: drop stream records every local consumer has read (see ``trim_stream``)."""


def trim_stream(stream_arn: str, through_sequence: int) -> int:
    """Drop a stream's records up to and including a sequence number; how many were dropped.

    DynamoDB keeps stream records for 24 hours; moto keeps them for ever, in memory. Nothing
    but the local runtime's stream pump reads the embedded streams, so once every consumer of
    a stream has read a record it is dropped. Sequence numbers of the records kept do not
    change (the shard's starting number moves up by what was dropped).
    """
    from moto.dynamodb.models import dynamodb_backends

    for backend in (b for regions in dynamodb_backends.values() for b in regions.values()):
        for table in backend.tables.values():
            shard = table.stream_shard
            if shard is None or not stream_arn.startswith(f"{table.table_arn}/stream/"):
                continue
            dropped = min(max(through_sequence - shard.starting_sequence_number + 1, 0), len(shard.items))
            del shard.items[:dropped]
            shard.starting_sequence_number += dropped
            return dropped
    return 0


class _Serialized:
    """WSGI middleware: run each request, body included, under one lock."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if environ.get("PATH_INFO") == TRIM_PATH and environ.get("REQUEST_METHOD") == "POST":
                import json

                length = int(environ.get("CONTENT_LENGTH") or 0)
                spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
                dropped = trim_stream(str(spec["stream_arn"]), int(spec["through_sequence"]))
                start_response("200 OK", [("content-type", "application/json")])
                return [json.dumps({"dropped": dropped}).encode()]
            return list(self._app(environ, start_response))


class _QuietRequestHandler(MotoRequestHandler):  # type: ignore[misc]
    """No access log line per request, and the Date header formatted once a second (each cost
    3 to 5% of the embedded DynamoDB's CPU under load)."""

    _date: tuple[int, str] = (0, "")

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        if timestamp is not None:
            return str(super().date_time_string(timestamp))
        second = int(clock.now())
        if _QuietRequestHandler._date[0] != second:
            _QuietRequestHandler._date = (second, str(super().date_time_string(second)))
        return _QuietRequestHandler._date[1]


class EmbeddedDynamoDB:
    """moto's server in a thread of this process (tests that inspect moto's state use it)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietRequestHandler
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
        self._thread.join(timeout=1)


class DynamoDBProcess:
    """The embedded DynamoDB in a process of its own: what ``make run`` uses.

    DynamoDB is another machine for a Lambda function; here it is another process, so moto's
    work and the functions' work run on two cores instead of sharing one interpreter lock.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        if not port:
            with socket.socket() as sock:
                sock.bind((host, 0))
                port = int(sock.getsockname()[1])
        self.host, self.port = host, port
        self._process: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return int(self._process.pid) if self._process is not None else 0

    def start(self, timeout: float = 30) -> DynamoDBProcess:
        import socket
        import subprocess
        import sys

        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "goalpost_local.dynamodb", "--host", self.host, "--port", str(self.port)]
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("the embedded DynamoDB process exited at start")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the embedded DynamoDB did not listen on {self.endpoint}")

    def stop(self) -> None:
        import subprocess

        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=1)
        except subprocess.TimeoutExpired:  # still running after a second: SIGKILL, a stop is bounded
            self._process.kill()
            self._process.wait(timeout=1)


def main() -> None:
    """``python -m goalpost_local.dynamodb --port N``: serve until SIGTERM."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="Goalpost's embedded DynamoDB (moto, serialized).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from goalpost_local import cloudformation  # noqa: F401 - moto's CloudFormation learns Cognito's types

    db = EmbeddedDynamoDB(args.host, args.port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    db.stop()


if __name__ == "__main__":
    main()
