"""A provider's delivery loop, as JAKI, Meta or Twilio run it against us.

At-least-once: retry on 5xx, 429 and broken connections, honouring
Retry-After (else exponential backoff with full jitter), signing each attempt
afresh, giving up after ``max_attempts``. Any other 4xx is final.

``time_scale`` compresses the provider's clock so a test of thousands of
deliveries stays short: every wait keeps its proportions (a Retry-After of
5 s becomes 0.1 s at 0.02) but is not slept in full.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.webhooks import Answer, Report, WebhookProfile, send

RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass
class DeliveryLog:
    channel: str
    message_id: str
    answers: list[Answer] = field(default_factory=list)
    broken_connections: int = 0
    waited: float = 0.0  # provider seconds (before time_scale)

    @property
    def final(self) -> Answer | None:
        return self.answers[-1] if self.answers else None

    @property
    def delivered(self) -> bool:
        return self.final is not None and 200 <= self.final.status < 300

    def accepted(self) -> list[Answer]:
        return [answer for answer in self.answers if 200 <= answer.status < 300]


@dataclass
class RetryPolicy:
    max_attempts: int = 15
    base_backoff: float = 1.0  # provider seconds
    max_backoff: float = 60.0
    time_scale: float = 0.02
    seed: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def wait_before_retry(self, attempt: int, answer: Answer | None) -> float:
        backoff = self._random.uniform(0, min(self.max_backoff, self.base_backoff * 2 ** (attempt - 1)))
        retry_after = _seconds(answer.headers.get("retry-after")) if answer is not None else None
        return max(retry_after or 0.0, backoff)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def deliver(target: Any, profile: WebhookProfile, report: Report, policy: RetryPolicy) -> DeliveryLog:
    import requests

    log = DeliveryLog(profile.channel, report.message_id)
    raw = profile.encode(report)
    for attempt in range(1, policy.max_attempts + 1):
        answer: Answer | None = None
        try:
            answer = send(target, profile.signed(raw))
        except (requests.ConnectionError, requests.Timeout):
            log.broken_connections += 1
        if answer is not None:
            log.answers.append(answer)
            if answer.status not in RETRYABLE:
                return log
        if attempt < policy.max_attempts:
            wait = policy.wait_before_retry(attempt, answer)
            log.waited += wait
            time.sleep(wait * policy.time_scale)
    return log
