"""Notices: answers to messages that change no case (a status question, the
hourly limit, a full case), for channels that cannot answer in the webhook's
response. They go to the replies queue carrying only the sender's keyed hash;
the reply worker looks the reply handle up in the sender's item.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.messages import Notice
from chalicelib.domain.receipts import Receipt
from chalicelib.logs import get_logger

log = get_logger("notices")


class NoticeQueue(Protocol):
    def send(self, notices: list[Notice]) -> None: ...


def notice_message(receipt: Receipt) -> Notice:
    return Notice(receipt.outcome, receipt.sender, receipt.tracking_code, receipt.language)


def send_notices(receipts: list[Receipt], queue_factory: Any) -> int:
    """Queue a notice for every receipt that needs one. ``queue_factory`` is
    called only if there is something to send."""
    notices = [notice_message(r) for r in receipts if r.needs_notice and r.sender]
    if notices:
        queue_factory().send(notices)
        log.info("notices queued", extra={"count": len(notices)})
    return len(notices)
