"""The reply sender: replies queue -> the reporter's channel.

The queue gets (a) domain events from the SNS topic (subscription with a
filter policy and raw delivery, infra/template.yaml) and (b) notices queued by
the webhooks. Each record is handled on its own (workers/sqs.py): the ones
that failed in a way a retry can fix are reported in ``batchItemFailures``
(SQS retries only those; the last receive quarantines), an unreadable one is
quarantined at once; the ledger makes sure a retried message never sends twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("replies")


def body_of(record: Any) -> dict[str, Any]:
    """The message a record carries (unwrapping an SNS envelope), or Unreadable."""
    from chalicelib.services.batch import Unreadable
    from chalicelib.workers.sqs import json_body

    body = json_body(record)
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        try:
            body = json.loads(body["Message"])  # an SNS envelope (raw delivery off)
        except (TypeError, ValueError):
            raise Unreadable("the SNS envelope's message is not JSON") from None
    if not isinstance(body, dict):
        raise Unreadable("the message is not a JSON object")
    return body


def send_replies(records: Iterable[Any]) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services import replies
    from chalicelib.services.batch import Unreadable
    from chalicelib.workers.sqs import each_message, message_id

    app = services()
    base_url = app.settings.public_base_url
    code_key = app.settings.tracking_code_key
    ledger = app.reply_ledger()

    def one(record: Any) -> list[str]:
        body = body_of(record)
        try:
            if "notice" in body:
                handle = app.senders.reply_handle(str(body.get("sender"))) if body.get("sender") else None
                code = body.get("tracking_code")
                case = app.cases.get(code) if code else None
                if not message_id(record):
                    raise ValueError("an SQS record without a messageId")
                outgoing = replies.notice_outgoing(body, message_id(record), handle, case, base_url, code_key)
                return [_deliver(outgoing, ledger, app)]
            if not replies.may_reply(str(body.get("type", ""))):
                return [replies.SKIPPED]  # internal events: not even a read
            return deliver_event(body, app, ledger, base_url, code_key) or [replies.SKIPPED]
        except (ValueError, TypeError, KeyError) as error:  # the message's content, not the channel
            raise Unreadable(f"the reply message cannot be read ({type(error).__name__})") from None

    answer, results = each_message(records, one, "send_replies")
    counts: dict[str, int] = {}
    for result in (outcome for done in results for outcome in done):
        counts[result] = counts.get(result, 0) + 1
    if counts:
        log.info("replies handled", extra=counts)
    return answer


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
