"""The local AWS stand-in: moto in server mode, a real HTTP endpoint on 127.0.0.1.

    python -m infra.local.aws_server --port 4566

Two things are added to moto's own server. Requests are applied one at a time:
DynamoDB guarantees that a conditional write is atomic; moto's threaded server
checks a condition and writes in two steps, so two concurrent deliveries of
one report could both pass the check. Serialising requests gives the stand-in
the guarantee the real service has. (moto is CPU-bound Python, so little
throughput is lost.) And no Query sorts the whole table: a Query on the table
looks at its own partition only, as in DynamoDB (``partition_sized_queries``),
and item reads are answered as the plain JSON they are (``plain_json_reads``):
what a read costs here follows what it reads, not everything written before.
"""

from __future__ import annotations

import argparse
import faulthandler
import inspect
import json
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any


def serialized(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    """Wrap a WSGI app so one request is handled at a time, body included."""
    lock = threading.Lock()

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()

    return handle


def _attribute_name(path_head: str) -> str:
    """``photos[2]`` -> ``photos``: the top-level attribute a projection path starts at."""
    return re.sub(r"(\[\d+\])+$", "", path_head)


def _sortable(item: Any, name: str) -> tuple[bool, str]:
    text = _text_attribute(item, name)
    return (text is None, text or "")


def _text_attribute(item: Any, name: str) -> Any:
    value = item.attrs.get(name)
    return value.value if value is not None and value.type == "S" else None


def _every_item(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


# DynamoDB writes applied so far (any table): a map made before the latest write is rebuilt.
_writes = [0]
# id(table) -> (writes when made, the table, {text of the attribute: [items]}), per attribute name.
_partition_maps: dict[tuple[int, str], tuple[int, Any, dict[str, list[Any]]]] = {}
# The backend's methods that only read; every other one may change items (counted as a write).
_READS = frozenset(
    {
        "batch_get_item",
        "describe_backup",
        "describe_continuous_backups",
        "describe_endpoints",
        "describe_export",
        "describe_import",
        "describe_table",
        "describe_time_to_live",
        "get_backup",
        "get_item",
        "get_keys_value",
        "get_resource_policy",
        "get_schema",
        "get_table",
        "get_table_keys_name",
        "iter_tagged_resources",
        "list_backups",
        "list_exports",
        "list_tables",
        "list_tags_of_resource",
        "query",
        "scan",
        "transact_get_items",
    }
)


def _index_partition(table: Any, name: str) -> dict[str, list[Any]]:
    """The table's items by the text value of attribute ``name`` (an index's partition key),
    as of the latest write: made once, then each index Query reads its own partition only."""
    made = _partition_maps.get((id(table), name))
    if made is not None and made[0] == _writes[0] and made[1] is table:
        return made[2]
    partitions: dict[str, list[Any]] = {}
    for item in _every_item(table):
        text = _text_attribute(item, name)
        if text is not None:
            partitions.setdefault(text, []).append(item)
    _partition_maps[(id(table), name)] = (_writes[0], table, partitions)
    return partitions


def count_writes() -> None:
    """Count every call of a DynamoDB backend method that may change items (put, update,
    delete, batch and transaction writes, PartiQL, table changes...): after one, the
    partition maps of ``_index_partition`` are made again. Items change in place (an
    update), so the count is what says a map is stale."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "crm_counts_writes", False):
        return

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            finally:
                _writes[0] += 1
                _partition_maps.clear()

        return call

    for name, method in list(vars(DynamoDBBackend).items()):
        if not name.startswith("_") and name not in _READS and inspect.isfunction(method):
            setattr(DynamoDBBackend, name, counted(method))
    DynamoDBBackend.crm_counts_writes = True  # type: ignore[attr-defined]  # a mark: wrapped once


def partition_sized_queries() -> None:
    """Make a Query on the table look at its partition only, as DynamoDB does.

    moto answers every Query by listing and *sorting* every item of the table
    (``Table.all_items``), then keeping the partition asked for: with 18,000
    items that is ~2 s per Query, whatever the Query reads. Routing makes 17
    small Queries per case, so on the local stack a busy table made routing
    crawl for reasons DynamoDB does not have. Here a base-table Query looks
    at its own partition only, and an index Query at the items whose index
    key is the text asked for, unsorted (moto checks and sorts the matching
    ones itself, by a total order, so results, pages and counts are
    unchanged: tests/unit/test_local_aws_queries.py checks that).

    An index Query finds those items through a map of the table's items by
    the text of the index's partition key, built once and kept until the next
    DynamoDB write (``_index_partition``): looking at every item of the table
    for each index Query made it cost as much as the whole table, ~25 ms per
    Query once a test session had written 10,000 items, even for an empty
    partition. An Open311 listing makes up to 364 such Queries (4 shards for
    each of 91 days), one at a time here: 10 s and more under load.
    """
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "partition_sized", False):
        return
    original = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        order = [self.hash_key_attr, self.range_key_attr]
        if index_name is None and hash_key is not None and self.range_key_attr:
            candidates = list(self.items[hash_key].values()) if hash_key in self.items else []
        else:
            texts = [
                (name, wanted.value) for name, wanted in kwargs.get("hash_key_conditions") or () if wanted.type == "S"
            ]
            if texts:  # plain text equality (moto's own check follows, on fewer items)
                name, value = texts[0]
                candidates = list(_index_partition(self, name).get(value, ()))
                for name, value in texts[1:]:
                    candidates = [item for item in candidates if _text_attribute(item, name) == value]
            else:
                candidates = _every_item(self)
            index = next((each for each in self.all_indexes() if each.name == index_name), None)
            order = [key["AttributeName"] for key in index.schema] + order if index else order
        # Already in the order moto sorts them into (text keys compare as text), so its own
        # sort of the matching items takes one pass instead of n log n slow comparisons.
        candidates.sort(key=lambda item: [_sortable(item, name) for name in order if name])
        self.all_items = lambda: candidates  # read by the original query only, for this call
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    count_writes()
    query.partition_sized = True  # type: ignore[attr-defined]  # a mark on the patch: applied once
    Table.query = query  # type: ignore[method-assign]  # patching moto's method in place is the point

    # Projecting an item (an index's INCLUDE list, a ProjectionExpression) turned the
    # whole item into plain JSON once per projected path: ~7-9 ms per case entry an
    # index Query returned. Convert the projected attributes once, then pick the paths.
    from botocore.utils import merge_dicts
    from moto.dynamodb.models.dynamo_type import deserializer, serializer
    from moto.dynamodb.models.utilities import find_nested_key

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        wanted = {_attribute_name(path[0]) for path in projection_expressions}
        plain = {
            name: deserializer.deserialize(value.to_regular_json())
            for name, value in self.attrs.items()
            if name in wanted
        }
        result: dict[str, Any] = {}
        for path in projection_expressions:
            try:
                merge_dicts(result, find_nested_key(path, plain))
            except TypeError:
                continue  # a path through a number or text: DynamoDB leaves it out, moto raised (a 500)
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=serializer.serialize(result)["M"])

    Item.project = project  # type: ignore[method-assign]  # patching moto's method in place is the point


def _plain_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not plain JSON")  # bytes (a B value), dates: moto's path


def plain_json_reads() -> None:
    """Answer DynamoDB's item reads (GetItem, BatchGetItem, Query, Scan) as the JSON they are.

    moto 5 writes every answer through a serializer that walks botocore's shape model for
    each value of each attribute: ~10 ms per case item, so a BatchGetItem of 100 cases took
    a second and an Open311 listing of 250 cases ~3 s of moto time alone. These answers are
    already DynamoDB's wire JSON (attribute values as moto keeps them): written with
    ``json.dumps`` they parse to the same result in botocore. An answer holding anything
    that is not plain JSON (a binary value, a date) still goes through moto's serializer.
    """
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "crm_plain_json_reads", False):
        return

    def plain(method: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any) -> Any:
            answer = method(self)
            if isinstance(answer, ActionResult) and isinstance(answer.result, dict):
                try:
                    body = json.dumps(answer.result, default=_plain_json)
                except TypeError:
                    return answer
                self.response_headers["Content-Type"] = "application/x-amz-json-1.0"
                return body
            return answer

        return call

    for name in ("get_item", "batch_get_item", "query", "scan"):
        setattr(DynamoHandler, name, plain(getattr(DynamoHandler, name)))
    DynamoHandler.crm_plain_json_reads = True  # type: ignore[attr-defined]  # a mark: wrapped once


def make_server(host: str, port: int) -> Any:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as werkzeug_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per AWS call is noise
            pass

    partition_sized_queries()
    plain_json_reads()
    app = serialized(DomainDispatcherApplication(create_backend_app))
    return werkzeug_server(host, port, app, threaded=True, request_handler=QuietHandler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    print(f"local AWS (moto) listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
