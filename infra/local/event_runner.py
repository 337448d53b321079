"""The local event runner: feeds the app's real event handlers what AWS would.

`chalice local` serves only HTTP, and moto neither fires schedules nor invokes
Lambdas without Docker. This runner reads the event sources the Chalice app
declares (``app.event_sources``) and, for each, polls the stand-in and calls
the handler with a Lambda-shaped event:

    @app.on_dynamodb_record   poll the table's stream (moto keeps one)
    @app.on_sqs_message       receive from the queue; delete what succeeded
    @app.on_sns_message       a runner-owned SQS queue subscribed to the topic
    @app.on_s3_event          bucket notifications to a runner-owned queue
    @app.schedule             a timer (rate(...) honoured, or LOCAL_SCHEDULE_SECONDS)

Failure handling follows Lambda's: a batch whose handler raises is retried;
after ``max_attempts`` it is parked in ``dead_letters`` (and logged) so the
rest keep flowing. A handler may return ``{"batchItemFailures": [...]}`` to
retry only from the first failed record. ``on_failure`` maps a stream
handler's name to an SQS queue URL: a parked stream record's metadata is also
sent there, shaped like Lambda's on-failure destination record
(``DDBStreamBatchInfo``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("infra.local.events")

ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256
    deadline: float = field(default_factory=lambda: time.time() + 60)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) * 1000))


@dataclass
class DeadLetter:
    source: str
    event: dict[str, Any]
    error: str


def _failed_ids(result: Any) -> list[str] | None:
    """Lambda's reading of a partial batch response: None or [] is success; an
    item without an identifier fails the whole batch (["*"])."""
    if isinstance(result, dict) and isinstance(result.get("batchItemFailures"), list):
        ids = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in result["batchItemFailures"]]
        named = [identifier for identifier in ids if isinstance(identifier, str) and identifier]
        if len(named) != len(ids):
            return ["*"]
        return named or None
    return None


class Source:
    """One event source: ``poll()`` delivers what is waiting, returns how many records."""

    name = "source"
    function_name = "local"  # what Lambda's context says: crm-local-<handler>, as deployed stages name them
    handler: Callable[..., Any]  # the app's handler; each kind of source sets it

    def poll(self) -> int:
        raise NotImplementedError

    interval = 0.2  # seconds between polls when idle


class StreamSource(Source):
    def __init__(self, runner: EventRunner, config: Any, handler: Callable[..., Any]):
        self.runner, self.handler = runner, handler
        self.handler_name = config.name
        self.name = f"dynamodb-stream:{config.name}"
        self.declared_arn = config.stream_arn
        self.stream_arn: str | None = None
        self.batch_size = config.batch_size or 100
        # Tests start at LATEST to skip what earlier tests left in the stream.
        self.starting_position = runner.start_streams_at or config.starting_position or "LATEST"
        self.iterators: dict[str, str | None] = {}

    def _resolve_stream(self) -> str:
        """The table's current stream. The app declares an ARN at import time; a
        local stack made later has a new one, so look it up by table name."""
        match = re.match(r"^arn:aws:dynamodb:[^:]*:[^:]*:table/([^/]+)/stream/", self.declared_arn)
        if match:
            try:
                table = self.runner.client("dynamodb").describe_table(TableName=match.group(1))["Table"]
                return table.get("LatestStreamArn") or self.declared_arn
            except Exception:  # noqa: BLE001 - fall back to what the app declared
                return self.declared_arn
        return self.declared_arn

    def _refresh_shards(self) -> None:
        if self.stream_arn is None:
            self.stream_arn = self._resolve_stream()
        streams = self.runner.client("dynamodbstreams")
        description = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            if shard["ShardId"] not in self.iterators:
                self.iterators[shard["ShardId"]] = streams.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType=self.starting_position,
                )["ShardIterator"]

    def poll(self) -> int:
        self._refresh_shards()
        streams = self.runner.client("dynamodbstreams")
        delivered = 0
        for shard_id, iterator in list(self.iterators.items()):
            if iterator is None:
                continue
            response = streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            self.iterators[shard_id] = response.get("NextShardIterator")
            records = [self._lambda_record(record) for record in response.get("Records", [])]
            if records:
                self.runner.deliver_ordered(
                    self,
                    records,
                    lambda r: r["dynamodb"]["SequenceNumber"],
                    lambda batch: {"Records": batch},
                    on_discard=functools.partial(self.discarded, shard_id),
                )
                delivered += len(records)
        return delivered

    def discarded(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        """What Lambda sends the on-failure destination for a stream batch it gave up on."""
        destination = self.runner.on_failure.get(self.handler_name)
        if not destination:
            return
        numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        times = [record["dynamodb"].get("ApproximateCreationDateTime") for record in batch]

        def iso(value: Any) -> str | None:
            return datetime.fromtimestamp(value, UTC).isoformat() if isinstance(value, (int, float)) else None

        document = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{self.runner.region}:{ACCOUNT}:function:{self.handler_name}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.runner.max_attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": numbers[0],
                "endSequenceNumber": numbers[-1],
                "approximateArrivalOfFirstRecord": iso(times[0]),
                "approximateArrivalOfLastRecord": iso(times[-1]),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        self.runner.client("sqs").send_message(QueueUrl=destination, MessageBody=json.dumps(document))

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        body = dict(record)
        body.setdefault("eventSourceARN", self.stream_arn)
        body.setdefault("awsRegion", self.runner.region)
        body.setdefault("eventSource", "aws:dynamodb")
        body.setdefault("eventVersion", "1.1")
        dynamodb = dict(body.get("dynamodb", {}))
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        body["dynamodb"] = dynamodb
        return body


class QueueSource(Source):
    """SQS, and SNS/S3 through a runner-owned SQS queue (``wrap`` shapes each record)."""

    def __init__(
        self,
        runner: EventRunner,
        name: str,
        queue_url: str,
        batch_size: int,
        handler: Callable[..., Any],
        wrap: Callable[[dict[str, Any]], list[dict[str, Any]]],
    ):
        self.runner, self.handler, self.name = runner, handler, name
        self.queue_url, self.batch_size, self.wrap = queue_url, min(batch_size or 10, 10), wrap

    def poll(self) -> int:
        sqs = self.runner.client("sqs")
        response = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        records = [record for message in messages for record in self.wrap(message)]
        if not records:  # e.g. S3's s3:TestEvent on subscribing: nothing for the handler
            for message in messages:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            return len(messages)
        failed = self.runner.invoke(self, {"Records": records})
        if failed is None:
            failed_ids: set[str] = set()
        elif failed == ["*"]:
            return len(messages)  # whole batch failed: leave it to the queue's redrive
        else:
            failed_ids = set(failed)
        for message in messages:
            if message["MessageId"] not in failed_ids:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


class ScheduleSource(Source):
    def __init__(self, runner: EventRunner, config: Any, handler: Callable[..., Any], every: float):
        self.runner, self.handler = runner, handler
        self.name = f"schedule:{config.name}"
        self.interval = every
        self.rule_arn = f"arn:aws:events:{runner.region}:{ACCOUNT}:rule/local-{config.name}"

    def poll(self) -> int:
        now = datetime.now(UTC)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.runner.region,
            "resources": [self.rule_arn],
            "detail": {},
        }
        self.runner.invoke(self, event)
        return 1


def schedule_seconds(expression: str) -> float:
    """Seconds between runs for ``rate(N unit)``; cron expressions run every minute locally."""
    match = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", expression.strip())
    if not match:
        return 60.0
    amount, unit = int(match.group(1)), match.group(2).rstrip("s")
    return amount * {"minute": 60, "hour": 3600, "day": 86400}[unit]


class EventRunner:
    def __init__(
        self,
        app_module: Any,
        endpoint: str,
        region: str,
        *,
        max_attempts: int = 3,
        schedule_every: float | None = None,
        run_schedules: bool = True,
        on_failure: dict[str, str] | None = None,
        start_streams_at: str | None = None,
        only: set[str] | None = None,
    ):
        self.app_module = app_module
        self.only = only  # feed only these handlers (tests that want one consumer, not the cascade)
        self.endpoint = endpoint
        self.region = region
        self.max_attempts = max_attempts
        self.schedule_every = schedule_every
        self.dead_letters: list[DeadLetter] = []
        self.on_failure = dict(on_failure or {})  # stream handler name -> SQS queue URL
        self.start_streams_at = start_streams_at  # TRIM_HORIZON | LATEST: overrides what the handler declares
        self._clients: dict[str, Any] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.sources: list[Source] = self._discover(run_schedules)

    # --- set-up ----------------------------------------------------------------

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            from infra.local.provision import LOCAL_CREDENTIALS

            self._clients[service] = boto3.session.Session().client(
                service,
                endpoint_url=self.endpoint,
                region_name=self.region,
                aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )
        return self._clients[service]

    def _discover(self, run_schedules: bool) -> list[Source]:
        from chalice.app import (
            DynamoDBEventConfig,
            S3EventConfig,
            ScheduledEventConfig,
            SNSEventConfig,
            SQSEventConfig,
        )

        app = self.app_module.app
        sources: list[Source] = []
        for config in app.event_sources:
            if self.only is not None and config.name not in self.only:
                continue
            handler = getattr(self.app_module, config.name)
            if isinstance(config, DynamoDBEventConfig):
                sources.append(StreamSource(self, config, handler))
            elif isinstance(config, SQSEventConfig):
                url = self.client("sqs").get_queue_url(QueueName=config.queue)["QueueUrl"]
                sources.append(
                    QueueSource(self, f"sqs:{config.queue}", url, config.batch_size, handler, self._sqs_records(url))
                )
            elif isinstance(config, SNSEventConfig):
                sources.append(self._sns_source(config, handler))
            elif isinstance(config, S3EventConfig):
                sources.append(self._s3_source(config, handler))
            elif isinstance(config, ScheduledEventConfig) and run_schedules:
                every = self.schedule_every or schedule_seconds(str(config.schedule_expression))
                sources.append(ScheduleSource(self, config, handler, every))
            else:
                continue
            sources[-1].function_name = f"{app.app_name}-local-{config.name}"
        return sources

    def _queue_arn(self, url: str) -> str:
        return self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def _sqs_records(self, url: str) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
        arn = self._queue_arn(url)

        def wrap(message: dict[str, Any]) -> list[dict[str, Any]]:
            attributes = {
                name: {"stringValue": value.get("StringValue"), "dataType": value.get("DataType")}
                for name, value in message.get("MessageAttributes", {}).items()
            }
            return [
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "messageAttributes": attributes,
                    "md5OfBody": message.get("MD5OfBody"),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": self.region,
                }
            ]

        return wrap

    def _runner_queue(self, name: str) -> tuple[str, str]:
        url = self.client("sqs").create_queue(QueueName=name[:80])["QueueUrl"]
        return url, self._queue_arn(url)

    def _sns_source(self, config: Any, handler: Callable[..., Any]) -> Source:
        topic = config.topic
        topic_arn = topic if topic.startswith("arn:") else f"arn:aws:sns:{self.region}:{ACCOUNT}:{topic}"
        url, arn = self._runner_queue(f"local-runner-sns-{config.name}")
        self.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)

        def wrap(message: dict[str, Any]) -> list[dict[str, Any]]:
            envelope = json.loads(message["Body"])
            return [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": f"{topic_arn}:local",
                    "Sns": {
                        "Type": envelope.get("Type", "Notification"),
                        "MessageId": envelope.get("MessageId", message["MessageId"]),
                        "TopicArn": envelope.get("TopicArn", topic_arn),
                        "Subject": envelope.get("Subject"),
                        "Message": envelope.get("Message", ""),
                        "Timestamp": envelope.get("Timestamp"),
                        "MessageAttributes": envelope.get("MessageAttributes", {}),
                    },
                }
            ]

        return QueueSource(self, f"sns:{topic}", url, 10, handler, wrap)

    def _s3_source(self, config: Any, handler: Callable[..., Any]) -> Source:
        url, arn = self._runner_queue(f"local-runner-s3-{config.name}")
        rules = []
        if config.prefix:
            rules.append({"Name": "prefix", "Value": config.prefix})
        if config.suffix:
            rules.append({"Name": "suffix", "Value": config.suffix})
        queue_config: dict[str, Any] = {"QueueArn": arn, "Events": list(config.events)}
        if rules:
            queue_config["Filter"] = {"Key": {"FilterRules": rules}}
        self.client("s3").put_bucket_notification_configuration(
            Bucket=config.bucket, NotificationConfiguration={"QueueConfigurations": [queue_config]}
        )

        def wrap(message: dict[str, Any]) -> list[dict[str, Any]]:
            body = json.loads(message["Body"])
            return list(body.get("Records", []))  # test events carry none

        return QueueSource(self, f"s3:{config.bucket}", url, 10, handler, wrap)

    # --- delivery --------------------------------------------------------------

    def invoke(self, source: Source, event: dict[str, Any]) -> list[str] | None:
        """Call the handler once. Returns None on success, failed item ids, or ["*"] (all failed)."""
        context = LambdaContext(function_name=source.function_name)
        try:
            result = source.handler(event, context)
        except Exception as error:  # noqa: BLE001 - the runner survives handler bugs
            log.warning("handler failed", extra={"source": source.name, "error": repr(error)})
            return ["*"]
        return _failed_ids(result)

    def deliver_ordered(
        self,
        source: Source,
        records: list[dict[str, Any]],
        record_id: Callable[[dict[str, Any]], str],
        make_event: Callable[[list[dict[str, Any]]], dict[str, Any]],
        on_discard: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        """Stream semantics: in order, retry from the first failure, park after max_attempts."""
        attempts = 0
        while records:
            failed = self.invoke(source, make_event(records))
            if failed is None:
                return
            attempts += 1
            if failed != ["*"]:
                ids = [record_id(r) for r in records]
                first = min((ids.index(f) for f in failed if f in ids), default=0)
                if first > 0:
                    records, attempts = records[first:], 1
            if attempts >= self.max_attempts:
                self.park(source, make_event(records[:1]), "retries exhausted")
                if on_discard is not None:
                    on_discard(records[:1])
                records = records[1:]
                attempts = 0
            else:
                time.sleep(min(0.05 * 2**attempts, 1.0))

    def park(self, source: Source, event: dict[str, Any], error: str) -> None:
        with self._lock:
            self.dead_letters.append(DeadLetter(source.name, event, error))
        log.error("event parked in the local dead-letter list", extra={"source": source.name})

    def run_once(self, include_schedules: bool = False) -> int:
        """Poll every source once (tests): returns the number of records delivered."""
        return sum(
            source.poll() for source in self.sources if include_schedules or not isinstance(source, ScheduleSource)
        )

    def drain(self, timeout: float = 10.0) -> int:
        """Poll until nothing is waiting (or timeout): total delivered."""
        total, deadline = 0, time.time() + timeout
        while time.time() < deadline:
            delivered = self.run_once()
            total += delivered
            if delivered == 0:
                return total
        return total

    # --- background ------------------------------------------------------------

    def start(self) -> None:
        for source in self.sources:
            thread = threading.Thread(target=self._loop, args=(source,), name=source.name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _loop(self, source: Source) -> None:
        first = not isinstance(source, ScheduleSource)
        while not self._stop.wait(0 if first else source.interval):
            first = False
            try:
                while source.poll() and not self._stop.is_set() and not isinstance(source, ScheduleSource):
                    pass
            except Exception as error:  # noqa: BLE001 - keep polling; the stand-in may be restarting
                if not self._stop.is_set():  # while stopping, the stand-in going away is expected
                    log.warning("poll failed", extra={"source": source.name, "error": repr(error)})

    def stop(self, timeout: float = 5) -> None:
        """Ask every poller to stop and wait for them together, at most ``timeout``
        seconds in all (they are daemon threads: one stuck in a slow call to the
        stand-in must not hold up Ctrl-C once per source)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
