"""The reply sender: replies queue -> the reporter's channel.

The queue gets (a) domain events from the SNS topic (subscription with a
filter policy and raw delivery, infra/template.yaml) and (b) notices queued by
the webhooks. Each record is handled on its own; the ones that failed in a
way a retry can fix are reported in ``batchItemFailures`` (SQS retries only
those, then parks them in the dead-letter queue); the ledger makes sure a
retried message never sends twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("replies")


def body_of(record: Any) -> dict[str, Any]:
    body = json.loads(record.body if hasattr(record, "body") else record["body"])
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        body = json.loads(body["Message"])  # an SNS envelope (raw delivery off)
    return body


def send_replies(records: Iterable[Any]) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services import replies

    app = services()
    base_url = app.settings.public_base_url
    code_key = app.settings.tracking_code_key
    ledger = app.reply_ledger()
    counts: dict[str, int] = {}
    failures: list[dict[str, str]] = []
    for record in records:
        raw = record.to_dict() if hasattr(record, "to_dict") else record
        message_id = raw.get("messageId") if isinstance(raw, dict) else None
        try:
            body = body_of(record)
            if "notice" in body:
                handle = app.senders.reply_handle(str(body.get("sender"))) if body.get("sender") else None
                code = body.get("tracking_code")
                case = app.cases.get(code) if code else None
                if not message_id:
                    raise ValueError("an SQS record without a messageId")
                outgoing = replies.notice_outgoing(body, str(message_id), handle, case, base_url, code_key)
                results = [_deliver(outgoing, ledger, app)]
            elif not replies.may_reply(str(body.get("type", ""))):
                results = []  # internal events: not even a read
            else:
                results = deliver_event(body, app, ledger, base_url, code_key)
        except (ValueError, TypeError, KeyError) as error:
            log.error("reply message unreadable; dropped", extra={"error": type(error).__name__})
            results = ["unreadable"]
        except Exception as error:  # noqa: BLE001 - reported per message, retried by SQS
            log.warning("reply not sent; will retry", extra={"error": type(error).__name__})
            failures.append({"itemIdentifier": str(message_id)})
            continue
        for result in results or [replies.SKIPPED]:
            counts[result] = counts.get(result, 0) + 1
    if counts:
        log.info("replies handled", extra=counts)
    return {"batchItemFailures": failures}


# How far "merged into a case that was merged into this one" is followed.
MAX_FOLLOWERS = 200


def deliver_event(body: dict[str, Any], app: Any, ledger: Any, base_url: str, code_key: bytes) -> list[str]:
    """The replies one event calls for: to the case's reporter first, then to the
    reporter of each duplicate merged into it (and into those). A reply that fails
    fails the record after the others were tried; the ledger keeps a retry from
    sending any reply twice."""
    from chalicelib.services import replies

    code = body.get("tracking_code")
    case = app.cases.get(code) if code else None
    if case is None:
        return [replies.SKIPPED]
    failed: Exception | None = None
    try:
        results = [_deliver(replies.event_outgoing(body, _with_handle(app, case), base_url, code_key), ledger, app)]
    except (ValueError, TypeError, KeyError):
        raise  # the message itself is unreadable
    except Exception as error:  # noqa: BLE001 - the followers still go; the record is retried after
        results, failed = [], error
    followers = case.merged_cases if replies.tells_followers(str(body.get("type", ""))) else []
    pending, seen = [(duplicate, code) for duplicate in followers], {code}
    while pending and len(seen) <= MAX_FOLLOWERS:
        duplicate, via = pending.pop(0)
        if duplicate in seen:
            continue
        seen.add(duplicate)
        try:
            follower = app.cases.get(duplicate)
            if follower is None:
                continue
            pending += [(further, duplicate) for further in follower.merged_cases]
            outgoing = replies.follower_outgoing(body, case, _with_handle(app, follower), base_url, code_key, via=via)
            results.append(_deliver(outgoing, ledger, app))
        except (ValueError, TypeError, KeyError) as error:  # this reporter's data: drop theirs, not the rest
            log.error(
                "reply to a merged duplicate's reporter dropped",
                extra={"tracking_code": duplicate, "error": type(error).__name__},
            )
            results.append("unreadable")
        except Exception as error:  # noqa: BLE001 - the others still go; the record is retried after
            log.warning(
                "reply to a merged duplicate's reporter not sent",
                extra={"tracking_code": duplicate, "error": type(error).__name__},
            )
            failed = failed or error
    if failed is not None:
        raise failed
    return results


def _deliver(outgoing: Any, ledger: Any, app: Any) -> str:
    from chalicelib.services import replies

    if outgoing is None:
        return replies.SKIPPED
    return replies.deliver(outgoing, ledger=ledger, sender_for=app.reply_sender)


def _with_handle(app: Any, case: Any) -> Any:
    """The case with its reply handle opened (stored sealed: one KMS Decrypt), if it has one."""
    return app.cases.open_sealed(case, "reply_handle") if case.reply_handle is not None else case
