"""Poison records, for operators: list them, look at one, replay it.

Items the batch primitive (chalicelib/services/batch.py) quarantined wait in
the cases table (adapters/quarantine_store.py) until someone fixes the cause
and replays them. Runbook: docs/security.md, "Poison records".

    python -m infra.quarantine list [--source sla_sweep] [--all]   # JSON lines, no payloads
    python -m infra.quarantine show SOURCE KEY                     # one record, with its payload
    python -m infra.quarantine replay SOURCE KEY                   # replay it, then mark it replayed

It runs with the app's environment: locally the one ``make run`` prints (the
tests pass it in); against AWS add ``--stage dev|prod`` and it is read from the
``crm-<stage>-infra`` stack's outputs with your own credentials, which need
what the replay does (dynamodb on the cases table, sqs:SendMessage on the
source queue, sns:Publish on the events topic, the tracking-code secret).

What a replay does, by source (the app.py handler that quarantined it):

* a queue worker (SQS): sends the stored body back to the handler's queue; the
  worker takes it as a new message (receive count 1, the bound starts again);
* ``relay_case_events``: reads the stored stream record again and publishes
  its events (subscribers drop repeats by event id); a record too large to
  have been stored is read from the stream by its sequence number (24 h);
* ``sla_sweep``: saves the case unchanged, which puts it back on the due index;
  the next sweep (within 5 minutes) acts on it;
* ``alert_digests``, ``metrics_rollup``: the key is left alone no longer; the
  next daily run includes it.

A replay that fails again says so and leaves the record quarantined.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from types import SimpleNamespace
from typing import Any

SCHEDULED_SOURCES = ("alert_digests", "metrics_rollup")


class ReplayFailed(RuntimeError):
    pass


def _store() -> Any:
    from chalicelib.bootstrap import services

    return services().quarantine


def list_records(source: str | None = None, everything: bool = False) -> list[dict[str, Any]]:
    return [record.summary() for record in _store().records(source) if everything or record.state == "quarantined"]


def show(source: str, key: str) -> dict[str, Any] | None:
    record = _store().get(source, key)
    return None if record is None else {**record.summary(), "payload": record.payload}


def replay(source: str, key: str) -> dict[str, Any]:
    """Replay one quarantined item; raises ReplayFailed (the record stays quarantined)."""
    from chalicelib.bootstrap import services

    app = services()
    record = app.quarantine.get(source, key)
    if record is None or record.state != "quarantined":
        raise ReplayFailed(f"{source} {key}: nothing quarantined under this key")
    queue = _queue_of(source)
    if queue is not None:
        how = _replay_message(queue, record)
    elif source == "relay_case_events":
        how = _replay_stream_record(record)
    elif source == "sla_sweep":
        how = _replay_due_case(app, key)
    elif source in SCHEDULED_SOURCES:
        how = "the next run includes it"
    else:
        raise ReplayFailed(f"{source}: not an entry point this tool knows")
    if not app.quarantine.mark_replayed(source, key, app.clock()):
        raise ReplayFailed(f"{source} {key}: replayed, but someone else marked it meanwhile")
    return {"source": source, "key": key, "replayed": how}


def _queue_of(source: str) -> str | None:
    from chalice.app import SQSEventConfig

    from infra.deploy import app_module

    for config in app_module().app.event_sources:
        if config.name == source and isinstance(config, SQSEventConfig):
            return config.queue
    return None


def _replay_message(queue: str, record: Any) -> str:
    from chalicelib.adapters import aws

    if record.payload is None:
        raise ReplayFailed(f"{record.source} {record.key}: no stored body to send")
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody=record.payload)
    return f"sent to {queue} as message {sent['MessageId']}"


def _replay_stream_record(record: Any) -> str:
    from chalicelib.services.batch import Unreadable
    from chalicelib.workers.outbox_relay import read_record, relay_records

    if record.payload is None:
        raise ReplayFailed(
            f"relay_case_events {record.key}: the record was too large to store "
            f"({record.payload_bytes} bytes); read it from the stream at this sequence number"
        )
    raw = json.loads(record.payload)
    change = raw.get("dynamodb") or {}
    stream_record = SimpleNamespace(
        event_name=raw.get("eventName"),
        new_image=change.get("NewImage"),
        old_image=change.get("OldImage"),
        sequence_number=change.get("SequenceNumber"),
        to_dict=lambda: raw,
    )
    try:
        read_record(stream_record)
    except Unreadable as error:
        raise ReplayFailed(f"relay_case_events {record.key}: {error}") from None
    answer = relay_records([stream_record])
    if answer["batchItemFailures"]:
        raise ReplayFailed(f"relay_case_events {record.key}: its events were not published; try again")
    return "events published"


def _replay_due_case(app: Any, key: str) -> str:
    from chalicelib.domain.request_ids import tracking_code_of

    code = tracking_code_of(key, app.settings.tracking_code_key)
    if code is None:
        raise ReplayFailed(f"sla_sweep {key}: not a public id of this deployment")
    try:
        case = app.cases.get(code)
        if case is None:
            raise ReplayFailed(f"sla_sweep {key}: the case is gone")
        app.cases.save(case)  # unchanged: recomputes its index keys, due included
    except ReplayFailed:
        raise
    except Exception as error:  # noqa: BLE001 - reported to the operator, record kept
        raise ReplayFailed(f"sla_sweep {key}: still cannot be read or saved ({type(error).__name__})") from None
    return "back on the due index; the next sweep acts on it"


def stage_environment(stage: str) -> dict[str, str]:
    """The functions' environment from the deployed infra stack's outputs."""
    import boto3

    from infra import iam
    from infra.deploy import APP_NAME, environment_template

    session = boto3.session.Session()
    stack = session.client("cloudformation").describe_stacks(StackName=f"{APP_NAME}-{stage}-infra")["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    account = session.client("sts").get_caller_identity()["Account"]
    resolve = iam.concrete_resolver(outputs, session.region_name, account)
    return {"CRM_STAGE": stage, **{name: resolve(text) for name, text in environment_template().items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="List, show and replay quarantined items (poison records)")
    parser.add_argument("--stage", help="read the environment from the crm-<stage>-infra stack (AWS)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="quarantined items, one JSON line each")
    listing.add_argument("--source")
    listing.add_argument("--all", action="store_true", help="also items still failing and replayed ones")
    for name in ("show", "replay"):
        command = commands.add_parser(name)
        command.add_argument("source")
        command.add_argument("key")
    args = parser.parse_args(argv)
    if args.stage:
        os.environ.update(stage_environment(args.stage))
    if args.command == "list":
        for line in list_records(args.source, args.all):
            print(json.dumps(line))
        return 0
    if args.command == "show":
        found = show(args.source, args.key)
        print(json.dumps(found, indent=2) if found else "not found")
        return 0 if found else 1
    try:
        print(json.dumps(replay(args.source, args.key)))
    except ReplayFailed as error:
        print(f"not replayed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
