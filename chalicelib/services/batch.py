"""One way to work through a batch, for every non-HTTP entry point.

The stream relay, every SQS worker, the SLA sweep, the alert digests and the
metrics rollup hand their items to ``Batch.run``. Each item is handled on its
own, so one that fails never stops the others. A failure is logged with the
item's key -- an SQS message id, a stream sequence number, a case's public id,
a subscription id; never a tracking code or anything about a reporter -- and
then either

* retried: the caller reports it (SQS ``batchItemFailures``; the first stream
  record that failed) or a scheduled job meets it again on its next run; or,
* once it has failed ``bound`` times, **quarantined**: a record an operator can
  list and replay is written (adapters/quarantine_store.py), the
  ``PoisonedItems`` metric counts it (the alarm in infra/template.yaml),
  ``on_quarantine`` takes it out of the job's way (the sweep takes the case off
  its due index), and the batch treats it as done -- it is never retried again.

Attempts come from the item itself (SQS: ``ApproximateReceiveCount``, so the
last receive before the queue's redrive quarantines) or, for scheduled jobs,
from the quarantine store (one UpdateItem ADD per failure, with a TTL). An
item that no retry can fix (``Unreadable``: its message or record cannot be
parsed) is quarantined at its first attempt. Errors in ``uncounted`` (AWS
throttling and outages, for the scheduled jobs) are retried without counting,
so an outage never quarantines healthy items.

If the quarantine record cannot be written, the item stays a failure and is
retried: nothing is dropped without a record. See docs/security.md, "Poison
records".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib import cloudwatch, logs
from chalicelib.domain.clock import Clock
from chalicelib.domain.poison import Poison
from chalicelib.logs import get_logger

log = get_logger("batch")

# The receive that quarantines an SQS message: the queues' maxReceiveCount in
# infra/template.yaml (tests/deploy/test_alarms.py keeps the two equal), so a
# message is quarantined on its last receive instead of reaching the DLQ.
SQS_MAX_RECEIVES = 5
# Runs of a scheduled job (sweep, digests, rollup) an item may fail before it is quarantined.
SCHEDULED_MAX_RUNS = 3
POISON_METRIC = "PoisonedItems"


class Unreadable(Exception):
    """An item no retry can fix (its message or record cannot be parsed): quarantined at once.

    The message is stored with the quarantine record: say what is wrong, never
    what the item contains."""


class Quarantine(Protocol):
    """Where poison records and the scheduled jobs' attempt counters live."""

    def count_failure(self, source: str, key: str, error: str, now: datetime) -> int:
        """Add one failed attempt; returns the attempts so far (an already
        quarantined key is left as it is and returns its stored count)."""
        ...

    def put(self, poison: Poison) -> bool:
        """Write the quarantine record; True if the key was not quarantined before."""
        ...

    def keys(self, source: str) -> set[str]:
        """The keys of ``source`` that are quarantined now."""
        ...


@dataclass
class Outcome:
    results: list[Any] = field(default_factory=list)  # what the handler returned for each item done
    failed: list[str] = field(default_factory=list)  # keys to retry
    quarantined: list[str] = field(default_factory=list)  # keys quarantined in this run
    stopped_at: str | None = None  # ordered runs: the first item neither done nor quarantined

    @property
    def done(self) -> int:
        return len(self.results)


def _no_payload(_value: Any) -> str | None:
    return None


@dataclass(frozen=True)
class Batch:
    """How one entry point treats its items' failures."""

    source: str
    store: Quarantine
    clock: Clock
    bound: int  # failed attempts before an item is quarantined
    key: Callable[[Any], str] = str  # called only when an item fails
    attempt: Callable[[Any], int] | None = None  # the item's own attempt number; None: counted in the store
    payload: Callable[[Any], str | None] = _no_payload
    uncounted: tuple[type[BaseException], ...] = ()  # retried, never counted (outages)
    on_quarantine: Callable[[Any], None] | None = None
    correlation: Callable[[Any], str | None] | None = None  # the item's own correlation id, if it carries one

    def run(self, items: Iterable[Any], handle: Callable[[Any], Any], *, ordered: bool = False) -> Outcome:
        """Handle every item on its own. ``ordered`` (stream records): only an
        Unreadable item is quarantined; any other failure stops the run there and
        the caller retries from it (the stream's own retries count those).

        Each item's lines (the handler's and its failure's) carry the item's
        correlation id, cleared after it: the next item never inherits it."""
        outcome = Outcome()
        run_id = logs.correlation_id() or logs.new_correlation_id()
        for number, item in enumerate(items, 1):
            with logs.bound(correlation_id=self._correlation_id(item, f"{run_id}.{number}")):
                try:
                    result = handle(item)
                except Exception as error:  # noqa: BLE001 - one item's failure is settled here, never raised
                    key = self._key(item)
                    if (not ordered or isinstance(error, Unreadable)) and self._quarantined(item, key, error):
                        outcome.quarantined.append(key)
                        continue
                    outcome.failed.append(key)
                    if ordered:
                        outcome.stopped_at = key
                        break
                else:
                    outcome.results.append(result)
        return outcome

    def _correlation_id(self, item: Any, fallback: str) -> str:
        """The item's own correlation id (``correlation``: what it carries, e.g. an SQS
        message's attribute), else ``fallback``, named after the invocation's:
        ``<its id>.<number>`` (a scheduled run's cases, a message that came without one)."""
        own = None
        if self.correlation is not None:
            try:
                own = logs.valid_correlation_id(self.correlation(item))
            except Exception:  # noqa: BLE001 - an item that cannot say gets one named after the run
                own = None
        return own or fallback[-logs.CORRELATION_ID_MAX :]

    def quarantined_keys(self) -> set[str]:
        """For jobs that meet the same keys every run (digests, rollup): the keys to leave alone."""
        return self.store.keys(self.source)

    # --- one failure ----------------------------------------------------------------------

    def _key(self, item: Any) -> str:
        try:
            return str(self.key(item))
        except Exception:  # noqa: BLE001 - an item that cannot even be named fails as a whole
            return ""

    def _quarantined(self, item: Any, key: str, error: Exception) -> bool:
        """Settle one failure: True if the item is quarantined (done with), False to retry it."""
        kind = type(error).__name__
        described = f"{kind}: {error}"[:300] if isinstance(error, Unreadable) else kind
        where = {"source": self.source, "key": key, "error": kind}
        if not key:
            log.error("batch item failed and has no key; the batch is retried", extra=where)
            return False
        if isinstance(error, Unreadable):
            attempts = self.attempt(item) if self.attempt else 1
        elif isinstance(error, self.uncounted):
            log.warning("batch item failed; will retry (not counted: the service is unavailable)", extra=where)
            return False
        else:
            try:
                attempts = self.attempt(item) if self.attempt else self._count(key, described)
            except Exception as counting:  # noqa: BLE001 - retried uncounted; the next run counts it
                log.error("batch item failed; its attempt was not counted", extra={**where, "why": _name(counting)})
                return False
            if attempts < self.bound:
                log.warning("batch item failed; will retry", extra={**where, "attempt": attempts, "bound": self.bound})
                return False
        return self._quarantine(item, key, described, attempts, where)

    def _count(self, key: str, described: str) -> int:
        return self.store.count_failure(self.source, key, described, self.clock())

    def _quarantine(self, item: Any, key: str, described: str, attempts: int, where: dict[str, Any]) -> bool:
        try:
            poison = Poison(self.source, key, described, attempts, self.clock(), self.payload(item))
            new = self.store.put(poison)
        except Exception as storing:  # noqa: BLE001 - no record, no quarantine: retried instead
            log.error("batch item not quarantined; will retry", extra={**where, "why": _name(storing)})
            return False
        if new:
            cloudwatch.count(POISON_METRIC, source=self.source)
        if self.on_quarantine is not None:
            try:
                self.on_quarantine(item)
            except Exception as moving:  # noqa: BLE001 - recorded; the next failure moves it again
                log.error("quarantined item not moved aside", extra={**where, "why": _name(moving)})
        log.error("batch item quarantined", extra={**where, "attempts": attempts, "new": new})
        return True


def _name(error: BaseException) -> str:
    return type(error).__name__
