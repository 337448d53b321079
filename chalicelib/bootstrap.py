"""The composition root: which adapter serves each port, built once per process.

Entry points ask for ``services()``; tests swap in fakes with ``override`` and
start afresh with ``reset``.
Nothing here touches AWS until an adapter is used.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters.api_key_store import ApiKeyStore
from chalicelib.adapters.case_queries import CaseQueries
from chalicelib.adapters.case_reader import DynamoCaseReader
from chalicelib.adapters.case_repository import CaseRepository, DynamoCaseRepository
from chalicelib.adapters.duplicate_index import DuplicateIndex
from chalicelib.adapters.event_publisher import EventPublisher, SnsEventPublisher
from chalicelib.adapters.identity import TokenVerifier
from chalicelib.adapters.mailer import SesMailer
from chalicelib.adapters.metrics_store import MetricsStore
from chalicelib.adapters.notification_store import NotificationStore
from chalicelib.adapters.photo_store import PhotoStore, S3PhotoStore
from chalicelib.adapters.quarantine_store import QuarantineStore
from chalicelib.adapters.rate_limits import DynamoRateLimiter, RateLimiter
from chalicelib.adapters.routing_store import RoutingStore
from chalicelib.adapters.sealing import KmsSealer
from chalicelib.adapters.sender_state import DynamoSenderRepository, SenderRepository
from chalicelib.adapters.uploads import Uploads
from chalicelib.config import ConfigurationError, Settings, settings
from chalicelib.domain.clock import Clock, system_clock


@dataclass(frozen=True)
class Services:
    settings: Settings
    cases: CaseRepository
    photos: PhotoStore
    clock: Clock
    events: EventPublisher | None
    queries: CaseQueries
    routing: RoutingStore
    duplicate_index: DuplicateIndex
    metrics: MetricsStore
    notifications: NotificationStore
    uploads: Uploads
    senders: SenderRepository  # per-sender counts and notices' reply handles (always built)
    mailer: SesMailer | None = None
    verifier: TokenVerifier | None = None
    notices: Any = None  # NoticeQueue; None: built from REPLIES_QUEUE_URL on first use
    replies: Any = None  # ReplyLedger
    outbound: Any = None  # callable: ReplyHandle -> ReplySender (tests swap in fakes)
    media: Any = None  # callable: MediaLink, Case -> bytes

    def notice_queue(self) -> Any:
        if self.notices is not None:
            return self.notices
        if not self.settings.replies_queue_url:
            raise ConfigurationError("REPLIES_QUEUE_URL is not set")
        from chalicelib.adapters.queues import SqsNoticeQueue

        return SqsNoticeQueue(self.settings.replies_queue_url)

    def reply_ledger(self) -> Any:
        if self.replies is not None:
            return self.replies
        from chalicelib.adapters.reply_ledger import DynamoReplyLedger

        return DynamoReplyLedger(self.settings.cases_table)

    def reply_sender(self, handle: Any) -> Any:
        if self.outbound is not None:
            return self.outbound(handle)
        from chalicelib.adapters.outbound import sender_for

        return sender_for(handle, self.settings)

    def receipt_counter(self) -> Any:
        """services/intake.py ``receipts``: the daily cap per reply address (RATE_LIMIT_RECEIPTS)."""
        from chalicelib.services.intake import receipt_counter

        return receipt_counter(self.limiter, self.settings.rate_limits.get("receipts", {}).get("contact"), self.clock)

    def fetch_media(self, link: Any, case: Any) -> bytes:
        if self.media is not None:
            return self.media(link, case)
        from chalicelib.adapters.outbound import fetch_media

        return fetch_media(link, case.channel, self.settings)

    api_keys: ApiKeyStore | None = None  # Open311 partner keys
    case_reader: DynamoCaseReader | None = None  # many cases at once (Open311 listings)
    templates: Any = None  # TemplateStore; None: built on first use
    quarantine: Any = None  # services.batch.Quarantine: poison records, scheduled jobs' attempts
    limiter: RateLimiter | None = None  # rate-limit counters (api/limits.py); None: nothing is limited
    feed: Any = None  # Open311Feed: partners' update feeds; None: built on first use
    alerts: Any = None  # services.alerts.Context: area alerts' ports; None: built on first use

    def alerts_context(self) -> Any:
        """What area alerts need (services/alerts.py): their store, keys, texts' links and senders."""
        if self.alerts is not None:
            return self.alerts
        from chalicelib.adapters.alert_store import AlertStore
        from chalicelib.services.alerts import Context

        return Context(
            store=AlertStore(self.settings.cases_table),
            key=self.settings.tracking_code_key,
            base_url=self.settings.public_base_url,
            sender_for=self.reply_sender,
            sms_from=self.settings.alerts_sms_from,
            whatsapp_from=self.settings.alerts_whatsapp_from,
            phone_countries=self.settings.alert_phone_countries,
        )

    def open311_feed(self) -> Any:
        if self.feed is not None:
            return self.feed
        from chalicelib.adapters.open311_feed import Open311Feed

        return Open311Feed(self.settings.cases_table, self.settings.tracking_code_key)

    def template_store(self) -> Any:
        if self.templates is not None:
            return self.templates
        from chalicelib.adapters.template_store import TemplateStore

        return TemplateStore(self.settings.cases_table)

    def storage_probes(self) -> Any:
        """What GET /health?deep=1 checks (adapters/health.py)."""
        from chalicelib.adapters.health import StorageProbes

        return StorageProbes(self.settings.cases_table, self.settings.photos_bucket)

    def event_publisher(self) -> EventPublisher:
        if self.events is None:
            raise ConfigurationError("EVENTS_TOPIC_ARN is not set")
        return self.events

    def api_key_store(self) -> ApiKeyStore:
        if self.api_keys is None:
            raise ConfigurationError("no Open311 key store: CASES_TABLE is not set")
        return self.api_keys

    def token_verifier(self) -> TokenVerifier:
        if self.verifier is None:
            raise ConfigurationError("COGNITO_USER_POOL_ID and COGNITO_APP_CLIENT_ID are not set")
        return self.verifier


_current: Services | None = None
_lock = threading.Lock()


def _build() -> Services:
    config = settings()
    cognito = config.cognito
    sealer = KmsSealer(config.contact_key_arn)
    return Services(
        settings=config,
        cases=DynamoCaseRepository(config.cases_table, sealer=sealer),
        photos=S3PhotoStore(config.photos_bucket, config.photo_url_ttl_seconds),
        clock=system_clock,
        events=SnsEventPublisher(config.events_topic_arn) if config.events_topic_arn else None,
        queries=CaseQueries(config.cases_table),
        routing=RoutingStore(config.cases_table),
        duplicate_index=DuplicateIndex(config.cases_table),
        metrics=MetricsStore(config.cases_table),
        notifications=NotificationStore(config.cases_table),
        uploads=Uploads(config.photos_bucket),
        mailer=SesMailer(config.notify_from_email) if config.notify_from_email else None,
        verifier=TokenVerifier(cognito) if cognito else None,
        senders=DynamoSenderRepository(config.cases_table, sealer=sealer),
        api_keys=ApiKeyStore(config.cases_table),
        case_reader=DynamoCaseReader(config.cases_table),
        quarantine=QuarantineStore(config.cases_table),
        # Counter keys are hashed with a key derived from the tracking-code key (read on first use).
        limiter=DynamoRateLimiter(config.rate_limits_table, lambda: config.tracking_code_key),
    )


def services() -> Services:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = _build()
    return _current


def override(**replacements: Any) -> Services:
    """Replace some adapters (tests): ``override(clock=fixed_clock)``."""
    global _current
    with _lock:
        _current = replace(_current or _build(), **replacements)
    return _current


# Every process-wide cache, by its module and the function that clears it. A
# module not imported yet holds nothing, and is not imported (with boto3) to clear it.
# Not here: what cannot change within a process (the package's data and web files in
# adapters/reference_data.py and adapters/web_assets.py, memoised pure functions).
CACHES = (
    ("chalicelib.config", "reset"),  # the settings, and the secrets read through them (secret_store)
    ("chalicelib.adapters.aws", "reset"),  # boto3 clients and their session
    ("chalicelib.services.routing", "forget_cached_rules"),  # routing rules, a minute per container
    ("chalicelib.services.public_map", "forget_snapshots"),  # the map's recent cases, half a minute
)


def reset() -> None:
    """Forget everything a process keeps between requests: the services built here
    (and any ``override``) and every cache in ``CACHES`` (tests change the
    environment and the fakes; this is the one reset they call)."""
    global _current
    with _lock:
        _current = None
    for module, clear in CACHES:
        loaded = sys.modules.get(module)
        if loaded is not None:
            getattr(loaded, clear)()
